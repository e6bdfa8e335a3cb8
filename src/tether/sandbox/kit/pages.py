"""One HTML page shell for every emulator page a person sees in a browser (sign in, consent,
"approved", "refused", error pages), and the forms those pages carry.

Invariants:
- Everything that reaches a page goes through ``html.escape`` here: titles, texts, the
  application's name, permissions, hidden fields, the typed login, the test account. A caller
  never passes HTML it did not build with these functions (``body`` arguments are the output
  of the builders below, or literal markup without values).
- Pages are plain forms (``application/x-www-form-urlencoded``, no JavaScript) posting to
  their own URL unless told otherwise, so a browser and a scripted POST see the same thing.
  The page's own fields are ``login``, ``password`` and ``action`` (``approve`` | ``deny``);
  the request being decided travels in hidden fields, never under those names.
- A page that signs a person in names the sandbox test account to use, from the ``Shell``
  the emulator built from its own seeded user: the account box never hard-codes one.
- The shell adds no ``<code>`` element: a page that hands the user a code holds exactly one,
  that code (tests and people look for it). The account box uses ``<kbd>``.
- Every page is ``Cache-Control: no-store`` (a consent page must not come back from history).
- Nothing here knows any state: the emulator decides, these functions only draw.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from html import escape
from typing import Final

from starlette.responses import HTMLResponse

#: Form fields that belong to the page itself, never to the request being decided.
PAGE_FIELDS: Final = frozenset({"login", "password", "action"})

_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:42rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}header{border-bottom:1px solid #ccd;margin-bottom:1rem;color:#556}"
    "header strong{color:#222}h1{font-size:1.4rem}.account{border:1px solid #9ab;"
    "background:#f3f7fb;padding:.6rem .9rem;margin:1rem 0}kbd{background:#fff;"
    "border:1px solid #ccd;padding:0 .3rem}label{display:block;margin:.6rem 0}"
    "input,select{margin-left:.5rem}button{margin:.8rem .6rem 0 0;padding:.4rem 1rem}"
    "table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #ccd;"
    "padding:.3rem .6rem;text-align:left}.error{color:#b00020;font-weight:bold}"
    "code{font-size:1.2rem;background:#f2f2f2;padding:.1rem .4rem}"
)


@dataclass(frozen=True, slots=True)
class TestAccount:
    """The seeded user a person signs in as.

    Attributes:
        username: what to type as the login.
        password: its password (a sandbox value, shown on purpose: it guards nothing real).
        alias: another login the page accepts (an e-mail), or "".
    """

    __test__ = False  # not a pytest class, whatever its name

    username: str
    password: str
    alias: str = ""


@dataclass(frozen=True, slots=True)
class Shell:
    """The page shell of one emulator.

    Attributes:
        service: the service's name as a person knows it ("Flickr", "OVHcloud API").
        account: the test account the sign-in pages name.
        login_label: the label of the login field ("Email or username").
    """

    service: str
    account: TestAccount
    login_label: str = "Username"

    def page(self, title: str, body: str, status: int = 200) -> HTMLResponse:
        """A complete page; ``body`` comes from this module's builders (see the invariants)."""
        html = (
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
            f"<title>{escape(title)} - {escape(self.service)} (tether sandbox)</title>"
            f"<style>{_STYLE}</style></head><body>"
            f"<header><strong>{escape(self.service)}</strong> - tether sandbox, an offline "
            "emulator: nothing here reaches the real service.</header>"
            f"<h1>{escape(title)}</h1>{body}</body></html>\n"
        )
        return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})

    def notice(self, title: str, text: str, status: int = 200) -> HTMLResponse:
        """A page with one paragraph of plain text."""
        return self.page(title, paragraph(text), status)

    def code_page(self, title: str, text: str, code: str) -> HTMLResponse:
        """A page handing the user ``code`` to type or paste into the application."""
        return self.page(title, f"{paragraph(text)}<p><code>{escape(code)}</code></p>")

    def account_box(self) -> str:
        """Which sandbox account to sign in with, by name and password."""
        a = self.account
        alias = f" (or <kbd>{escape(a.alias)}</kbd>)" if a.alias else ""
        return (
            '<div class="account" role="note">Sign in with the sandbox test account: '
            f"login <kbd>{escape(a.username)}</kbd>{alias}, password "
            f"<kbd>{escape(a.password)}</kbd>.</div>"
        )

    def login_fields(self, login: str = "") -> str:
        """The login and password inputs (``login`` typed back after a failed attempt)."""
        return (
            f'<label>{escape(self.login_label)} <input name="login" '
            f'autocomplete="username" value="{escape(login)}"></label>'
            '<label>Password <input name="password" type="password" '
            'autocomplete="current-password"></label>'
        )

    def consent(
        self,
        *,
        app_name: str,
        asks: Sequence[tuple[str, str]],
        hidden: Mapping[str, str],
        heading: tuple[str, str] = ("Permission", "What the application could do"),
        action: str | None = None,
        login: str = "",
        error: str = "",
        notes: Sequence[str] = (),
        extra_fields: str = "",
        approve: str = "Approve",
        deny: str = "Deny",
        title: str | None = None,
        status: int | None = None,
    ) -> HTMLResponse:
        """The sign-in-and-decide page: who asks, what for, the account box, the form.

        Args:
            app_name: the application asking.
            asks: what it asks for, as rows (permission, what it allows).
            hidden: the request's parameters, carried through (page fields left out).
            heading: the two column headings of ``asks``.
            action: where the form posts (default: the page's own URL, query included).
            login, error: the typed login and the alert after a failed sign-in.
            notes: plain-text paragraphs after the table (where approval sends the user).
            extra_fields: more inputs from ``select`` (a validity choice).
            approve, deny: the two buttons' labels.
            title: the page title (default: "Allow <app> to access your account?").
            status: the HTTP status (default: 401 with ``error``, else 200).
        """
        alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
        body = (
            f"{alert}<p>The application <strong>{escape(app_name)}</strong> asks for access "
            f"to your {escape(self.service)} account:</p>{table(heading, asks, strong=True)}"
            f"{''.join(map(paragraph, notes))}{self.account_box()}"
            + form(
                self.login_fields(login) + extra_fields + buttons(approve, deny),
                hidden=hidden,
                action=action,
            )
        )
        if status is None:
            status = 401 if error else 200
        return self.page(title or f"Allow {app_name} to access your account?", body, status)


