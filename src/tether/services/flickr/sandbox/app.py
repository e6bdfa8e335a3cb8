"""The Flickr emulator app: ``create_app()`` and ``credentials(root_url)`` for the sandbox
registry. Everything Flickr-shaped in it comes from flickr.md; where the notes say
"unconfirmed", the choice made is marked in a comment.

Below its mount point (``/flickr`` in the combined sandbox), Flickr's own paths::

    /services/rest/                 REST calls, GET or POST (urlencoded or multipart)
    /services/upload/               POST multipart: a new photo
    /services/replace/              POST multipart: new bytes for an existing photo
    /services/auth/                 legacy login page, frob and web flows   (login.py)
    /services/oauth/request_token   OAuth 1.0a step 1 (GET or POST)         (login.py)
    /services/oauth/authorize       OAuth 1.0a step 2, the approve page     (login.py)
    /services/oauth/access_token    OAuth 1.0a step 3 (GET or POST)         (login.py)

Its control routes (``/_sandbox/flickr/...``) are in control.py.

Module map: state (seeded data), methods/ (REST methods by API family), render (XML/JSON/PHP
envelopes), signing (api_sig and OAuth checks), incoming (reading requests), multipart
(streaming upload bodies), uploads (storing them), login + pages (human steps), control
(control API), host (settings, counters and the ``FlickrHost`` protocol that login and
control see instead of this module: no import circle).

Invariants:
- All state is on the ``FlickrEmulator`` instance (``app.state.emulator``); ``reset()`` re-runs
  ``seed()`` (``kit.base.EmulatorBase``): seeded data, clock, tunables, counters, nonces and
  quota logs afresh.
- Every API request passes the same gates in the same order: format (111) -> service off (0)
  -> injected transient code -> key (100) or OAuth checks (HTTP 401) -> signature (96, 97) ->
  token (98) -> hourly quota (HTTP 429) -> method known (112) -> blacklisted URL (116) ->
  permission level (99) -> the method itself.
- Signatures are checked by ``signing``, never by the client's code: legacy ``api_sig``
  whenever present, and required with ``auth_token`` and on every ``flickr.auth.*`` call;
  OAuth from the header, the query or the form, an upload's text fields signed as a form.
- Upload bodies are parsed as they stream in and the photo is only measured and hashed, so a
  256 MiB upload costs the server no more memory than a small one; what is kept of any body
  (a form, an upload's text fields) is capped at 1 MiB, a longer form answered with HTTP 413
  (``incoming.BodyTooLarge``) and a multipart body over its caps with code 3.
- ``Stats.calls`` counts calls per method name for the methods the sandbox knows, and every
  other name under one ``"<unknown>"`` key, so junk names cannot grow it without bound.
- Plain HTTP is accepted: the sandbox serves loopback HTTP, so Flickr's error 95 ("SSL is
  required") is never sent.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Mapping
from functools import partial
from typing import Any, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Scope

from tether.sandbox.kit.base import EmulatorBase, status_phrase
from tether.sandbox.kit.grants import GrantState, PendingGrant, grant_ref
from tether.sandbox.kit.multipart import (
    MultipartBody,
    MultipartError,
    boundary_of,
    read_multipart,
)
from tether.sandbox.registry import RawResponse
from tether.services.flickr.sandbox import uploads
from tether.services.flickr.sandbox.control import build_control
from tether.services.flickr.sandbox.host import (
    Settings,
    Stats,
)
from tether.services.flickr.sandbox.incoming import (
    Incoming,
    query_pairs,
    read_api_request,
    text,
)
from tether.services.flickr.sandbox.login import LoginFlows
from tether.services.flickr.sandbox.methods import (
    METHODS,
    Call,
    Caller,
    MethodError,
    bad_url,
    check_perms,
)
from tether.services.flickr.sandbox.render import (
    FORMATS,
    PHP_TYPE,
    XML_TYPE,
    Node,
    Raw,
    fail_json,
    fail_json_text,
    fail_xml,
    json_body,
    ok_json_text,
    ok_xml,
    php_serialize,
    to_json,
)
from tether.services.flickr.sandbox.signing import (
    NonceBook,
    OAuthProblem,
    legacy_valid,
    parse_authorization,
    verify_oauth,
)
from tether.services.flickr.sandbox.state import (
    API_KEY,
    LOGIN,
    PASSWORD,
    READY_OAUTH_SECRET,
    READY_OAUTH_TOKEN,
    READY_TOKEN,
    SECRET,
    USER_NSID,
    USERNAME,
    FlickrState,
)

#: The body live Flickr sent with HTTP 429 (sybrenstuvel/flickrapi#135).
TOO_MANY: Final = (
    b"<html><body><h1>429 Too Many Requests</h1>\n"
    b"You have sent too many requests in a given amount of time.\n</body></html>\n"
)
#: The ``Stats.calls`` key of every method name the sandbox does not implement.
UNKNOWN_METHOD: Final = "<unknown>"
_MESSAGES: Final = {
    0: "Sorry, the Flickr API service is not currently available.",
    105: "Service currently unavailable",
    106: "Write operation failed",
}


def credentials(root_url: str) -> dict[str, Any]:
    """The Flickr block of ``GET /_sandbox/credentials`` for a sandbox at ``root_url``."""
    base = f"{root_url}/flickr"
    return {
        "base_url": base,
        "rest_url": f"{base}/services/rest/",
        "upload_url": f"{base}/services/upload/",
        "replace_url": f"{base}/services/replace/",
        "auth_url": f"{base}/services/auth/",
        "oauth_url": f"{base}/services/oauth/",
        "api_key": API_KEY,
        "secret": SECRET,
        "user": {"nsid": USER_NSID, "username": USERNAME, "login": LOGIN, "password": PASSWORD},
        "token": READY_TOKEN,
        "oauth_token": READY_OAUTH_TOKEN,
        "oauth_token_secret": READY_OAUTH_SECRET,
    }


class QuotaExceeded(Exception):
    def __init__(self, retry_after: int) -> None:
        super().__init__("quota exceeded")
        self.retry_after = retry_after


def _is_hex_key(key: str) -> bool:
    return len(key) == 32 and all(c in "0123456789abcdef" for c in key.lower())


class FlickrEmulator(EmulatorBase):
    """One emulated Flickr: state, clock, tunables, and the ASGI apps serving them."""

    name = "flickr"
    stats_type = Stats
    settings_type = Settings
    stats: Stats
    settings: Settings
    state: FlickrState

    def __init__(self) -> None:
        super().__init__()
        self.login = LoginFlows(self)
        self.app = self._build_app()
        self._control = build_control(self, self.login)

    # -- Emulator protocol ----------------------------------------------------------------

    def seed(self) -> None:
        super().seed()
        self.state = FlickrState.seeded()
        self.nonces = NonceBook()
        self._quota: dict[str, deque[float]] = {}  # api key -> times of its calls, last hour

    @property
    def control(self) -> ASGIApp:
        return self._control

    def error_response(self, status: int) -> RawResponse:
        """Flickr's front end answers failures with small HTML pages (flickr.md §4.2: 502/504
        pages seen by users; the 429 body is the one live Flickr sent)."""
        if status == 429:
            body = TOO_MANY
        else:
            body = (
                f"<html><body><h1>{status} {status_phrase(status)}</h1>\n"
                "Flickr is having a problem.\n</body></html>\n"
            ).encode()
        return status, [(b"content-type", b"text/html; charset=utf-8")], body

    def rate_key(self, scope: Scope) -> str:
        """Per API key, as Flickr counts: the OAuth consumer key of the header, else the
        ``api_key`` of the query string (a form body cannot be read here), else the client."""
        for name, value in scope["headers"]:
            if name == b"authorization":
                for key, val in parse_authorization(value.decode("latin-1")) or []:
                    if key == "oauth_consumer_key":
                        return f"key:{val}"
        for key, val in query_pairs(scope):
            if key in ("api_key", "oauth_consumer_key"):
                return f"key:{val}"
        client = scope.get("client")
        return f"client:{client[0] if client else '?'}"

    def pending_grants(self) -> list[PendingGrant]:
        """Frobs and request tokens waiting for the user. Approving one is what the login
        and authorise pages do (``frob.approve``, ``LoginFlows.approve_request_token``), with
        the perms the page asked for, else ``delete`` as the control API grants."""
        now, state, login = self.now(), self.state, self.login
        frobs = [
            PendingGrant(
                kind="frob",
                app_key=f.api_key,
                ref=grant_ref(f.value),
                created=f.created,
                asks=f.perms or "delete",
                approve=partial(f.approve, now, perms=f.perms or "delete"),
            )
            for f in state.frobs.values()
            if f.current(now) is GrantState.PENDING
        ]
        return frobs + [
            PendingGrant(
                kind="request token",
                app_key=rt.api_key,
                ref=grant_ref(rt.value),
                created=rt.created,
                asks=rt.perms or "delete",
                approve=partial(login.approve_request_token, rt, rt.perms or "delete"),
            )
            for rt in state.request_tokens.values()
            if rt.current(now) is GrantState.PENDING
        ]

    # -- clock, keys, quota ---------------------------------------------------------------

    def app_secret(self, key: str) -> str | None:
        app = self.state.apps.get(key)
        return app.secret if app is not None else None

    def _access_secret(self, token: str, key: str) -> str | None:
        found = self.state.tokens.get(token)
        if found is None or found.kind != "oauth" or found.api_key != key:
            return None
        return found.secret

    def quota_used(self) -> dict[str, int]:
        return {key: len(log) for key, log in self._quota.items()}

    def _charge(self, key: str) -> None:
        """Count a call against its key's quota: at most ``quota_per_hour`` calls in any
        rolling hour. (Flickr publishes the limit, 3600 per hour per key, not how it counts;
        a rolling window never lets a double burst through at a clock-hour boundary.)"""
        now = self.now()
        log = self._quota.setdefault(key, deque())
        while log and log[0] <= now - 3600:
            log.popleft()
        if len(log) >= self.settings.quota_per_hour:
            raise QuotaExceeded(max(1, math.ceil(log[0] + 3600 - now)) if log else 3600)
        log.append(now)

    # -- the gates shared by REST and uploads ----------------------------------------------

    def _gate(self) -> None:
        """Service switched off (0), then an injected transient failure (105 …)."""
        if not self.settings.available:
            raise MethodError(0, _MESSAGES[0])
        if self.settings.transient_left > 0:
            self.settings.transient_left -= 1
            code = self.settings.transient_code
            raise MethodError(code, _MESSAGES.get(code, "Service currently unavailable"))

    def _identify(self, incoming: Incoming, method: str, *, upload: bool = False) -> Caller:
        """Who calls: errors 100, 96, 97, 98 (legacy) or an OAuth refusal."""
        params = incoming.params
        if incoming.uses_oauth:
            # Unconfirmed which answer live Flickr gives a bad OAuth signature on the API
            # hosts (flickr.md §14); Flickr4Java users report HTTP 401 with oauth_problem,
            # which is also what the OAuth endpoints answer, so that is what we send.
            result = verify_oauth(
                incoming.signed(),
                now=self.now(),
                consumer_secret=self.app_secret,
                token_secret=self._access_secret,
                nonces=self.nonces,
                # An upload without a token is refused by the OAuth layer
                # (sybrenstuvel/flickrapi#46: oauth_parameters_absent=oauth_token).
                require_token=upload,
            )
            token = self.state.tokens[result.token] if result.token else None
            return Caller(result.consumer_key, token)
        key = params.get("api_key", "")
        app = self.state.apps.get(key)
        if app is None:
            why = "Key not found" if _is_hex_key(key) else "Key has invalid format"
            raise MethodError(100, f"Invalid API Key ({why})")
        api_sig = params.get("api_sig")
        token_value = params.get("auth_token")
        if api_sig is None:
            if token_value or method.startswith("flickr.auth."):
                raise MethodError(97, "Missing signature")
        elif not legacy_valid(app.secret, params, api_sig, upload=upload):
            raise MethodError(96, "Invalid signature")
        if not token_value:
            return Caller(key)
        token = self.state.tokens.get(token_value)
        if token is None or token.kind != "legacy" or token.api_key != key:
            raise MethodError(98, "Invalid auth token")
        return Caller(key, token)

    # -- REST ---------------------------------------------------------------------------------

    async def rest(self, request: Request) -> Response:
        try:
            incoming = await read_api_request(request)
        except MultipartError:
            return _render_fail(3, "General upload failure", "rest", {})
        except ClientDisconnect:
            return Response(status_code=400)  # nobody is listening any more
        params = incoming.params
        method = params.get("method", "")
        self.stats.calls[method if method in METHODS else UNKNOWN_METHOD] += 1
        fmt = params.get("format", "rest")
        # Flickr also has soap and xmlrpc answers; the sandbox does not emulate those
        # envelopes (flickr.md §1: no library uses them) and treats them as unknown formats.
        out = fmt if fmt in FORMATS else "rest"
        try:
            if fmt not in FORMATS:
                raise MethodError(111, f'Format "{fmt}" not found')
            self._gate()
            caller = self._identify(incoming, method)
            self._charge(caller.api_key)
            spec = METHODS.lookup(method)  # Flickr's 112 for an unknown method
            if bad_url(params.values()):
                raise MethodError(116, "Bad URL found")
            check_perms(spec.perms, caller)
            # Flickr documents that writes need POST but not the error for a GET
            # (flickr.md §14), so the sandbox accepts both for every method.
            payload = spec.handler(
                Call(self.state, params, caller, self.now(), self.settings.tickets.done_after)
            )
        except (MethodError, OAuthProblem, QuotaExceeded) as refusal:
            return _refused(refusal, out, params)
        return _render_ok(payload, out, params)

    # -- uploads ------------------------------------------------------------------------------

    async def upload(self, request: Request) -> Response:
        return await self._upload(request, replace=False)

    async def replace(self, request: Request) -> Response:
        return await self._upload(request, replace=True)

    async def _upload(self, request: Request, *, replace: bool) -> Response:
        """Upload and replace answer in REST XML whatever ``format`` says (flickr.md §3.3)."""
        boundary = boundary_of(request.headers.get("content-type", ""))
        try:
            if boundary is None:  # not multipart: no photo, answered with code 2 below
                body = MultipartBody(fields=(await read_api_request(request)).form)
            else:
                body = await read_multipart(request.stream(), boundary)
        except MultipartError:
            return _render_fail(3, "General upload failure", "rest", {})
        except ClientDisconnect:
            return Response(status_code=400)
        photo = body.files.get("photo")
        if photo is not None:
            self.stats.bytes_received += photo.size
        # Every field but the photo is signed, as if the fields were a form (flickr.md §5.2).
        incoming = Incoming.build(request, body.fields)
        params = incoming.params
        try:
            self._gate()
            caller = self._identify(incoming, "upload", upload=True)
            self._charge(caller.api_key)
            if bad_url(params.values()):
                raise MethodError(116, "Bad URL found")
            check_perms("write", caller)
            owner = caller.nsid
            assert owner is not None  # check_perms refuses a call without a user's token
            if photo is None:
                raise MethodError(2, "No photo specified")
            if photo.size == 0:
                raise MethodError(4, "Filesize was zero")
            # No file-type check (code 5): tests and benchmarks upload arbitrary bytes.
            now = int(self.now())
            if replace:
                result = uploads.replace_photo(self.state, params, owner, photo, now)
                self.stats.replaces += 1
            else:
                fail = params.get("async") == "1" and self.settings.tickets.take_failure()
                result = uploads.new_photo(self.state, params, owner, photo, now, fail_ticket=fail)
                self.stats.uploads += 1
        except (MethodError, OAuthProblem, QuotaExceeded) as refusal:
            return _refused(refusal, "rest", {})
        return _render_ok([result], "rest", {})

    # -- apps -------------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        async def http_error(request: Request, exc: Exception) -> Response:
            # Registered for HTTPException only (unknown path, wrong verb, oversized form); any
            # other exception is a sandbox bug, left to the server's plain 500.
            assert isinstance(exc, HTTPException)
            code, headers, body = self.error_response(exc.status_code)
            return Response(
                body, status_code=code, headers={k.decode(): v.decode() for k, v in headers}
            )

        app = Starlette(
            routes=[
                # The API first: the router tries routes in order and REST is the hot path.
                Route("/services/rest/", self.rest, methods=["GET", "POST"]),
                Route("/services/upload/", self.upload, methods=["POST"]),
                Route("/services/replace/", self.replace, methods=["POST"]),
                *self.login.routes(),
            ],
            exception_handlers={HTTPException: http_error},
        )
        app.state.emulator = self
        return app


def _render_ok(payload: list[Node | Raw], fmt: str, params: Mapping[str, str]) -> Response:
    if fmt == "rest":
        return Response(ok_xml(payload), media_type=XML_TYPE)
    if fmt == "php_serial":
        return Response(php_serialize(to_json(payload)), media_type=PHP_TYPE)
    body, media_type = json_body(ok_json_text(payload), params)
    return Response(body, media_type=media_type)


def _render_fail(code: int, msg: str, fmt: str, params: Mapping[str, str]) -> Response:
    if fmt == "rest":
        return Response(fail_xml(code, msg), media_type=XML_TYPE)
    if fmt == "php_serial":
        return Response(php_serialize(fail_json(code, msg)), media_type=PHP_TYPE)
    body, media_type = json_body(fail_json_text(code, msg), params)
    return Response(body, media_type=media_type)


def _refused(
    refusal: MethodError | OAuthProblem | QuotaExceeded, fmt: str, params: Mapping[str, str]
) -> Response:
    """The answer to a refused REST call or upload: Flickr's error envelope in ``fmt`` (an
    upload's is always REST XML), an OAuth problem (401) or the quota page (429)."""
    if isinstance(refusal, MethodError):
        return _render_fail(refusal.code, refusal.msg, fmt, params)
    if isinstance(refusal, OAuthProblem):
        return text(refusal.body(), 401)
    return _too_many(refusal.retry_after)


def _too_many(retry_after: int) -> Response:
    # Status and body are what live Flickr sends past its limits (flickrapi#135); Retry-After
    # (seconds until the oldest counted call leaves the rolling hour) is our addition,
    # unconfirmed on the real service.
    return Response(
        TOO_MANY,
        status_code=429,
        media_type="text/html; charset=utf-8",
        headers={"Retry-After": str(retry_after)},
    )


def create_app() -> Starlette:
    """A fresh Flickr emulator app; its ``FlickrEmulator`` is ``app.state.emulator``."""
    return FlickrEmulator().app
