"""HTML pages of the Flickr emulator: the legacy login page (``/services/auth/``) and the OAuth
authorisation page (``/services/oauth/authorize``), where the user signs in, sees what the
application asks for, and approves or refuses.

Invariants:
- Every value that came from a request (application title, perms, hidden fields, the typed
  login, tokens, frobs, codes) goes through ``html.escape`` before it reaches a page.
- Pages are plain forms (``application/x-www-form-urlencoded``, no JavaScript) that post back
  to the same path; they work in a browser and with a scripted POST alike. The request's own
  parameters travel as hidden fields.
- A page that hands the user a code (OAuth ``oob`` verifier, web-flow frob without a callback)
  holds exactly one ``<code>`` element: that code.
- Nothing here knows the state: the app decides, these functions only draw.
"""

from __future__ import annotations

from collections.abc import Mapping
from html import escape
from typing import Final

from starlette.responses import HTMLResponse

#: What each permission level lets an application do (each includes the ones before).
PERMS_TEXT: Final = {
    "read": "see your photos and details, including private ones",
    "write": "see, upload, edit and replace your photos",
    "delete": "see, upload, edit, replace and delete your photos",
}

_STYLE: Final = (
    "body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;"
    "color:#222}h1{color:#0063dc;font-size:1.5rem}label{display:block;margin:.6rem 0}"
    "input{margin-left:.5rem}button{margin:.8rem .6rem 0 0;padding:.4rem 1rem}"
    ".error{color:#b00020;font-weight:bold}code{font-size:1.3rem;background:#f2f2f2;"
    "padding:.1rem .4rem}footer{margin-top:2rem;color:#666;font-size:.9rem}"
)

#: Form fields that belong to the page itself, never to the request being approved.
PAGE_FIELDS: Final = frozenset({"login", "password", "action"})


def page(title: str, body: str, status: int = 200) -> HTMLResponse:
    """A complete page; ``body`` is HTML the caller has already escaped."""
    return HTMLResponse(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>"
        f"<title>{escape(title)} | Flickr (tether sandbox)</title><style>{_STYLE}</style>"
        f"</head><body><h1>{escape(title)}</h1>{body}"
        "<footer>tether sandbox: an offline emulator of the Flickr API.</footer></body></html>",
        status_code=status,
        headers={"Cache-Control": "no-store"},
    )


def notice(title: str, text: str, status: int = 200) -> HTMLResponse:
    """A page with one paragraph of plain text."""
    return page(title, f"<p>{escape(text)}</p>", status)


def code_page(title: str, text: str, code: str) -> HTMLResponse:
    """A page handing the user ``code`` to type or paste into the application."""
    return page(title, f"<p>{escape(text)}</p><p><code>{escape(code)}</code></p>")


def consent(
    *,
    app_title: str,
    perms: str,
    hidden: Mapping[str, str],
    login: str = "",
    error: str = "",
) -> HTMLResponse:
    """The sign-in-and-approve form; with ``error`` it is answered with HTTP 401."""
    fields = "".join(
        f'<input type="hidden" name="{escape(k)}" value="{escape(v)}">'
        for k, v in hidden.items()
        if k not in PAGE_FIELDS
    )
    alert = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    what = PERMS_TEXT.get(perms, perms)
    body = (
        f"{alert}<p>The application <strong>{escape(app_title)}</strong> asks for "
        f"<strong>{escape(perms)}</strong> access to your Flickr account: it could "
        f"{escape(what)}.</p>"
        "<p>Sign in as the sandbox's test user to decide.</p>"
        f"<form method='post'>{fields}"
        f"<label>Email or username <input name='login' autocomplete='username' "
        f"value='{escape(login)}'></label>"
        "<label>Password <input name='password' type='password' "
        "autocomplete='current-password'></label>"
        "<button name='action' value='approve'>OK, I'll authorize it</button>"
        "<button name='action' value='deny'>No thanks</button></form>"
    )
    return page(f"Allow {app_title} to access your account?", body, 401 if error else 200)
