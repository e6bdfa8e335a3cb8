"""VK's OAuth endpoints in the emulator (vk.md §2.3-2.6, 2.10), below the app's mount point::

    GET  /oauth/authorize      the sign-in-and-allow page (``response_type=code`` or ``token``)
    POST /oauth/authorize      the page's decision: approve (with the right login) or deny
    GET|POST /oauth/access_token  the code exchange (and ``grant_type=client_credentials``)
    GET|POST /oauth/token      direct authorization: the password grant (oauth_password.py)
    GET  /oauth/blank.html     where ``redirect_uri=https://oauth.vk.com/blank.html`` lands

With ``display=mobile`` or a session cookie, the authorize page hands over to VK's sign-in
pages (``login.py``, through ``VkOAuth.pages``); otherwise it is the one-page sign-in here.

and the control route ``POST /_sandbox/vk/approve {"authorize_url", "deny"?}`` ->
``{"redirect_url"}``: what a browser lands on after the test user signed in and allowed.

Where VK differs from RFC 6749 (and so from ``kit.oauth2``'s server, whose ``AuthCode`` grant
and ``with_params`` are used here): the code exchange is a GET as well as a POST and needs no
``grant_type``; answers carry ``user_id`` and no ``token_type``; ``scope`` is VK's bit mask
(or comma-joined right names), not space-separated words; any redirect URI is accepted (a
real app registers its domain; the sandbox trusts every test's); error answers add VK's own
keys (``error_type``, ``captcha_sid``, ``validation_type``, ``redirect_uri``).

Invariants:
- Checks run in one order and the first failure answers; nothing is spent or minted before
  every check passed. Code exchange: client id (401 ``invalid_client``) -> client secret
  (401 ``invalid_client``) -> grant type -> code given (400 ``invalid_request``) -> code
  known, this app's, alive and unused (401 ``invalid_grant``) -> ``redirect_uri`` equal to
  the authorize request's (400 ``invalid_request``) -> spend, mint (the password grant's
  order is in ``oauth_password``). VK publishes no order, and the statuses are unconfirmed:
  401 for a refused client, code or login, 400 for a malformed request.
- Codes are ``kit.grants`` grants (``kit.oauth2.AuthCode``): bound to the app, single use,
  alive ``CODE_LIFETIME`` seconds (VK: one hour) on the emulator's clock. Authorizations a
  page showed are grants too, pending until decided, listed by ``pending_grants``.
- Minted tokens go into the emulator's one token table (``state.tokens``), as user tokens
  of the account that signed in, with the bits asked for (the code flow drops ``wall`` and
  ``messages``, as VK documents) and ``expires_in`` 0 (never) with ``offline``, else
  ``TOKEN_LIFETIME``; so they work, and are limited, on ``/method`` like the seeded ones.
- In a token fragment ``access_token`` comes first (PyVK checks
  ``fragment.startswith('access_token=')``).
- Everything is on the emulator (``em.oauth``, an ``OAuthBook`` made by its ``seed()``), read
  after any ``await``; a reset forgets every code, authorization and failure count.
- No secret (code, token, client secret, password) reaches a page, a repr or a description.
"""

from __future__ import annotations

import hmac
import secrets
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tether.sandbox import control_api as ctl
from tether.sandbox.kit.grants import Grant, GrantRefused, GrantState, PendingGrant
from tether.sandbox.kit.oauth2 import AuthCode, with_params
from tether.sandbox.kit.pages import PAGE_FIELDS, Shell, TestAccount
from tether.services.vk.sandbox.host import VkHost
from tether.services.vk.sandbox.model.auth import (
    ACCOUNTS,
    APP_ID,
    CLIENT_SECRET,
    SCOPE_BITS,
    USER_ID,
    Account,
    Kind,
    Token,
)

