"""HTML pages of the OVH emulator: the consumer-key validation page a user opens from
``validationUrl`` (log in, review the requested rights, approve or deny).

Invariants:
- Every value that came from a client (rule paths and methods, redirection URL, application
  name, typed login, token) goes through ``html.escape`` before it reaches the page.
- Pages are plain forms (``application/x-www-form-urlencoded``, no JavaScript) that work in a
  browser and with a scripted POST alike.
- Approving needs the sandbox account's login (nichandle or e-mail) and password; denying does
  not (anyone holding the link may refuse the request, as on the real page).
- Only a ``pendingValidation`` credential can change state here.
"""

from __future__ import annotations

import hmac
from collections.abc import Awaitable, Callable
from html import escape
from typing import Final
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tether.services.ovh.sandbox.state import (
    ACCOUNT_EMAIL,
    ACCOUNT_LOGIN,
    ACCOUNT_PASSWORD,
    Credential,
    OvhState,
)

#: Validity choices offered on the page: form value -> (label, seconds or None = unlimited).
VALIDITIES: Final = {
    "3600": ("1 hour", 3600),
    "86400": ("24 hours", 86400),
    "2592000": ("30 days", 2592000),
    "0": ("Unlimited", None),
}

_STYLE = """
body{font-family:system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem;color:#123}
h1{font-size:1.4rem;color:#000e9c} table{border-collapse:collapse;margin:1rem 0}
td,th{border:1px solid #ccd;padding:.3rem .6rem;text-align:left} code{font-size:.95rem}
label{display:block;margin:.6rem 0} .error{color:#b00020;font-weight:bold}
button{margin-right:1rem;padding:.4rem 1.2rem} .muted{color:#667}
"""


def _page(title: str, body: str, status: int = 200) -> HTMLResponse:
    html = (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)} - OVHcloud API (tether sandbox)</title>"
        f"<style>{_STYLE}</style></head><body>"
        f"<h1>{escape(title)}</h1>{body}"
        '<p class="muted">tether sandbox: an offline emulator of the OVHcloud API.</p>'
        "</body></html>\n"
    )
    return HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})


def _form(state: OvhState, cred: Credential, error: str = "", login: str = "") -> HTMLResponse:
    app = state.applications.get(cred.application_id)
    app_name = escape(app.name) if app else "(unknown application)"
    app_desc = escape(app.description) if app else ""
    rows = "".join(
        f"<tr><td><code>{escape(r['method'])}</code></td><td><code>{escape(r['path'])}</code></td></tr>"
        for r in cred.rules.rules
    )
    options = "".join(
        f'<option value="{value}"{" selected" if value == "0" else ""}>{escape(label)}</option>'
        for value, (label, _) in VALIDITIES.items()
    )
    token = escape(cred.token)
    err = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    redirect = (
        f"<p>After approval you will be sent to <code>{escape(cred.redirection)}</code>.</p>"
        if cred.redirection
        else ""
    )
    body = f"""
<p>The application <strong>{app_name}</strong> <span class="muted">{app_desc}</span>
asks for access to your OVHcloud account with these rights:</p>
<table><thead><tr><th>Method</th><th>Path</th></tr></thead><tbody>{rows}</tbody></table>
{redirect}{err}
<form method="post" action="?credentialToken={token}">
<input type="hidden" name="credentialToken" value="{token}">
<label>Account ID or e-mail <input name="login" autocomplete="username" value="{escape(login)}"></label>
<label>Password <input name="password" type="password" autocomplete="current-password"></label>
<label>Validity <select name="validity">{options}</select></label>
<button type="submit" name="action" value="approve">Authorize access</button>
<button type="submit" name="action" value="deny">Refuse</button>
</form>
"""
    return _page("Authorize an application", body, 200)


def _token_of(request: Request, form: dict[str, str]) -> str:
    return request.query_params.get("credentialToken") or form.get("credentialToken", "")


def make_validation_endpoint(
    get_state: Callable[[], OvhState], now: Callable[[], float]
) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint for ``GET``/``POST /auth/`` (bound to the emulator's state)."""

    async def validation(request: Request) -> Response:
        state = get_state()
        form: dict[str, str] = {}
        if request.method == "POST":
            form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        token = _token_of(request, form)
        cred = state.credentials_by_token.get(token) if token else None
        if cred is None:
            return _page(
                "Unknown request",
                "<p>This validation link is unknown or no longer valid.</p>",
                404,
            )
        status = cred.effective_status(now())
        if status != "pendingValidation":
            return _page(
                "Request already handled",
                f"<p>This access request is <strong>{escape(status)}</strong>.</p>",
                409 if request.method == "POST" else 200,
            )
        if request.method != "POST":
            return _form(state, cred)
        action = form.get("action", "")
        if action == "deny":
            cred.deny(now())
            return _page("Access refused", "<p>The application was refused access.</p>")
        if action != "approve":
            return _form(state, cred, "Choose Authorize access or Refuse.")
        login = form.get("login", "").strip()
        password = form.get("password", "")
        known = login.lower() in (ACCOUNT_LOGIN.lower(), ACCOUNT_EMAIL.lower())
        if not (known and hmac.compare_digest(password.encode(), ACCOUNT_PASSWORD.encode())):
            return _form(state, cred, "Invalid account ID or password.", login)
        _label, seconds = VALIDITIES.get(form.get("validity", "0"), VALIDITIES["0"])
        cred.approve(now(), valid_for=seconds)
        if cred.redirection:
            return RedirectResponse(cred.redirection, status_code=303)
        return _page(
            "Access granted",
            "<p>The application can now use your account. You can close this page.</p>",
        )

    return validation
