"""VK's sign-in pages in the emulator (vk.md §2.7, 2.9, 2.10), below the app's mount point::

    GET  /oauth/authorize?display=mobile…  (oauth.py) the password page, or with a session
                                           cookie the permission dialog (or the token at once)
    POST /login?act=login                  email + pass (+ captcha_sid/captcha_key)
    GET  /login?act=authcheck&hash=        the 2FA code page   POST ?act=authcheck_code
    GET  /login?act=security_check&hash=   the phone-digits page (also error 17's
                                           ``redirect_uri``, with ``api_hash=``)
    POST /login?act=security_check         the digits
    GET  /login?act=continue&to=           after signing in: the dialog, or the token
    POST /login?act=grant_access&to=       "Allow"; ``GET …&cancel=1`` is the "Cancel" link

Pages are built the way PyVK's ``ClientAuth`` reads VK's (fixtures in vk.md §2.7) and a
browser shows them: exactly one ``<form>`` per page, its action absolute (the mount point
included) and carrying ``act=``; a wrong answer comes back as the same page with an element
of class ``service_msg_warning``; no path holds ``err`` (PyVK restarts on such a path); the
last step answers ``302`` to ``blank.html`` with ``access_token`` first in the fragment.

Invariants:
- A sign-in goes password -> the 2FA code (an account with ``code``) -> the phone digits (an
  account with ``phone``) -> a session; each page after the password names its ``Step`` by a
  random hash, and a step belongs to one account. A wrong code or wrong digits keep the step
  (a person may try again); an unknown or spent hash answers a page with no form.
- Once ``CAPTCHA_AFTER`` wrong passwords were typed for a login (the count the password
  grant keeps too), its next password needs a captcha (``guards``, method ``login``): the
  page comes back with the picture and no warning, and a wrong key is a warning.
- A session is the ``remixsid`` cookie (with ``p`` and ``l``, as VK sets them), on the mount
  point's path, HttpOnly; a reset forgets all sessions. With one, an authorize skips the
  password, and skips the dialog too when the user already allowed every bit asked (unless
  ``revoke=1``).
- Error 17's check (``api_hash``) asks the signed-in user (the session's, else one who signs
  in first) the middle digits of the account's number; passed, it lands on
  ``blank.html#success=1&access_token=…&user_id=…``: a new token with the rights of the
  user's newest token (VK keeps the application's rights).
- Every value on a page is escaped (``html.escape``); no secret (password, code, token, the
  session) is ever written into a page.
"""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass, field
from html import escape
from typing import Final
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tether.sandbox.kit.pages import form, paragraph
from tether.services.vk.sandbox.model.auth import ACCOUNTS, APP_ID, SCOPE_BITS, Account, Kind
from tether.services.vk.sandbox.oauth import (
    Authorization,
    OAuthBook,
    VkOAuth,
    account_for,
    mount_of,
)
from tether.services.vk.sandbox.oauth_password import CAPTCHA_AFTER

STEP_LIFETIME: Final = 600.0  # seconds a page after the password stays answerable
MAX_STEPS: Final = 1000
_CAPTCHA_METHOD: Final = "login"
_ROWS: Final = (
    "You are trying to sign in from an unusual place.",
    "To confirm that you are the owner of the page, enter the missing digits of the phone "
    "number linked to it.",
)


@dataclass(eq=False)
class Step:
    """A sign-in (or error 17's check) under way, past the password."""

    user_id: int
    todo: list[str]  # "code", "phone", in order
    ref: str | None  # the pending authorization to finish, or None for a validation
    created: float
    fresh: bool = True  # signed in by password here: a session is made at the end
    extra: dict[str, str] = field(default_factory=dict)


def _account(user_id: int) -> Account:
    return next(a for a in ACCOUNTS if a.user_id == user_id)


def _digits(number: str) -> tuple[str, str, str]:
    """The number as the page splits it: shown prefix, asked middle, shown suffix."""
    return number[:2], number[2:-2], number[-2:]


def _warning(text: str) -> str:
    return f'<div class="service_msg service_msg_warning">{escape(text)}</div>' if text else ""


