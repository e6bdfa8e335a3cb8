"""The VK emulator app: ``create_app()`` and ``credentials(root_url)`` for the sandbox registry.
Everything VK-shaped in it comes from vk.md; where the notes say "unconfirmed", the choice
made is marked in a comment.

Below its mount point (``/vk`` in the combined sandbox), VK's own paths::

    /method/<name>     API calls, GET or POST (query, urlencoded or multipart; the token as
                       ``access_token`` or ``Authorization: Bearer``)
    /captcha.php?sid=  the picture of a captcha (an SVG a person can read)

    /oauth/...         authorize, access_token, token (password grant), blank.html (oauth.py)
    /login?act=...     VK's sign-in pages: password, 2FA code, phone digits, captcha, the
                       permission dialog, error 17's security check (login.py)
    /longpoll/...      the user and bots long poll servers that get*LongPollServer hand out
                       (longpoll.py)
    /upload/<kind>     the upload servers that *.getUploadServer hand out (upload.py)

Its control routes (``/_sandbox/vk/...``) are in control.py, ``/approve`` in oauth.py.

Invariants:
- All state is on the ``VkEmulator`` instance (``app.state.emulator``); ``reset()`` re-runs
  ``seed()`` (``kit.base.EmulatorBase``): seeded data, clock, tunables, counters, captchas,
  switches and rate buckets afresh.
- Every API answer is HTTP 200 JSON, ``{"response": …}`` or ``{"error": {error_code,
  error_msg, request_params, …}}`` (vk.md §1.4); ``request_params`` echoes ``oauth`` (when a
  token was sent), ``method`` and the call's parameters, never the token nor a captcha key.
- Every call passes the same gates in the same order: version given (8) and not below
  ``min_version`` (8) -> method known (3) -> token known and alive (5) -> the token's rate
  (6) -> token kind served by the method (5 without a token, 27 community, 28 service) ->
  the right the method needs (its ``denied`` code: 15 or 7) -> validation switch (17) ->
  captcha (14) -> flood switch (9) -> daily quota (29) -> required arguments (100) -> the
  method itself (100, 113, 18, 214 …). (VK does not publish its order; this one refuses the
  cheapest-to-detect problems first, and counts every identified call against its token.)
- ``Stats`` counts a call once it is identified (after step 3), so refused tokens and junk
  names cannot grow it (``host``).
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from html import escape
from typing import Any, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Scope

from tether.sandbox.kit.base import EmulatorBase, status_phrase
from tether.sandbox.kit.grants import PendingGrant, grant_ref
from tether.sandbox.registry import RawResponse
from tether.services.vk.sandbox.control import build_control
from tether.services.vk.sandbox.execute import Enveloped
from tether.services.vk.sandbox.guards import Guards
from tether.services.vk.sandbox.host import (
    UNKNOWN_METHOD,
    Settings,
    Stats,
    TokenStats,
    parse_version,
    show_version,
)
from tether.services.vk.sandbox.incoming import read_call, token_of
from tether.services.vk.sandbox.login import login_routes
from tether.services.vk.sandbox.longpoll import longpoll_routes
from tether.services.vk.sandbox.methods import METHODS, Call, MethodError
from tether.services.vk.sandbox.methods.base import DENIED, KIND_REFUSED
from tether.services.vk.sandbox.model.auth import (
    ACCOUNTS,
    APP_ID,
    CLIENT_SECRET,
    GROUP_ID,
    GROUP_TOKEN,
    SERVICE_TOKEN,
    USER_ID,
    USER_TOKEN,
    Kind,
    Token,
)
from tether.services.vk.sandbox.oauth import OAuthBook, VkOAuth
from tether.services.vk.sandbox.oauth_password import password_route
from tether.services.vk.sandbox.state import VkState
from tether.services.vk.sandbox.upload import upload_routes

JSON_TYPE: Final = "application/json; charset=utf-8"
#: Parameters never echoed in ``request_params``: secrets a client may log with the error.
_NOT_ECHOED: Final = frozenset({"access_token", "captcha_key", "client_secret", "password"})


def credentials(root_url: str) -> dict[str, Any]:
    """The VK block of ``GET /_sandbox/credentials`` for a sandbox at ``root_url``."""
    user, two_fa, phone = ACCOUNTS
    return {
        "api_url": f"{root_url}/vk/method/",
        "oauth_url": f"{root_url}/vk/oauth/",
        "app_id": APP_ID,
        "client_secret": CLIENT_SECRET,
        "access_token": USER_TOKEN,
        "user_id": USER_ID,
        "group_token": GROUP_TOKEN,
        "group_id": GROUP_ID,
        "service_token": SERVICE_TOKEN,
        "user": {"login": user.login, "password": user.password, "user_id": user.user_id},
        "user_2fa": {
            "login": two_fa.login,
            "password": two_fa.password,
            "user_id": two_fa.user_id,
            "code": two_fa.code,
        },
        "user_phone_check": {
            "login": phone.login,
            "password": phone.password,
            "user_id": phone.user_id,
            "phone": phone.phone,
        },
    }


def _dumps(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


def _mount_url(request: Request) -> str:
    """This app's URL as the client addressed it: scheme, Host header and the mount point
    (``root_path``: ``/vk`` in the combined sandbox), whatever port the sandbox listens on."""
    host = request.headers.get("host")
    if not host:
        server = request.scope.get("server") or ("127.0.0.1", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    return f"{request.url.scheme}://{host}{request.scope.get('root_path', '')}"


def _echo(name: str, params: Mapping[str, str], with_token: bool) -> list[dict[str, str]]:
    head = [{"key": "oauth", "value": "1"}] if with_token else []
    head.append({"key": "method", "value": name})
    return head + [{"key": k, "value": v} for k, v in params.items() if k not in _NOT_ECHOED]


class VkEmulator(EmulatorBase):
    """One emulated VK: state, clock, tunables, and the ASGI apps serving them."""

    name = "vk"
    stats_type = Stats
    settings_type = Settings
    stats: Stats
    settings: Settings
    state: VkState
    guards: Guards
    oauth: OAuthBook

    def __init__(self) -> None:
        super().__init__()
        self._oauth = VkOAuth(self)
        self.app = self._build_app()
        self._control = build_control(self)
        # The OAuth control route (/approve) lives with the OAuth endpoints (oauth.py).
        self._control.router.routes.extend(self._oauth.control_routes())

    def seed(self) -> None:
        super().seed()
        self.state = VkState.seeded()
        self.guards = Guards()
        self.oauth = OAuthBook()

    def pending_grants(self) -> list[PendingGrant]:
        """Authorizations a page showed and nobody decided (``oauth.VkOAuth``)."""
        return self._oauth.pending_grants()

    @property
    def control(self) -> ASGIApp:
        return self._control

    def error_response(self, status: int) -> RawResponse:
        """VK's front end (nginx) answers failures with its small HTML page."""
        title = f"{status} {status_phrase(status)}"
        body = (
            f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
            f"<center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n"
            "</body>\r\n</html>\r\n"
        ).encode()
        return status, [(b"content-type", b"text/html")], body

    def rate_key(self, scope: Scope) -> str:
        """Per token, as VK limits (from the query or the header: the body is not read)."""
        token = token_of(scope)
        if token:
            return f"token:{grant_ref(token)}"
        client = scope.get("client")
        return f"client:{client[0] if client else '?'}"

    # -- the API -----------------------------------------------------------------------------

    async def method(self, request: Request) -> Response:
        name = request.path_params["name"]
        try:
            params, token = await read_call(request)
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is listening any more
        client = request.scope.get("client")
        try:
            payload = self._call(name, params, token, client[0] if client else "?", request)
        except MethodError as refusal:
            self.stats.errors[refusal.code] += 1
            error = {
                "error_code": refusal.code,
                "error_msg": refusal.msg,
                "request_params": _echo(name, params, token is not None),
                **refusal.extra,
            }
            return Response(_dumps({"error": error}), media_type=JSON_TYPE)
        # ``execute`` answers its ``execute_errors`` beside the response (vk.md §1.4).
        body = payload.envelope() if isinstance(payload, Enveloped) else {"response": payload}
        return Response(_dumps(body), media_type=JSON_TYPE)

    def _call(
        self, name: str, params: dict[str, str], value: str | None, client: str, request: Request
    ) -> Any:
        """The gates of the module docstring, in its order, then the method."""
        settings, guards = self.settings, self.guards
        version_text = params.get("v", "")
        if not version_text:
            raise MethodError(8, "Invalid request: v (version) is required")
        version = parse_version(version_text)
        if version is None or version < settings.min_version:
            floor = show_version(settings.min_version)
            raise MethodError(
                8,
                f"Invalid request: versions below {floor} are deprecated. Version param should "
                'be passed as "v". "version" param is invalid and not supported. For more '
                "information go to https://vk.com/dev/constant_version_updates",
            )
        line = METHODS.get(name)
        self.stats.calls[name if line is not None else UNKNOWN_METHOD] += 1
        if line is None:
            line = METHODS.lookup(name)  # raises the registry's not_found: VK's 3
        now = self.now()
        token = self._identify(value, now)
        kind = token.kind if token is not None else Kind.ANONYMOUS
        counter = self._count(value, token, name)
        rate = settings.group_per_second if kind is Kind.GROUP else settings.per_second
        if not guards.buckets.take(value or f"client:{client}", rate, time.monotonic()):
            counter.error_6 += 1
            raise MethodError(6, "Too many requests per second")
        if kind not in line.kinds:
            raise MethodError(*KIND_REFUSED[kind])
        if token is not None and not token.has(line.perms):
            raise MethodError(line.denied, DENIED[line.denied])
        if guards.take_validation():
            root = _mount_url(request)
            raise MethodError(
                17,
                "Validation required: please open redirect_uri in browser",
                redirect_uri=(
                    f"{root}/login?act=security_check&api_hash={guards.new_validation_hash()}"
                ),
            )
        if not guards.captcha_passes(
            name, params.get("captcha_sid", ""), params.get("captcha_key", "")
        ):
            captcha = guards.new_captcha(name)
            root = _mount_url(request)
            raise MethodError(
                14,
                "Captcha needed",
                captcha_sid=captcha.sid,
                captcha_img=f"{root}/captcha.php?sid={captcha.sid}&s=1",
            )
        if guards.take_flood(name):
            raise MethodError(9, "Flood control")
        caller = value or f"client:{client}"
        if not guards.quota_passes(caller, name, settings.daily_limits.get(name), now):
            raise MethodError(29, "Rate limit reached")
        METHODS.check_arguments(name, line, params)
        return line.handler(Call(self.state, params, token, now, _mount_url(request)))

    def _identify(self, value: str | None, now: float) -> Token | None:
        if value is None:
            return None
        token = self.state.tokens.get(value)
        if token is None:
            raise MethodError(5, "User authorization failed: invalid access_token (4).")
        if not token.alive(now):
            raise MethodError(5, "User authorization failed: access_token has expired.")
        return token

    def _count(self, value: str | None, token: Token | None, name: str) -> TokenStats:
        ref = grant_ref(value) if value is not None else "anonymous"
        counter = self.stats.tokens.get(ref)
        if counter is None:
            counter = self.stats.tokens[ref] = (
                TokenStats(str(token.kind), token.owner)
                if token is not None
                else TokenStats(str(Kind.ANONYMOUS), 0)
            )
        counter.calls[name] += 1
        return counter

    # -- captcha pictures --------------------------------------------------------------------

    async def captcha_image(self, request: Request) -> Response:
        """The captcha's key drawn as an SVG (a browser shows it; a test reads the key from
        ``GET /_sandbox/vk/captcha/{sid}``)."""
        found = self.guards.captchas.get(request.query_params.get("sid", ""))
        if found is None:
            raise HTTPException(404)
        svg = (
            '<svg xmlns="http://www.w3.org/2000/svg" width="130" height="50">'
            '<rect width="130" height="50" fill="#edf0f5"/>'
            '<text x="65" y="33" font-family="monospace" font-size="26" text-anchor="middle" '
            f'fill="#2a5885">{escape(found.key)}</text></svg>'
        )
        return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "no-store"})

    # -- app ---------------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        async def http_error(request: Request, exc: Exception) -> Response:
            # Registered for HTTPException only (unknown path, wrong verb, oversized or
            # malformed body); any other exception is a sandbox bug, left to the server's 500.
            assert isinstance(exc, HTTPException)
            code, headers, body = self.error_response(exc.status_code)
            return Response(
                body, status_code=code, headers={k.decode(): v.decode() for k, v in headers}
            )

        app = Starlette(
            routes=[
                *longpoll_routes(self),
                *upload_routes(self),
                Route("/method/{name}", self.method, methods=["GET", "POST"]),
                Route("/captcha.php", self.captcha_image, methods=["GET"]),
                *self._oauth.routes(),
                password_route(self._oauth),
                *login_routes(self._oauth),  # VK's sign-in pages (login.py)
            ],
            exception_handlers={HTTPException: http_error},
        )
        app.state.emulator = self
        return app


def create_app() -> Starlette:
    """A fresh VK emulator app; its ``VkEmulator`` is ``app.state.emulator``."""
    return VkEmulator().app
