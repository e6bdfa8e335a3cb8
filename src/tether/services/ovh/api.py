"""OVHcloud client: ``Client`` (sync) and ``AsyncClient``, python-ovh's API under the same names.

Both are the facade kit's twins (``tether.services.kit``) of one ``_BaseClient``: each public
method builds a flow and returns ``self._run(flow)``, a value on ``Client`` and an awaitable on
``AsyncClient``; configuration is ``config``, the wire format ``wire``.

Where python-ovh's README and its code disagree we follow the README: a custom ``config_file``
does not inherit environment variables; ``_need_auth=False`` sends an unauthenticated call.
Improvements over python-ovh (each asked for in its tracker): a base URL is accepted as
``endpoint``; the clock delta is taken again when the server says the timestamp is out of
window; idempotent calls are retried on 5xx/429/connection failures; OAuth2 tokens refresh
before expiry with one refresh in flight; v2 cursor pagination through ``iterate``; a proxy
option; ``AsyncClient``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tether.auth.keeper import TokenKeeper
from tether.auth.oauth2 import Token
from tether.auth.ovh import Signature
from tether.core import jsonparse
from tether.core.config import Explanation, Setting
from tether.core.errors import TransportError
from tether.core.flow import Flow
from tether.core.messages import Request, Response
from tether.core.paging import Cursor
from tether.core.params import unalias
from tether.core.redact import redact_text
from tether.core.retry import RetryPolicy, give_up_note, retry_after_of
from tether.runtime import Walk
from tether.services.kit.client import AsyncFacade, ClientCore, SyncFacade, sandbox_redirect
from tether.services.kit.pacing import SharedBucket
from tether.services.kit.rest import with_query
from tether.services.ovh import errors as E
from tether.services.ovh.config import (
    apply_sandbox,
    default_token_url,
    endpoint_url,
    explain,
    load_settings,
    validate_auth,
)
from tether.services.ovh.oauth2 import client_credentials
from tether.services.ovh.spec import (
    API_READ_ONLY,
    API_READ_WRITE,
    API_READ_WRITE_SAFE,
    DEFAULT_TIMEOUT,
    ENDPOINTS,
    OAUTH2_TOKEN_URLS,
)
from tether.services.ovh.wire import JSON_HEADERS, RawResponse, encode_body, encode_query
from tether.transport import DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES, Timeout

__all__ = [
    "API_READ_ONLY",
    "API_READ_WRITE",
    "API_READ_WRITE_SAFE",
    "AsyncClient",
    "Client",
    "ConsumerKeyRequest",
    "Explanation",
    "RawResponse",
    "encode_body",
    "encode_query",
    "explain",
]


class ConsumerKeyRequest:
    """Collects access rules, then asks for a consumer key (python-ovh's class, same methods)."""

    def __init__(self, client: _BaseClient) -> None:
        self._client = client
        self._access_rules: list[dict[str, str]] = []

    def add_rule(self, method: str, path: str) -> None:
        self._access_rules.append({"method": method.upper(), "path": path})

    def add_rules(self, methods: list[str], path: str) -> None:
        for method in methods:
            self.add_rule(method, path)

    def add_recursive_rules(self, methods: list[str], path: str) -> None:
        """Rules for ``path`` and everything under it (``/me`` → ``/me`` and ``/me/*``)."""
        path = path.rstrip(" */")
        if path:
            self.add_rules(methods, path)
        self.add_rules(methods, path + "/*")

    def request(self, redirect_url: str | None = None, allowedIPs: list[str] | None = None) -> Any:
        """Ask for the key; returns ``{"validationUrl", "consumerKey", "state"}`` and makes the
        client use the new (not yet validated) key. Awaitable on ``AsyncClient``."""
        return self._client.request_consumerkey(self._access_rules, redirect_url, allowedIPs)


class _BaseClient(ClientCore):
    """Everything but the driver (``SyncFacade`` or ``AsyncFacade``)."""

    def __init__(
        self,
        endpoint: str | None = None,
        application_key: str | None = None,
        application_secret: str | None = None,
        consumer_key: str | None = None,
        timeout: Timeout = DEFAULT_TIMEOUT,
        config_file: str | None = None,
        client_id: str | None = None,
        client_secret: str | None = None,
        *,
        token_url: str | None = None,
        proxy: str | None = None,
        verify: bool = True,
        ca_certs: str | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        retry: RetryPolicy | bool | None = True,
        rate_limit: float | None = None,
        environ: Mapping[str, str] | None = None,
        transport: Any = None,
    ) -> None:
        environ = os.environ if environ is None else environ
        self._settings = settings = load_settings(
            dict(
                endpoint=endpoint,
                application_key=application_key,
                application_secret=application_secret,
                consumer_key=consumer_key,
                client_id=client_id,
                client_secret=client_secret,
            ),
            config_file,
            environ,
        )
        sandbox = sandbox_redirect("ovh", environ)
        if sandbox is not None:
            apply_sandbox(settings, sandbox)

        ep = settings.resolve("endpoint")
        self._endpoint_name = ep.value
        self._endpoint = endpoint_url(ep)
        self._base_root = (
            self._endpoint[: -len("/1.0")] if self._endpoint.endswith("/1.0") else None
        )

        validate_auth(settings)
        self._application_key = settings.get("application_key")
        self._application_secret = settings.get("application_secret")
        self._consumer_key = settings.get("consumer_key")
        self._client_id = settings.get("client_id")
        self._client_secret = settings.get("client_secret")
        oauth2 = self._client_id is not None and self._application_key is None
        if (
            oauth2
            and self._endpoint_name in ENDPOINTS
            and self._endpoint_name not in OAUTH2_TOKEN_URLS
        ):
            raise E.InvalidConfiguration(
                f"OAuth2 authentication is not compatible with endpoint {self._endpoint_name} "
                "(it can only be used with ovh-eu, ovh-ca and ovh-us)"
            )
        self._token_url = (
            token_url
            or settings.get("token_url")
            or default_token_url(self._endpoint_name, self._endpoint)
        )
        if oauth2 and not self._token_url:
            raise E.InvalidConfiguration(
                f"No OAuth2 token URL known for endpoint {self._endpoint_name}; pass token_url="
            )
        # The two ways to authenticate, each a strategy of tether.auth: a service account's
        # bearer token (one grant however many calls, renewed before expiry), or the
        # application-key signature with its clock delta (also what ``time_delta`` reads).
        self._oauth2: TokenKeeper | None = (
            TokenKeeper("ovh.oauth2", self._fetch_token) if oauth2 else None
        )
        self._signature = Signature(
            self._application_key,
            self._application_secret,
            self._consumer_key,
            self._server_time,
        )
        # OVH asks for fair use (~60 calls/minute per consumer key, python-ovh #81); a client
        # can pace itself instead of collecting 429s.
        self._bucket = (
            SharedBucket(rate_limit, capacity=max(1.0, rate_limit)) if rate_limit else None
        )
        self._secrets: tuple[str | None, ...] = (
            self._application_secret,
            self._consumer_key,
            self._client_secret,
        )
        self.timeout = timeout
        self._start(
            transport=transport,
            timeout=timeout,
            retry=retry,
            sandboxed=sandbox is not None,
            environ=environ,
            proxy=proxy,
            verify=verify,
            ca_certs=ca_certs,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
        )

    # --- python-ovh's public attributes -------------------------------------------------

    @property
    def _endpoint_base(self) -> str:
        return self._endpoint

    @property
    def application_key(self) -> str | None:
        return self._application_key

    @property
    def consumer_key(self) -> str | None:
        return self._consumer_key

    @property
    def endpoint(self) -> str:
        return self._endpoint

    def settings(self) -> list[Setting]:
        """Every setting with the place it came from (argument, variable, file, sandbox);
        ``explain()`` does the same without building a client."""
        return self._settings.explain()

    def __repr__(self) -> str:
        mode = "oauth2" if self._oauth2 else "application key"
        return f"<{type(self).__name__} {self._endpoint} ({mode})>"

    # --- calls ---------------------------------------------------------------------------

    def get(self, _target: str, _need_auth: bool = True, **kwargs: Any) -> Any:
        """``GET`` with keyword arguments as the query string; returns the decoded JSON."""
        if kwargs:
            _target = with_query(_target, encode_query(kwargs))
        return self.call("GET", _target, None, _need_auth)

    def delete(self, _target: str, _need_auth: bool = True, **kwargs: Any) -> Any:
        """``DELETE`` with keyword arguments as the query string."""
        if kwargs:
            _target = with_query(_target, encode_query(kwargs))
        return self.call("DELETE", _target, None, _need_auth)

    def post(self, _target: str, _need_auth: bool = True, **kwargs: Any) -> Any:
        """``POST`` with keyword arguments as a JSON object body (no body when none)."""
        data = {unalias(k): v for k, v in kwargs.items()} if kwargs else None
        return self.call("POST", _target, data, _need_auth)

    def put(self, _target: str, _need_auth: bool = True, **kwargs: Any) -> Any:
        """``PUT`` with keyword arguments as a JSON object body (no body when none)."""
        data = {unalias(k): v for k, v in kwargs.items()} if kwargs else None
        return self.call("PUT", _target, data, _need_auth)

    def call(self, method: str, path: str, data: Any = None, need_auth: bool = True) -> Any:
        """One API call; ``data`` (any JSON value) becomes the body unless ``None``.

        Returns:
            The decoded JSON (``None`` for 204).
        Raises:
            APIError subclasses mapped from status and ``errorCode``; ``HTTPError`` when the
            exchange failed; ``InvalidResponse`` for a body that is not JSON.
        """
        return self._run(self._call_flow(method, path, data, need_auth, None, False))

    def raw_call(
        self,
        method: str,
        path: str,
        data: Any = None,
        need_auth: bool = True,
        headers: Mapping[str, str] | None = None,
    ) -> Any:
        """Like ``call`` but returns the ``RawResponse`` whatever its status (no decoding)."""
        return self._run(self._call_flow(method, path, data, need_auth, headers, True))

    def new_consumer_key_request(self) -> ConsumerKeyRequest:
        return ConsumerKeyRequest(self)

    def request_consumerkey(
        self,
        access_rules: list[dict[str, str]],
        redirect_url: str | None = None,
        allowedIPs: list[str] | None = None,
    ) -> Any:
        """``POST /auth/credential``; the client switches to the returned consumer key."""
        return self._run(self._consumer_key_flow(access_rules, redirect_url, allowedIPs))

    @property
    def time_delta(self) -> Any:
        """Seconds to add to the local clock to get OVH's (fetched once from ``/auth/time``)."""
        return self._run(self._signature.synced())

    # --- flows ---------------------------------------------------------------------------

    def _url(self, path: str) -> str:
        # python-ovh's rewrite (ovh.md §1.2): /v1… and /v2… paths drop the trailing /1.0.
        if self._base_root is not None and path.startswith(("/v1", "/v2")):
            return self._base_root + path
        return self._endpoint + path

    def _server_time(self) -> Flow[int]:
        # What the signature strategy asks before signing (tether.auth.ovh.Signature): OVH's
        # clock, with this client's retry policy and python-ovh's errors.
        headers = self._unauth_headers()
        url = self._endpoint + "/auth/time"

        def build(now: float) -> Request:
            return Request("GET", url, headers, label="ovh GET /auth/time")

        try:
            response = yield from self._retrying(build)
        except TransportError as e:
            raise E.HTTPError(f"Low HTTP request failed error: {e}") from e
        server_time = self._decode(response, "GET /auth/time")
        if not isinstance(server_time, int):
            raise E.InvalidResponse(
                f"GET /auth/time answered {server_time!r}, not an integer timestamp",
                response=response,
            )
        return server_time

    def _unauth_headers(self) -> tuple[tuple[str, str], ...]:
        if self._application_key is not None:
            return (("X-Ovh-Application", self._application_key),)
        return ()

    def _call_flow(
        self,
        method: str,
        path: str,
        data: Any,
        need_auth: bool,
        extra_headers: Mapping[str, str] | None,
        raw: bool,
    ) -> Flow[Any]:
        method = method.upper()
        url = self._url(path)
        body = encode_body(data) if data is not None else b""
        base: tuple[tuple[str, str], ...] = tuple(extra_headers.items()) if extra_headers else ()
        if body:
            base = (*(h for h in base if h[0].lower() != "content-type"), *JSON_HEADERS)
        where = f"{method} {path.split('?', 1)[0]}"
        label = f"ovh {where}"
        clock_retried = False
        oauth2 = self._oauth2
        signature = self._signature
        sign = need_auth and oauth2 is None
        while True:
            if need_auth:
                if oauth2 is not None:
                    token = yield from oauth2.access_token()
                    auth_headers: tuple[tuple[str, str], ...] = (
                        ("Authorization", f"Bearer {token}"),
                    )
                else:
                    if not self._application_secret:
                        raise E.InvalidKey(
                            f"Invalid ApplicationSecret '{self._application_secret}'"
                        )
                    if not self._consumer_key:
                        raise E.InvalidKey(
                            f"Invalid ConsumerKey '{self._consumer_key}': request one with "
                            "new_consumer_key_request() or configure consumer_key"
                        )
                    if signature.delta is None:
                        yield from signature.synced()
                    auth_headers = ()
            else:
                auth_headers = self._unauth_headers()

            def build(
                now: float, auth_headers: tuple[tuple[str, str], ...] = auth_headers
            ) -> Request:
                if sign:
                    # ``signature.sign(request, now)``'s headers, without building the request
                    # twice: this is the hot path (signed every attempt, with the delta).
                    headers = (*base, *signature.headers(method, url, body, now))
                else:
                    headers = (*base, *auth_headers)
                return Request(method, url, headers, body, label=label)

            seen = signature.taken
            try:
                response = yield from self._retrying(build, pace=self._bucket)
            except TransportError as e:
                # python-ovh's HTTPError (also a tether.TransportError); the cause is kept.
                raise E.HTTPError(
                    redact_text(f"Low HTTP request failed error: {e}", self._secrets)
                ) from e
            if raw:
                return RawResponse(response)
            if sign and not clock_retried and signature.stale(response):
                # Our clock delta went stale (the local clock jumped, or OVH's did): take it
                # again once and re-sign, instead of failing every call until restart.
                clock_retried = True
                yield from signature.resync(seen)
                continue
            return self._decode(response, where)

    def _decode(self, response: Response, where: str) -> Any:
        if 200 <= response.status < 300 and response.status != 204:
            # The common case, kept to one call; anything odd goes the long way for its message.
            try:
                return jsonparse.loads(response.body, where)
            except ValueError:
                pass
        retry_after = None
        if response.status == 429:
            retry_after = retry_after_of(response)
        note = give_up_note(response)
        return E.decode(response, f"{where}; {note}" if note else where, retry_after)

    def _consumer_key_flow(
        self,
        access_rules: list[dict[str, str]],
        redirect_url: str | None,
        allowedIPs: list[str] | None,
    ) -> Flow[Any]:
        result = yield from self._call_flow(
            "POST",
            "/auth/credential",
            {"accessRules": access_rules, "redirection": redirect_url, "allowedIPs": allowedIPs},
            False,
            None,
            False,
        )
        if isinstance(result, dict) and isinstance(result.get("consumerKey"), str):
            self._consumer_key = result["consumerKey"]
            self._signature.consumer_key = self._consumer_key
            self._secrets = (self._application_secret, self._consumer_key, self._client_secret)
        return result

    # --- OAuth2 client credentials ---------------------------------------------------------

    def _fetch_token(self) -> Flow[Token]:
        # The grant ``self._oauth2`` (a TokenKeeper) makes when it holds no fresh token, under
        # its lock; python-ovh's request and messages (``ovh.oauth2``).
        token = yield from client_credentials(
            self._client_id or "", self._client_secret or "", self._token_url or "", self._retry
        )
        self._secrets = (*self._secrets, token.access_token)
        return token

    # --- v2 cursor pagination -------------------------------------------------------------

    def iterate(self, path: str, page_size: int | None = None) -> Walk[Any]:
        """Every item of a v2 cursor-paginated list (``GET /v2/...``), a page fetched only when
        needed: ``for`` on ``Client``, ``async for`` on ``AsyncClient``, and sliceable on both
        (``client.iterate(path, page_size=25)[:30]`` costs two calls)."""
        return Walk(
            self._runtime, lambda cursor: self._page_flow(path, cursor, page_size), 0, Cursor()
        )

    def _page_flow(
        self, path: str, cursor: str | None, page_size: int | None
    ) -> Flow[tuple[list[Any], str | None]]:
        headers: dict[str, str] = {}
        if page_size:
            headers["X-Pagination-Size"] = str(page_size)
        if cursor:
            headers["X-Pagination-Cursor"] = cursor
        raw = yield from self._call_flow("GET", path, None, True, headers, True)
        items = self._decode(raw._response, f"GET {path.split('?', 1)[0]}")
        if not isinstance(items, list):
            raise E.InvalidResponse(
                f"GET {path} did not answer a list; iterate() is for v2 list routes",
                response=raw._response,
            )
        return items, raw.headers.get("X-Pagination-Cursor-Next") or None


class Client(_BaseClient, SyncFacade):
    """The sync OVHcloud client (python-ovh's ``ovh.Client``, same arguments and methods).

    Args:
        endpoint: an alias (``ovh-eu``, ``ovh-ca``, ``ovh-us``, ``soyoustart-eu``,
            ``soyoustart-ca``, ``kimsufi-eu``, ``kimsufi-ca``) or a base URL such as
            ``http://127.0.0.1:8765/ovh/1.0``.
        application_key, application_secret, consumer_key: signature credentials.
        client_id, client_secret: OAuth2 service account (instead of the three above).
        timeout: seconds, a ``(connect, read)`` pair, or ``None``.
        config_file: an INI file read on top of the standard ones; environment variables are
            then not consulted.
        proxy: an HTTP(S) proxy URL.
        retry: a ``RetryPolicy``, or ``False`` to never retry.
        rate_limit: most calls per second this client sends (it waits instead of exceeding).
        transport: a custom sync transport (anything with ``send``/``close``).
    """


class AsyncClient(_BaseClient, AsyncFacade):
    """The async twin of ``Client``: same arguments, same methods, each awaitable."""