class LoginPages:
    """The pages of one emulator's ``VkOAuth``."""

    def __init__(self, oauth: VkOAuth) -> None:
        self.oauth = oauth

    @property
    def book(self) -> OAuthBook:
        return self.oauth.book  # the current one: a reset replaces it

    # -- oauth.py's hook -------------------------------------------------------------------

    def show(self, request: Request, auth: Authorization) -> Response | None:
        user = self._session(request)
        if user is not None:
            revoke = request.query_params.get("revoke") == "1"
            return self._continue(request, auth, user, revoke)
        if request.query_params.get("display") == "mobile":
            return self._password_page(request, auth.ref)
        return None  # the one-page sign-in (oauth.py's consent page)

    # -- the route ---------------------------------------------------------------------------

    async def login(self, request: Request) -> Response:
        q = request.query_params
        act = q.get("act", "")
        fields: dict[str, str] = {}
        if request.method == "POST":
            raw = (await request.body())[: 64 * 1024]
            fields = dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        if act == "login" and request.method == "POST":
            return self._password(request, fields)
        if act == "authcheck" or (act == "authcheck_code" and request.method == "GET"):
            return self._step_page(request, q.get("hash", "") or q.get("api_hash", ""))
        if act == "authcheck_code":
            return self._answer(request, q.get("hash", ""), "code", fields.get("code", ""))
        if act == "security_check":
            hash_ = q.get("hash", "")
            if request.method == "POST":
                return self._answer(request, hash_, "phone", fields.get("code", ""))
            if not hash_ and q.get("api_hash"):
                return self._validation(request, q["api_hash"])
            return self._step_page(request, hash_)
        if act in ("continue", "grant_access"):
            auth = self._pending(q.get("to", ""))
            if auth is None:
                return self._over()
            if act == "grant_access" and q.get("cancel") == "1":
                return RedirectResponse(self.oauth.decide(auth, None), 302)
            user = self._session(request)
            if user is None:
                return self._password_page(request, auth.ref)
            if act == "grant_access" and request.method == "POST":
                self.book.allowed[user] |= auth.scope
                return RedirectResponse(self.oauth.decide(auth, user), 302)
            return self._continue(request, auth, user, False)
        return self.oauth.shell.notice("Unknown page", "There is no such page.", 404)

    # -- password ----------------------------------------------------------------------------

    def _password(self, request: Request, fields: dict[str, str]) -> Response:
        to, login = fields.get("to", ""), fields.get("email", "").strip()
        validation = to.startswith("v:")
        auth = None if validation else self._pending(to)
        if auth is None and not validation:
            return self._over()
        book, guards = self.book, self.oauth.em.guards
        if book.failures[login] >= CAPTCHA_AFTER:
            sid, key = fields.get("captcha_sid", ""), fields.get("captcha_key", "")
            if not (sid and guards.captcha_passes(_CAPTCHA_METHOD, sid, key)):
                said = "Wrong code from the picture." if sid else ""
                return self._password_page(request, to, login, said, captcha=True)
        account = account_for(login, fields.get("pass", ""))
        if account is None:
            book.failures[login] += 1
            captcha = book.failures[login] >= CAPTCHA_AFTER
            said = "Invalid login or password."
            return self._password_page(request, to, login, said, captcha=captcha)
        book.failures.pop(login, None)
        todo = [k for k, v in (("code", account.code), ("phone", account.phone)) if v]
        if validation:
            todo = [t for t in todo if t != "phone"] + ["phone"]
        step = Step(account.user_id, todo, None if validation else to, self.oauth.em.now())
        return self._advance(request, step)

    def _password_page(
        self, request: Request, to: str, login: str = "", warning: str = "", captcha: bool = False
    ) -> Response:
        mount = mount_of(request)
        hidden = {"_origin": "https://oauth.vk.com", "ip_h": secrets.token_hex(9),
                  "lg_h": secrets.token_hex(8), "to": to}  # fmt: skip
        inner = (
            f'<label>Phone or email <input type="text" name="email" value="{escape(login)}">'
            '</label><label>Password <input type="password" name="pass"></label>'
        )
        if captcha:
            c = self.oauth.em.guards.new_captcha(_CAPTCHA_METHOD)
            img = f"{mount}/captcha.php?sid={c.sid}&s=1"
            hidden["captcha_sid"] = c.sid
            inner += (
                f'<p><img class="captcha_img" src="{escape(img)}" alt="captcha"></p>'
                '<label>Code from the picture <input type="text" name="captcha_key"></label>'
            )
        inner += '<button type="submit">Sign in</button>'
        action = f"{mount}/login?act=login&soft=1&utf8=1"
        accounts = ", ".join(f"{a.login} / {a.password}" for a in ACCOUNTS)
        body = (
            _warning(warning)
            + form(inner, hidden=hidden, action=action)
            + paragraph(f"Sandbox test accounts (login / password): {accounts}.")
        )
        return self.oauth.shell.page("Sign in to VK", body)

    # -- the steps after the password --------------------------------------------------------

    def _advance(self, request: Request, step: Step) -> Response:
        """The next page of ``step``, or its end: a session and the dialog, or the token."""
        mount = mount_of(request)
        if step.todo:
            hash_ = secrets.token_hex(10)
            steps = self.book.steps
            steps[hash_] = step
            while len(steps) > MAX_STEPS:
                steps.pop(next(iter(steps)))
            act = "authcheck" if step.todo[0] == "code" else "security_check"
            return RedirectResponse(f"{mount}/login?act={act}&hash={hash_}", 302)
        if step.ref is None:  # error 17's check, passed
            response: Response = RedirectResponse(self._validated(mount, step.user_id), 302)
        else:
            to = urlencode({"to": step.ref})
            response = RedirectResponse(f"{mount}/login?act=continue&{to}", 302)
        if step.fresh:
            self._open_session(request, response, step.user_id)
        return response

    def _live_step(self, hash_: str) -> Step | None:
        step: Step | None = self.book.steps.get(hash_) if hash_ else None
        if step is None or self.oauth.em.now() - step.created > STEP_LIFETIME or not step.todo:
            return None
        return step

    def _step_page(self, request: Request, hash_: str, warning: str = "") -> Response:
        step = self._live_step(hash_)
        if step is None:
            return self._over()
        mount = mount_of(request)
        q = urlencode({"hash": hash_})
        if step.todo[0] == "code":
            inner = (
                paragraph("Enter the code provided by the code generating app.")
                + '<label>Code <input type="text" name="code" autocomplete="one-time-code">'
                '</label><label><input type="checkbox" name="remember" value="1" checked> '
                'Remember this device</label><button type="submit">Confirm</button>'
            )
            action = f"{mount}/login?act=authcheck_code&{q}"
            title = "Two-factor authentication"
            rows = ""
        else:
            prefix, _, suffix = _digits(_account(step.user_id).number)
            inner = (
                f'<span class="field_prefix">{escape(prefix)}</span>'
                '<input type="text" name="code" autocomplete="off">'
                f'<span class="field_prefix">&nbsp;{escape(suffix)}</span>'
                '<button type="submit">Confirm</button>'
            )
            action = f"{mount}/login?act=security_check&to=&{q}&api_hash={escape(hash_)}"
            title = "Security check"
            rows = "".join(f'<div class="fi_row">{escape(r)}</div>' for r in _ROWS)
        body = _warning(warning) + rows + form(inner, action=action)
        return self.oauth.shell.page(title, body)

    def _answer(self, request: Request, hash_: str, kind: str, given: str) -> Response:
        step = self._live_step(hash_)
        if step is None or step.todo[0] != kind:
            return self._over()
        account = _account(step.user_id)
        if kind == "code":
            expected = account.code or ""
        else:
            expected = _digits(account.number)[1]
            given = "".join(ch for ch in given if ch.isdigit())
        if not (given and hmac.compare_digest(given.encode(), expected.encode())):
            said = "Incorrect code." if kind == "code" else "Incorrect digits of the number."
            return self._step_page(request, hash_, said)
        del self.book.steps[hash_]
        step.todo.pop(0)
        return self._advance(request, step)

    # -- error 17's check --------------------------------------------------------------------

    def _validation(self, request: Request, api_hash: str) -> Response:
        user = self._session(request)
        if user is None:  # sign in first; the check follows the password (and the code)
            return self._password_page(request, "v:" + api_hash)
        step = Step(user, ["phone"], None, self.oauth.em.now(), fresh=False)
        return self._advance(request, step)

    def _validated(self, mount: str, user_id: int) -> str:
        tokens = self.oauth.em.state.tokens.values()
        mine = [t for t in tokens if t.kind is Kind.USER and t.owner == user_id]
        scope = mine[-1].scope if mine else 0
        token, _ = self.oauth.mint(user_id, scope)
        answer = urlencode({"success": "1", "access_token": token, "user_id": str(user_id)})
        return f"{mount}/oauth/blank.html#{answer}"

    # -- sessions and the dialog -------------------------------------------------------------

    def _session(self, request: Request) -> int | None:
        sid = request.cookies.get("remixsid", "")
        return self.book.sessions.get(sid) if sid else None

    def _open_session(self, request: Request, response: Response, user_id: int) -> None:
        sid = secrets.token_urlsafe(24)
        self.book.sessions[sid] = user_id
        path = request.scope.get("root_path") or "/"
        for name, value in (("remixsid", sid), ("p", secrets.token_hex(12)), ("l", str(user_id))):
            response.set_cookie(name, value, path=path, httponly=True, samesite="lax")

    def _pending(self, ref: str) -> Authorization | None:
        auth = self.book.pending.get(ref) if ref else None
        return auth if auth is not None and auth.alive(self.oauth.em.now()) else None

    def _continue(self, request: Request, auth: Authorization, user: int, revoke: bool) -> Response:
        if not revoke and auth.scope & ~self.book.allowed[user] == 0 and user in self.book.allowed:
            return RedirectResponse(self.oauth.decide(auth, user), 302)
        mount = mount_of(request)
        to = urlencode({"to": auth.ref})
        rights = ", ".join(w for w, _ in _rights(auth.scope)) or "basic access"
        action = f"{mount}/login?act=grant_access&client_id={APP_ID}&{to}"
        cancel = f"{mount}/login?act=grant_access&{to}&cancel=1"
        body = (
            paragraph(f"Application {APP_ID} asks for access to your account: {rights}.")
            + form('<button type="submit">Allow</button>', action=action)
            + f'<p><a class="button_cancel" href="{escape(cancel)}">Cancel</a></p>'
        )
        return self.oauth.shell.page("Allow access?", body)

    def _over(self) -> Response:
        return self.oauth.shell.notice("Expired", "This sign-in is over; start again.", 400)


def _rights(bits: int) -> list[tuple[str, int]]:
    return [(name, bit) for name, bit in SCOPE_BITS.items() if bits & bit]


def login_routes(oauth: VkOAuth) -> list[Route]:
    """The ``/login`` route, and the pages set on ``oauth`` for its authorize page."""
    pages = LoginPages(oauth)
    oauth.pages = pages
    return [Route("/login", pages.login, methods=["GET", "POST"])]