CODE_LIFETIME: Final = 3600.0  # VK: "the code is valid for one hour"
AUTHORIZE_LIFETIME: Final = 3600.0  # a shown page's request, until decided
TOKEN_LIFETIME: Final = 86400  # seconds (vk.md §2.1: typical, unconfirmed for the code flow)
MAX_PENDING: Final = 1000  # shown, undecided authorizations kept (oldest dropped)
#: What VK's own blank page is called; a redirect there lands on the sandbox's.
VK_BLANK: Final = frozenset({"https://oauth.vk.com/blank.html", "https://oauth.vk.ru/blank.html"})
#: Rights VK leaves out of code-flow tokens (vk.md §2.2, [docs]).
_NOT_IN_CODE_FLOW: Final = SCOPE_BITS["wall"] | SCOPE_BITS["messages"]


class VkOAuthError(Exception):
    """An OAuth error answer, VK-shaped: ``{"error", "error_description", …extra}``."""

    def __init__(self, status: int, error: str, description: str, **extra: Any) -> None:
        super().__init__(f"{error}: {description}")
        self.status, self.error, self.description, self.extra = status, error, description, extra

    def response(self) -> JSONResponse:
        body = {"error": self.error, "error_description": self.description, **self.extra}
        return JSONResponse(body, status_code=self.status, headers={"Cache-Control": "no-store"})


@dataclass(eq=False, kw_only=True, repr=False)
class Authorization(Grant):
    """An authorize request a page showed (or the control API took), until decided."""

    ref: str  # public: the page's hidden field names it back
    response_type: str
    redirect_uri: str  # as the application sent it (the code exchange must repeat it)
    target: str  # where the answer goes (the sandbox's blank page for VK's)
    scope: int
    app_state: str | None
    landing: str | None = None  # the redirect, once decided


@dataclass
class OAuthBook:
    """The OAuth part of an emulator's state (a fresh one after each reset)."""

    codes: dict[str, AuthCode] = field(default_factory=dict)
    pending: OrderedDict[str, Authorization] = field(default_factory=OrderedDict)
    failures: Counter[str] = field(default_factory=Counter)  # login -> wrong passwords
    # The login pages' (login.py): remixsid -> user id; a sign-in under way by its hash; the
    # bits each user allowed the application (a later authorize skips the dialog).
    sessions: dict[str, int] = field(default_factory=dict)
    steps: dict[str, Any] = field(default_factory=dict)
    allowed: Counter[int] = field(default_factory=Counter)


class SignInPages(Protocol):
    """VK's own sign-in pages (``login.login_routes`` sets them on ``VkOAuth.pages``)."""

    def show(self, request: Request, auth: Authorization) -> Response | None:
        """The page (or redirect) for a new authorize request, or ``None`` for the
        one-page sign-in below."""
        ...


class _Refused(Exception):
    """An authorize request that cannot be answered by a redirect (§4.1.2.1): a page."""


def parse_scope(text: str | None) -> int | None:
    """VK's ``scope``: a bit mask, or right names joined by commas; ``None`` if neither."""
    if text is None or not text.strip():
        return 0
    text = text.strip()
    if text.isdigit():
        return int(text) if int(text) < 2**31 else None
    bits = 0
    for name in text.split(","):
        bit = SCOPE_BITS.get(name.strip())
        if bit is None:
            return None
        bits |= bit
    return bits


def _words(bits: int) -> list[tuple[str, str]]:
    return [(name, f"bit {bit}") for name, bit in SCOPE_BITS.items() if bits & bit]


def account_for(login: str, password: str) -> Account | None:
    for a in ACCOUNTS:
        if hmac.compare_digest(a.login.encode(), login.strip().encode()) and hmac.compare_digest(
            a.password.encode(), password.encode()
        ):
            return a
    return None


class OAuthHost(VkHost, Protocol):
    """The emulator as these endpoints see it: ``VkHost`` and its ``OAuthBook``."""

    oauth: OAuthBook


