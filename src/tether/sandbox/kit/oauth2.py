"""An OAuth 2 authorization server for emulators (RFC 6749, PKCE RFC 7636): a token endpoint
and an authorize page, on a narrow backend the service supplies (its clients, its users'
password check, its token lifetime, how it mints a token).

Token endpoint (``POST``), checked in this order; the first failure answers and nothing is
spent or minted:

1. ``Content-Type`` is a form (400 ``invalid_request``); no parameter is sent twice (400
   ``invalid_request``, RFC 6749 §3.2).
2. The client: HTTP Basic when an ``Authorization: Basic`` header is sent (it wins over form
   fields, as OVH's endpoint always did), else ``client_id``/``client_secret`` form fields.
   Unreadable, unknown or a wrong secret: 401 ``invalid_client`` with ``WWW-Authenticate``. A
   public client (no secret) is identified by its ``client_id`` alone.
3. ``grant_type`` is one this server offers (400 ``unsupported_grant_type``), then one this
   client may use (400 ``unauthorized_client``).
4. The grant's own checks: required fields present (400 ``invalid_request``); then 400
   ``invalid_grant`` for a code that is unknown, expired, another client's or already used,
   a ``redirect_uri`` that differs from the authorization request's, a PKCE verifier that
   does not match (``S256`` or ``plain``), a refresh token unknown, spent or another client's,
   a wrong username or password.
5. The scope (400 ``invalid_scope``).
6. Spend (the code or refresh token moves to ``used``), mint, answer 200 with
   ``Cache-Control: no-store``.

Authorize page (``GET`` shows, ``POST`` decides), checked in this order:

1. ``client_id`` known and ``redirect_uri`` registered for it (exact match; may be left out
   when the client has exactly one): otherwise an error page, never a redirect (§4.1.2.1).
2. Everything else answers by redirecting to ``redirect_uri`` with ``error`` and ``state``
   (in the fragment for ``response_type=token``): ``unsupported_response_type``,
   ``unauthorized_client``, ``invalid_scope``, ``invalid_request`` (an unknown PKCE method; a
   public client without a code challenge).
3. ``GET``: the sign-in and consent page (``kit.pages``), the request carried in hidden fields.
4. ``POST`` ``action=deny``: redirect with ``error=access_denied``; ``action=approve`` with
   the wrong login: the page again, 401; with the right one: a code (``?code=…&state=…``) or,
   for the implicit grant, a token in the fragment (no refresh token, §4.2.2).

Invariants:
- Codes and refresh tokens are ``kit.grants.Grant`` s bound to the client: single use, a code
  lives ``Config.code_lifetime`` seconds on the emulator's clock. Reusing a code is refused
  and revokes the refresh token issued from it (§4.1.2). Refresh tokens rotate.
- The kit's state (``OAuth2State``) hangs off the emulator (``backend.oauth2_state``, remade
  by its ``seed()``) and is read only after the request body has arrived.
- Secrets (client secrets, codes, verifiers, tokens, passwords) never reach a page, a repr
  or an error description; a page shows the test account's password on purpose (it is the
  sandbox's, shown so a person can sign in).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl, unquote_plus, urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from tether.sandbox.kit.grants import Grant, GrantRefused, GrantState
from tether.sandbox.kit.pages import PAGE_FIELDS, Shell

#: Grant types of the token endpoint, and ``implicit`` for ``response_type=token``.
GRANT_TYPES: Final = frozenset(
    {"authorization_code", "client_credentials", "password", "refresh_token", "implicit"}
)
_RESPONSE_TYPES: Final = {"code": "authorization_code", "token": "implicit"}
_PKCE_METHODS: Final = frozenset({"S256", "plain"})
_FORM: Final = "application/x-www-form-urlencoded"


class OAuthError(Exception):
    """An RFC 6749 §5.2 error answer."""

    def __init__(self, status: int, error: str, description: str) -> None:
        super().__init__(f"{error}: {description}")
        self.status = status
        self.error = error
        self.description = description

    def response(self, realm: str) -> JSONResponse:
        headers = {"Cache-Control": "no-store"}
        if self.status == 401:
            headers["WWW-Authenticate"] = f'Basic realm="{realm}"'
        body = {"error": self.error, "error_description": self.description}
        return JSONResponse(body, status_code=self.status, headers=headers)


def _invalid_request(description: str) -> OAuthError:
    return OAuthError(400, "invalid_request", description)


def _invalid_grant(description: str) -> OAuthError:
    return OAuthError(400, "invalid_grant", description)


@dataclass(frozen=True, slots=True, repr=False)
class OAuthClient:
    """A registered application.

    Attributes:
        client_id: its identifier.
        secret: its secret, or ``None`` for a public client (which must use PKCE).
        redirect_uris: where its authorizations may be sent back (exact strings).
        grants: the grant types it may use (``GRANT_TYPES``' names).
        name: what the consent page calls it.
    """

    client_id: str
    secret: str | None = None
    redirect_uris: tuple[str, ...] = ()
    grants: frozenset[str] = frozenset({"client_credentials"})
    name: str = ""

    def __repr__(self) -> str:
        return f"OAuthClient(client_id={self.client_id!r}, secret=***)"


@dataclass(eq=False, kw_only=True, repr=False)
class AuthCode(Grant):
    """An authorization code: approved when issued, spent by the token request."""

    redirect_uri: str
    redirect_given: bool  # the authorization request named it: the token request must too
    user: str
    scope: str
    challenge: str | None = None
    method: str = "plain"
    refresh_token: str | None = None  # issued from it: revoked if the code is reused


@dataclass(eq=False, kw_only=True, repr=False)
class RefreshGrant(Grant):
    """A refresh token: approved when issued, spent (rotated) by a refresh."""

    user: str | None
    scope: str


@dataclass
class OAuth2State:
    """The kit's part of an emulator's state: codes and refresh tokens by value."""

    codes: dict[str, AuthCode] = field(default_factory=dict)
    refresh: dict[str, RefreshGrant] = field(default_factory=dict)


class Backend(Protocol):
    """What the service supplies."""

    oauth2_state: OAuth2State

    def now(self) -> float: ...

    def oauth2_client(self, client_id: str) -> OAuthClient | None: ...

    def oauth2_user(self, login: str, password: str) -> str | None:
        """The user id for this login and password, or ``None``."""
        ...

    def oauth2_expires_in(self) -> int:
        """The lifetime announced for a new access token."""
        ...

    def oauth2_mint(
        self, client: OAuthClient, user: str | None, scope: str, expires_in: int
    ) -> str:
        """Record a new access token and return it."""
        ...


@dataclass(frozen=True, slots=True)
class Config:
    """The server as data.

    Attributes:
        token_path, authorize_path: where the endpoints are (``None``: not served).
        grants: the grant types offered.
        scopes: the scopes a client may ask for (``None``: any, echoed back).
        default_scope: the scope given when none is asked for.
        scope_text: what each scope allows, for the consent page.
        code_lifetime: seconds a code stays usable.
        refresh_tokens: issue refresh tokens with code, password and refresh grants.
        realm: the ``WWW-Authenticate`` realm of a 401.
    """

    token_path: str = "/oauth2/token"
    authorize_path: str | None = "/oauth2/authorize"
    grants: frozenset[str] = GRANT_TYPES
    scopes: frozenset[str] | None = None
    default_scope: str = ""
    scope_text: Mapping[str, str] = field(default_factory=dict)
    code_lifetime: float = 600.0
    refresh_tokens: bool = True
    realm: str = "tether sandbox"


#: The endpoints: (the ``Config`` field holding the path, methods, handler name).
ENDPOINTS: Final = (
    ("token_path", ("POST",), "token"),
    ("authorize_path", ("GET", "POST"), "authorize"),
)


def pkce_matches(method: str, challenge: str, verifier: str) -> bool:
    """RFC 7636 §4.6, in constant time."""
    if method == "S256":
        digest = hashlib.sha256(verifier.encode("ascii", "replace")).digest()
        verifier = base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")
    return hmac.compare_digest(verifier.encode(), challenge.encode())


def with_params(url: str, params: Mapping[str, str], *, fragment: bool = False) -> str:
    """``url`` with ``params`` added to its query, or set as its fragment."""
    parts = urlsplit(url)
    encoded = urlencode(params)
    if fragment:
        return urlunsplit(parts._replace(fragment=encoded))
    return urlunsplit(parts._replace(query="&".join(q for q in (parts.query, encoded) if q)))


@dataclass(frozen=True, slots=True)
class _Outcome:
    """What a grant gives: whose token, for what, and whether a refresh token comes with it."""

    user: str | None
    scope: str
    refresh: bool
    code: AuthCode | None = None


class AuthorizationServer:
    """The endpoints of one emulator's OAuth 2 server."""

    def __init__(self, backend: Backend, shell: Shell, config: Config | None = None) -> None:
        self.backend = backend
        self.shell = shell
        self.config = config or Config()
        self._grants: dict[str, Callable[[OAuthClient, dict[str, str], float], _Outcome]] = {
            "authorization_code": self._code_grant,
            "client_credentials": self._client_grant,
            "password": self._password_grant,
            "refresh_token": self._refresh_grant,
        }

    def routes(self) -> list[Route]:
        out = []
        for attribute, methods, handler in ENDPOINTS:
            path = getattr(self.config, attribute)
            if path is not None:
                out.append(Route(path, getattr(self, handler), methods=list(methods)))
        return out

    # -- token endpoint -----------------------------------------------------------------------

    async def token(self, request: Request) -> Response:
        try:
            if not request.headers.get("content-type", "").startswith(_FORM):
                raise _invalid_request(f"Content-Type must be {_FORM}")
            pairs = parse_qsl((await request.body()).decode("utf-8", "replace"))
            form = dict(pairs)
            if len(form) != len(pairs):
                raise _invalid_request("a parameter is sent more than once")
            now = self.backend.now()
            client = self._authenticate(request.headers.get("authorization", ""), form)
            grant = form.get("grant_type")
            handler = self._grants.get(grant or "") if grant in self.config.grants else None
            if handler is None:
                raise OAuthError(
                    400, "unsupported_grant_type", f"grant_type {grant!r} is not supported"
                )
            if grant not in client.grants:
                raise OAuthError(400, "unauthorized_client", f"this client may not use {grant}")
            return self._issue(client, handler(client, form, now), now)
        except OAuthError as refusal:
            return refusal.response(self.config.realm)

    def _authenticate(self, authorization: str, form: Mapping[str, str]) -> OAuthClient:
        client_id, secret = form.get("client_id"), form.get("client_secret")
        if authorization[:6].lower() == "basic ":
            try:
                decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode()
            except (binascii.Error, UnicodeDecodeError):
                raise OAuthError(401, "invalid_client", "client authentication failed") from None
            user, _, password = decoded.partition(":")
            # RFC 6749 §2.3.1: both parts are form-encoded before base64.
            client_id, secret = unquote_plus(user), unquote_plus(password)
        client = self.backend.oauth2_client(client_id or "")
        if client is None:
            raise OAuthError(401, "invalid_client", "client authentication failed")
        if client.secret is not None and not hmac.compare_digest(
            (secret or "").encode(), client.secret.encode()
        ):
            raise OAuthError(401, "invalid_client", "client authentication failed")
        return client

    def _scope(self, requested: str | None, allowed: frozenset[str] | None = None) -> str:
        """The scope to grant for ``requested`` (``None``: the default; ``allowed``: what a
        refresh may ask for, the original grant's)."""
        if requested is None:
            return self.config.default_scope
        items = requested.split()
        offered = self.config.scopes if allowed is None else allowed
        if offered is not None and (not items or any(s not in offered for s in items)):
            if len(offered) == 1:
                raise OAuthError(400, "invalid_scope", f"the only scope is {next(iter(offered))!r}")
            raise OAuthError(400, "invalid_scope", "scope must be among: " + " ".join(offered))
        return " ".join(items)

    def _client_grant(self, client: OAuthClient, form: dict[str, str], now: float) -> _Outcome:
        if client.secret is None:
            raise OAuthError(400, "unauthorized_client", "a public client has no credentials")
        return _Outcome(None, self._scope(form.get("scope")), refresh=False)

    def _password_grant(self, client: OAuthClient, form: dict[str, str], now: float) -> _Outcome:
        login, password = form.get("username"), form.get("password")
        if not login or password is None:
            raise _invalid_request("username and password are required")
        user = self.backend.oauth2_user(login, password)
        if user is None:
            raise _invalid_grant("wrong username or password")
        return _Outcome(user, self._scope(form.get("scope")), refresh=self.config.refresh_tokens)

    def _code_grant(self, client: OAuthClient, form: dict[str, str], now: float) -> _Outcome:
        value = form.get("code")
        if not value:
            raise _invalid_request("code is required")
        state = self.backend.oauth2_state
        code = state.codes.get(value)
        try:
            if code is None or code.check(now, client.client_id) is GrantState.USED:
                if code is not None:  # §4.1.2: a reused code revokes what it gave
                    self._revoke(code.refresh_token, now)
                raise _invalid_grant("the code is unknown, expired or already used")
        except GrantRefused:
            raise _invalid_grant("the code is unknown, expired or already used") from None
        if (code.redirect_given or "redirect_uri" in form) and form.get(
            "redirect_uri"
        ) != code.redirect_uri:
            raise _invalid_grant("redirect_uri differs from the authorization request's")
        if code.challenge is not None:
            verifier = form.get("code_verifier")
            if not verifier:
                raise _invalid_request("code_verifier is required")
            if not pkce_matches(code.method, code.challenge, verifier):
                raise _invalid_grant("the code verifier does not match the code challenge")
        return _Outcome(code.user, code.scope, refresh=self.config.refresh_tokens, code=code)

    def _refresh_grant(self, client: OAuthClient, form: dict[str, str], now: float) -> _Outcome:
        value = form.get("refresh_token")
        if not value:
            raise _invalid_request("refresh_token is required")
        grant = self.backend.oauth2_state.refresh.get(value)
        try:
            if grant is None or grant.check(now, client.client_id) is not GrantState.APPROVED:
                raise _invalid_grant("the refresh token is unknown, revoked or already used")
        except GrantRefused:
            raise _invalid_grant("the refresh token is unknown, revoked or already used") from None
        original = frozenset(grant.scope.split())
        scope = self._scope(form.get("scope"), original) if "scope" in form else grant.scope
        grant.use(now, api_key=client.client_id)
        return _Outcome(grant.user, scope, refresh=True)

    def _revoke(self, refresh_token: str | None, now: float) -> None:
        grant = self.backend.oauth2_state.refresh.get(refresh_token or "")
        if grant is not None:
            grant.expire(now)

    def _issue(self, client: OAuthClient, outcome: _Outcome, now: float) -> Response:
        backend = self.backend
        if outcome.code is not None:
            outcome.code.use(now, api_key=client.client_id)  # checked above: cannot refuse
        expires_in = backend.oauth2_expires_in()
        body: dict[str, Any] = {
            "access_token": backend.oauth2_mint(client, outcome.user, outcome.scope, expires_in),
            "token_type": "Bearer",
            "expires_in": expires_in,
        }
        if outcome.scope:
            body["scope"] = outcome.scope
        if outcome.refresh:
            value = secrets.token_urlsafe(32)
            backend.oauth2_state.refresh[value] = RefreshGrant(
                api_key=client.client_id,
                created=now,
                state=GrantState.APPROVED,
                user=outcome.user,
                scope=outcome.scope,
            )
            body["refresh_token"] = value
            if outcome.code is not None:
                outcome.code.refresh_token = value
        return JSONResponse(body, headers={"Cache-Control": "no-store", "Pragma": "no-cache"})

    # -- authorize page -----------------------------------------------------------------------

    async def authorize(self, request: Request) -> Response:
        params = dict(request.query_params)
        fields: dict[str, str] = {}
        if request.method == "POST":
            for name, value in parse_qsl((await request.body()).decode("utf-8", "replace")):
                (fields if name in PAGE_FIELDS else params)[name] = value
        backend, shell = self.backend, self.shell  # read after the await
        client = backend.oauth2_client(params.get("client_id", ""))
        if client is None:
            return shell.notice("Unknown application", "This link names no known client.", 400)
        redirect_uri = params.get("redirect_uri")
        if redirect_uri is None and len(client.redirect_uris) == 1:
            target = client.redirect_uris[0]
        elif redirect_uri in client.redirect_uris:
            target = redirect_uri
        else:
            return shell.notice(
                "Invalid redirect", "This link's redirect_uri is not registered.", 400
            )
        grant = _RESPONSE_TYPES.get(params.get("response_type", ""))
        in_fragment = grant == "implicit"

        def back(answer: dict[str, str]) -> Response:
            if "state" in params:
                answer["state"] = params["state"]
            # 303: a browser follows a POST's redirect with a GET.
            return RedirectResponse(with_params(target, answer, fragment=in_fragment), 303)

        try:
            scope, challenge, method = self._check_authorization(client, grant, params)
        except OAuthError as refusal:
            return back({"error": refusal.error, "error_description": refusal.description})
        if request.method == "GET":
            return self._consent(client, scope, params)
        action = fields.get("action")
        if action == "deny":
            return back({"error": "access_denied"})
        if action != "approve":
            return self._consent(client, scope, params, error="Choose Approve or Deny.")
        login = fields.get("login", "")
        user = backend.oauth2_user(login.strip(), fields.get("password", ""))
        if user is None:
            return self._consent(client, scope, params, login, "Wrong login or password.")
        now = backend.now()
        if grant == "implicit":
            expires_in = backend.oauth2_expires_in()
            token = backend.oauth2_mint(client, user, scope, expires_in)
            answer = {"access_token": token, "token_type": "Bearer", "expires_in": str(expires_in)}
            if scope:
                answer["scope"] = scope
            return back(answer)
        code = AuthCode(
            api_key=client.client_id, created=now, lifetime=self.config.code_lifetime,
            redirect_uri=target, redirect_given=redirect_uri is not None, user=user,
            scope=scope, challenge=challenge, method=method,
        )  # fmt: skip
        code.approve(now)  # the person approved: pending -> approved, then a code to spend
        value = secrets.token_urlsafe(24)
        backend.oauth2_state.codes[value] = code
        return back({"code": value})

    def _check_authorization(
        self, client: OAuthClient, grant: str | None, params: Mapping[str, str]
    ) -> tuple[str, str | None, str]:
        """(scope, code challenge, its method) of a valid request, or ``OAuthError``."""
        if grant is None or grant not in self.config.grants:
            offered = [t for t, g in _RESPONSE_TYPES.items() if g in self.config.grants]
            raise OAuthError(
                400, "unsupported_response_type", "response_type must be " + " or ".join(offered)
            )
        if grant not in client.grants:
            raise OAuthError(400, "unauthorized_client", f"this client may not use {grant}")
        scope = self._scope(params.get("scope"))
        challenge = params.get("code_challenge") if grant == "authorization_code" else None
        method = params.get("code_challenge_method", "plain")
        if challenge is not None and method not in _PKCE_METHODS:
            raise _invalid_request("code_challenge_method must be S256 or plain")
        if grant == "authorization_code" and client.secret is None and not challenge:
            raise _invalid_request("a public client must send a PKCE code_challenge")
        return scope, challenge or None, method

    def _consent(
        self, client: OAuthClient, scope: str, params: Mapping[str, str], login: str = "",
        error: str = "",
    ) -> Response:  # fmt: skip
        text = self.config.scope_text
        asks: Sequence[tuple[str, str]] = [(s, text.get(s, "")) for s in scope.split()] or [
            ("basic access", "what this application is given by default")
        ]
        heading = ("Scope", "What the application could do")
        return self.shell.consent(
            app_name=client.name or client.client_id, asks=asks, heading=heading,
            hidden=params, login=login, error=error,
        )  # fmt: skip