def paragraph(text: str) -> str:
    return f"<p>{escape(text)}</p>"


def table(
    heading: tuple[str, str], rows: Sequence[tuple[str, str]], *, strong: bool = False
) -> str:
    """A two-column table of plain-text cells (the first in ``<strong>`` when ``strong``)."""
    a, b = ("<strong>", "</strong>") if strong else ("", "")
    cells = "".join(
        f"<tr><td>{a}{escape(left)}{b}</td><td>{escape(right)}</td></tr>" for left, right in rows
    )
    return (
        f"<table><thead><tr><th>{escape(heading[0])}</th><th>{escape(heading[1])}</th></tr>"
        f"</thead><tbody>{cells}</tbody></table>"
    )


def hidden_fields(values: Mapping[str, str], skip: Collection[str] = PAGE_FIELDS) -> str:
    """``values`` as hidden inputs, leaving out the page's own fields."""
    return "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in values.items()
        if k not in skip
    )


def select(name: str, label: str, options: Sequence[tuple[str, str]], chosen: str = "") -> str:
    """A labelled ``<select>`` of (value, label) options."""
    items = "".join(
        f'<option value="{escape(value)}"{" selected" if value == chosen else ""}>'
        f"{escape(text)}</option>"
        for value, text in options
    )
    return f'<label>{escape(label)} <select name="{escape(name)}">{items}</select></label>'


def buttons(approve: str = "Approve", deny: str = "Deny") -> str:
    """The two decisions, as ``action=approve`` and ``action=deny``."""
    return (
        f'<button type="submit" name="action" value="approve">{escape(approve)}</button>'
        f'<button type="submit" name="action" value="deny">{escape(deny)}</button>'
    )


def form(inner: str, *, hidden: Mapping[str, str] | None = None, action: str | None = None) -> str:
    """A POST form around ``inner`` (builder output) with ``hidden`` carried through."""
    target = f' action="{escape(action)}"' if action is not None else ""
    return f'<form method="post"{target}>{hidden_fields(hidden or {})}{inner}</form>'