class VkOAuth:
    """The OAuth endpoints of one emulator (``em``: its state, guards, clock)."""

    def __init__(self, em: OAuthHost) -> None:
        self.em = em
        user = ACCOUNTS[0]
        self.shell = Shell("VK", TestAccount(user.login, user.password), "Phone or email")
        self.pages: SignInPages | None = None  # set by login.login_routes (login imports us)

    @property
    def book(self) -> OAuthBook:
        return self.em.oauth  # the current one: a reset replaces it

    def routes(self) -> list[Route]:
        return [
            Route("/oauth/authorize", self.authorize, methods=["GET", "POST"]),
            Route("/oauth/access_token", self.access_token, methods=["GET", "POST"]),
            Route("/oauth/blank.html", self.blank, methods=["GET"]),
        ]

    def control_routes(self) -> list[Route]:
        return [Route("/approve", self.control_approve, methods=["POST"])]

    # -- tokens ----------------------------------------------------------------------------

    def mint(self, user_id: int, scope: int) -> tuple[str, int]:
        """A new user token in the emulator's token table, and its ``expires_in``."""
        now = self.em.now()
        offline = bool(scope & SCOPE_BITS["offline"])
        expires_in = 0 if offline else TOKEN_LIFETIME
        value = "vk1.sandbox." + secrets.token_urlsafe(48)
        self.em.state.tokens[value] = Token(
            value, Kind.USER, user_id, scope, APP_ID, None if offline else now + expires_in
        )
        return value, expires_in

    def answer(self, user_id: int, scope: int) -> dict[str, Any]:
        token, expires_in = self.mint(user_id, scope)
        return {"access_token": token, "expires_in": expires_in, "user_id": user_id}

    # -- authorize ---------------------------------------------------------------------------

    def open_request(self, params: dict[str, str], mount: str) -> Authorization:
        """Check an authorize request and record it pending.

        Raises:
            _Refused: an unknown app or a missing or unusable ``redirect_uri``.
            VkOAuthError: anything to answer by a redirect (its ``extra`` holds the target).
        """
        if params.get("client_id") != APP_ID:
            raise _Refused("This link names no known application (client_id).")
        response_type = params.get("response_type", "code")
        redirect_uri = params.get("redirect_uri")
        if redirect_uri is None and response_type == "token":
            redirect_uri = "https://oauth.vk.com/blank.html"  # VK's default for the implicit flow
        parts = urlsplit(redirect_uri or "")
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise _Refused("redirect_uri is missing or not an http(s) URL.")
        assert redirect_uri is not None
        own_blank = parts.path.endswith("/oauth/blank.html")
        target = f"{mount}/oauth/blank.html" if redirect_uri in VK_BLANK or own_blank else None
        target = target or redirect_uri
        now = self.em.now()
        state = params.get("state")
        fragment = response_type == "token"
        echo = {"state": state} if state is not None else {}
        if response_type not in ("code", "token"):
            raise VkOAuthError(
                400, "unsupported_response_type", "response_type must be code or token",
                target=target, fragment=False, **echo,
            )  # fmt: skip
        scope = parse_scope(params.get("scope"))
        if scope is None:
            raise VkOAuthError(
                400, "invalid_scope", "scope is a bit mask or right names joined by commas",
                target=target, fragment=fragment, **echo,
            )  # fmt: skip
        if response_type == "code":
            scope &= ~_NOT_IN_CODE_FLOW
        auth = Authorization(
            api_key=APP_ID, created=now, lifetime=AUTHORIZE_LIFETIME,
            ref=secrets.token_hex(8), response_type=response_type, redirect_uri=redirect_uri,
            target=target, scope=scope, app_state=state,
        )  # fmt: skip
        pending = self.book.pending
        pending[auth.ref] = auth
        while len(pending) > MAX_PENDING:
            pending.popitem(last=False)
        return auth

    def decide(self, auth: Authorization, user_id: int | None) -> str:
        """Approve (as ``user_id``) or deny (``None``) a pending request: where it lands."""
        now = self.em.now()
        book = self.book
        fragment = auth.response_type == "token"
        if user_id is None:
            auth.deny(now)
            answer = {
                "error": "access_denied",
                "error_reason": "user_denied",
                "error_description": "User denied your request",
            }
        else:
            auth.approve(now)
            if fragment:
                token, expires_in = self.mint(user_id, auth.scope)
                answer = {
                    "access_token": token,  # first: PyVK checks the fragment starts with it
                    "expires_in": str(expires_in),
                    "user_id": str(user_id),
                }
            else:
                value = secrets.token_hex(9)
                code = AuthCode(
                    api_key=APP_ID, created=now, lifetime=CODE_LIFETIME,
                    redirect_uri=auth.redirect_uri, redirect_given=True, user=str(user_id),
                    scope=str(auth.scope),
                )  # fmt: skip
                code.approve(now)
                book.codes[value] = code
                answer = {"code": value}
        if auth.app_state is not None:
            answer["state"] = auth.app_state
        auth.landing = with_params(auth.target, answer, fragment=fragment)
        book.pending.pop(auth.ref, None)
        return auth.landing

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        fields: dict[str, str] = {}
        if request.method == "POST":
            for name, value in parse_qsl((await request.body()).decode("utf-8", "replace")):
                (fields if name in PAGE_FIELDS else params)[name] = value
        mount = mount_of(request)
        ref = params.pop("request", None)
        if request.method == "POST" and ref is not None:
            return self._page_decision(ref, fields)
        try:
            auth = self.open_request(params, mount)
        except _Refused as refusal:
            return self.shell.notice("Error", str(refusal), 400)
        except VkOAuthError as e:
            return _redirect_error(e)
        # VK's multi-page sign-in (display=mobile, or a session cookie): login.py.
        shown = self.pages.show(request, auth) if self.pages is not None else None
        return shown if shown is not None else self._consent(auth)

    def _page_decision(self, ref: str, fields: dict[str, str]) -> Response:
        auth = self.book.pending.get(ref)
        if auth is None or not auth.alive(self.em.now()):
            return self.shell.notice("Expired", "This request is over; start again.", 400)
        action = fields.get("action")
        if action == "deny":
            return RedirectResponse(self.decide(auth, None), 303)
        if action != "approve":
            return self._consent(auth, error="Choose Allow or Cancel.")
        account = account_for(fields.get("login", ""), fields.get("password", ""))
        if account is None:
            return self._consent(auth, fields.get("login", ""), "Wrong login or password.")
        # 303: a browser follows a POST's redirect with a GET.
        return RedirectResponse(self.decide(auth, account.user_id), 303)

    def _consent(self, auth: Authorization, login: str = "", error: str = "") -> Response:
        asks = _words(auth.scope) or [("basic access", "your public profile")]
        return self.shell.consent(
            app_name=f"Application {APP_ID}", asks=asks, heading=("Right", "Bit"),
            hidden={"request": auth.ref}, login=login, error=error, approve="Allow",
            deny="Cancel",
        )  # fmt: skip

    async def blank(self, request: Request) -> Response:
        # The answer is in the fragment (or query): the page only says so, as VK's does.
        return self.shell.notice(
            "Authorization", "Copy the address of this page into the application that asked."
        )

    async def control_approve(self, request: Request) -> Response:
        body = await ctl.json_object(request, fields=("authorize_url", "deny"))
        url = ctl.string(body, "authorize_url")
        deny = ctl.boolean(body, "deny", False)
        parts = urlsplit(url)
        if not parts.path.endswith("/authorize"):
            raise ctl.bad(f"authorize_url must be an authorize URL, got {ctl.show(url)}")
        params = dict(parse_qsl(parts.query, keep_blank_values=True))
        if parts.path.endswith("/oauth/authorize") and parts.netloc:
            mount = f"{parts.scheme}://{parts.netloc}{parts.path[: -len('/oauth/authorize')]}"
        else:  # VK's own URL (oauth.vk.com/authorize): land on this sandbox's VK
            base = mount_of(request)
            mount = base.replace("/_sandbox/vk", "/vk")
        try:
            auth = self.open_request(params, mount)
        except _Refused as refusal:
            raise ctl.bad(f"authorize_url: {refusal}") from None
        except VkOAuthError as e:
            return JSONResponse({"redirect_url": _error_url(e)})
        return JSONResponse({"redirect_url": self.decide(auth, None if deny else USER_ID)})

    def pending_grants(self) -> list[PendingGrant]:
        """Authorizations a page showed and nobody decided: approving one signs in as the
        test user and allows, as the page would."""
        now = self.em.now()
        return [
            PendingGrant(
                kind="authorization" if a.response_type == "code" else "implicit token",
                app_key=a.api_key,
                ref=a.ref,
                created=a.created,
                asks=", ".join(w for w, _ in _words(a.scope)) or "basic access",
                approve=partial(self.decide, a, USER_ID),
            )
            for a in self.book.pending.values()
            if a.current(now) is GrantState.PENDING
        ]

    # -- the token endpoints -----------------------------------------------------------------

    async def params(self, request: Request) -> dict[str, str]:
        params = dict(request.query_params)
        if request.method == "POST":
            raw = (await request.body())[: 64 * 1024]
            params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        return params

    @staticmethod
    def check_client(params: dict[str, str]) -> None:
        if params.get("client_id") != APP_ID:
            raise VkOAuthError(401, "invalid_client", "client_id is incorrect")
        secret = params.get("client_secret", "")
        if not hmac.compare_digest(secret.encode(), CLIENT_SECRET.encode()):
            raise VkOAuthError(401, "invalid_client", "client_secret is incorrect")

    async def access_token(self, request: Request) -> Response:
        params = await self.params(request)
        try:
            self.check_client(params)
            grant = params.get("grant_type", "authorization_code")
            if grant == "client_credentials":  # vk.md §2.5: a service token
                return JSONResponse({"access_token": _service_token(self), "expires_in": 0})
            if grant != "authorization_code":
                raise VkOAuthError(400, "unsupported_grant_type", "grant_type is not supported")
            return JSONResponse(self._exchange(params), headers={"Cache-Control": "no-store"})
        except VkOAuthError as e:
            return e.response()

    def _exchange(self, params: dict[str, str]) -> dict[str, Any]:
        value = params.get("code")
        if not value:
            raise VkOAuthError(400, "invalid_request", "code is undefined")
        now = self.em.now()
        code = self.book.codes.get(value)
        invalid = VkOAuthError(401, "invalid_grant", "Code is invalid or expired.")
        try:
            if code is None or code.check(now, APP_ID) is not GrantState.APPROVED:
                raise invalid
        except GrantRefused:
            raise invalid from None
        if params.get("redirect_uri") != code.redirect_uri:
            raise VkOAuthError(
                400,
                "invalid_request",
                "redirect_uri is incorrect, check application redirect uri in the settings page",
            )
        code.use(now, api_key=APP_ID)
        return self.answer(int(code.user), int(code.scope))


def mount_of(request: Request) -> str:
    """The app's URL as the client addressed it, mount point included (``root_path``; the
    same rule as ``app._mount_url``, which this module cannot import: app imports it)."""
    host = request.headers.get("host") or "127.0.0.1"
    return f"{request.url.scheme}://{host}{request.scope.get('root_path', '')}"


def _service_token(oauth: VkOAuth) -> str:
    value = "vk1.sandbox.service." + secrets.token_urlsafe(32)
    oauth.em.state.tokens[value] = Token(value, Kind.SERVICE, int(APP_ID), 0, APP_ID)
    return value


def _error_url(e: VkOAuthError) -> str:
    extra = dict(e.extra)
    target, fragment = extra.pop("target"), extra.pop("fragment")
    return with_params(
        target, {"error": e.error, "error_description": e.description, **extra}, fragment=fragment
    )


def _redirect_error(e: VkOAuthError) -> Response:
    return RedirectResponse(_error_url(e), 302)
