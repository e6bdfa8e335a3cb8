"""The OVH REST layer of the emulator: endpoint table, authentication, one ASGI dispatcher,
built on the emulator kit's router and pipeline (``tether.sandbox.kit.rest``). What is OVH's
own stays here: its signature check, its error bodies, its access rules, its body checks.

Invariants:
- Every response is JSON and carries an ``X-Ovh-Queryid`` header; error bodies are always JSON
  objects (python-ovh calls ``.get`` on them), void successes are ``null`` with 200 or a bare 204,
  never an empty 200.
- A request is checked in this order (ovh.md §3.5 and §11.3; OVH's order after the AK is
  unconfirmed, this one follows the checklist): route exists (404) → auth headers present (401)
  → AK known (403 INVALID_KEY) → CK known for that AK (403 NOT_CREDENTIAL) → signature (400
  INVALID_SIGNATURE) → timestamp window (400 QUERY_TIME_OUT) → credential validated (403
  INVALID_CREDENTIAL) → allowed IPs (403) → access rules (403 NOT_GRANTED_CALL) → body shape
  (400) → handler. The route is the kit's ``Router`` (a wrong verb on a known path is the same
  404 as an unknown path); the rest are ``STEPS``, run by the kit's ``Pipeline``.
- A body is JSON (RFC 8259: no NaN or Infinity) nested at most ``jsonparse.MAX_DEPTH`` deep, or a
  400: nothing a client sends can make the emulator answer 500.
- The signature is verified over the request *exactly as received*: ``scope["raw_path"]`` and
  ``scope["query_string"]`` (never decoded or re-encoded) and the raw body bytes.
- Handlers are synchronous and run on the server's event-loop thread, so emulator state is
  never mutated concurrently; nothing on the hot path awaits except reading the body.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal, Protocol
from urllib.parse import parse_qsl

from starlette.types import Receive, Scope, Send

from tether.core import jsonparse
from tether.sandbox.kit.rest import (
    MethodNotAllowed,
    NoRoute,
    Pipeline,
    Router,
    Step,
    read_body,
    send_answer,
    server_host,
)
from tether.services.ovh.sandbox.state import Credential, OvhState

#: Accepted distance between ``X-Ovh-Timestamp`` and the emulated server clock, in seconds.
#: OVH does not publish its window (ovh.md §3.3: unconfirmed; "minutes" of drift reportedly
#: break signatures). Five minutes is the usual choice of signed-request APIs and keeps
#: QUERY_TIME_OUT tests unambiguous (they skew by an hour).
TIMESTAMP_WINDOW: Final = 300

Auth = Literal["none", "signed", "any_rule"]
"""``none``: no authentication (``/auth/time``, ``/auth/credential``); ``signed``: signature or
bearer token plus access rules; ``any_rule``: authenticated but reachable whatever the rules
(``/auth/currentCredential``, ``/auth/logout``)."""

JSON_HEADERS: Final = (
    (b"content-type", b"application/json; charset=utf-8"),
    (b"cache-control", b"no-cache, no-store"),
    (b"access-control-allow-origin", b"*"),
)
CORS_HEADERS: Final = (
    (b"access-control-allow-methods", b"GET, POST, PUT, DELETE, OPTIONS"),
    (
        b"access-control-allow-headers",
        b"X-Ovh-Timestamp, X-Ovh-Consumer, X-Ovh-Application, X-Ovh-Signature, X-Ovh-Session, "
        b"Authorization, Content-Type, X-Pagination-Cursor, X-Pagination-Size",
    ),
    (b"access-control-expose-headers", b"X-Ovh-Queryid, X-Pagination-Cursor-Next"),
)


class NoContent:
    """Handler result meaning "answer 204 with no body"."""


NO_CONTENT: Final = NoContent()


# --------------------------------------------------------------------------------------------
# Errors


class ApiError(Exception):
    """An error answer: status, JSON object body, optional extra headers."""

    def __init__(
        self,
        status: int,
        body: Mapping[str, Any],
        headers: Sequence[tuple[bytes, bytes]] = (),
    ) -> None:
        super().__init__(body.get("message"))
        self.status = status
        self.body = dict(body)
        self.headers = list(headers)


def _coded(status: int, code: str, message: str) -> tuple[int, dict[str, str]]:
    phrase = {400: "400 Bad Request", 401: "401 Unauthorized", 403: "403 Forbidden"}[status]
    return status, {"errorCode": code, "httpCode": phrase, "message": message}


#: The auth-layer errors of ovh.md §7.1, bodies exactly as observed.
AUTH_ERRORS: Final[dict[str, tuple[int, dict[str, str]]]] = {
    "INVALID_KEY": _coded(403, "INVALID_KEY", "This application key is invalid"),
    "NOT_CREDENTIAL": _coded(403, "NOT_CREDENTIAL", "This credential does not exist"),
    "INVALID_SIGNATURE": _coded(400, "INVALID_SIGNATURE", "Invalid signature"),
    "QUERY_TIME_OUT": _coded(400, "QUERY_TIME_OUT", "Query out of time"),
    "INVALID_CREDENTIAL": _coded(403, "INVALID_CREDENTIAL", "This credential is not valid"),
    "NOT_GRANTED_CALL": _coded(403, "NOT_GRANTED_CALL", "This call has not been granted"),
    # Unconfirmed: OVH's answer to a call from outside a credential's allowedIPs is not
    # documented; python-ovh knows a FORBIDDEN code, so use it.
    "FORBIDDEN": _coded(403, "FORBIDDEN", "This call is not allowed from your IP address"),
}


def auth_error(code: str) -> ApiError:
    status, body = AUTH_ERRORS[code]
    return ApiError(status, body)


def not_found_route() -> ApiError:
    return ApiError(404, {"class": "Client::NotFound", "message": "Got an invalid (or empty) URL"})


def not_found(field_name: str, value: object) -> ApiError:
    message = f"The requested object ({field_name} = {value}) does not exist"
    return ApiError(404, {"class": "Client::NotFound", "message": message})


def bad_request(message: str, *, with_class: bool = True) -> ApiError:
    """400; ``with_class=False`` reproduces the documented bodies that only carry a message."""
    body = (
        {"class": "Client::BadRequest", "message": message} if with_class else {"message": message}
    )
    return ApiError(400, body)


def conflict(message: str) -> ApiError:
    return ApiError(409, {"class": "Client::Conflict", "message": message})


# Unconfirmed (ovh.md §7.1): believed to be OVH's answer when the auth headers are missing.
LOGIN_FIRST: Final = (401, {"message": "You must login first"})
# IAM/OAuth2-mode denial, as observed (ovh.md §4.5).
IAM_DENIED: Final = (
    403,
    {"class": "Client::Forbidden", "message": "User not granted for this request"},
)


# --------------------------------------------------------------------------------------------
# Body parameters


@dataclass(frozen=True)
class Param:
    """One described body parameter.

    ``kind``: ``string``, ``boolean``, ``long``, ``enum`` (``values``), ``stringList``, ``any``.
    A required parameter may not be absent or null.
    """

    kind: str = "string"
    required: bool = False
    values: tuple[object, ...] = ()
    enum_name: str = ""


def show(value: object) -> str:
    """How a rejected value appears inside an error message."""
    return value if isinstance(value, str) else json.dumps(value)


_TYPE_CHECKS: Final[dict[str, tuple[Callable[[object], bool], str]]] = {
    "string": (lambda v: isinstance(v, str), "a string"),
    "boolean": (lambda v: isinstance(v, bool), "a boolean"),
    "long": (lambda v: isinstance(v, int) and not isinstance(v, bool), "an integer"),
    "stringList": (
        lambda v: isinstance(v, list) and all(isinstance(x, str) for x in v),
        "an array of strings",
    ),
}


def check_value(name: str, value: object, spec: Param) -> None:
    """Raise the 400 OVH gives for a value of the wrong type or outside its enumeration."""
    kind = spec.kind
    if value is None or kind == "any":
        return
    if kind == "enum":
        if isinstance(value, bool) or value not in spec.values:
            raise bad_request(
                f"[{name}] Given data ({show(value)}) does not belong to the "
                f"{spec.enum_name} enumeration"
            )
        return
    accepts, label = _TYPE_CHECKS[kind]
    if not accepts(value):
        raise bad_request(f"[{name}] Given data ({show(value)}) is not {label}")


def check_body(raw: bytes, spec: Mapping[str, Param] | None, op: str) -> dict[str, Any]:
    """Parse and validate a request body against the endpoint's described parameters."""
    if spec is None:
        if raw:
            raise bad_request(
                "You provided an input body while none was expected", with_class=False
            )
        return {}
    if not raw:
        body: object = {}
    else:
        try:
            # strict: NaN and Infinity are not JSON, and OVH's parser refuses them too.
            body = jsonparse.loads(raw, strict=True)
        except jsonparse.NestingTooDeep:
            raise bad_request(
                f"Invalid JSON received: nested deeper than {jsonparse.MAX_DEPTH} levels",
                with_class=False,
            ) from None
        except (ValueError, UnicodeDecodeError):
            raise bad_request("Invalid JSON received", with_class=False) from None
    if not isinstance(body, dict):
        raise bad_request("Invalid JSON received", with_class=False)
    unknown = [k for k in body if k not in spec]
    if unknown:
        raise bad_request(
            f"Received not described parameters: ({', '.join(unknown)}) while calling {op}",
            with_class=False,
        )
    # Unconfirmed wording: OVH's text for a missing mandatory parameter is not documented.
    missing = [k for k, p in spec.items() if p.required and body.get(k) is None]
    if missing:
        raise bad_request(f"Missing parameter(s): {', '.join(missing)}")
    for name, value in body.items():
        check_value(name, value, spec[name])
    return body


# --------------------------------------------------------------------------------------------
# Endpoints and routing


class Backend(Protocol):
    """What the dispatcher needs from the emulator object."""

    @property
    def state(self) -> OvhState: ...

    def now(self) -> float: ...

    def query_id(self) -> bytes: ...


@dataclass(slots=True)
class Ctx:
    """Everything a handler may look at. The pipeline's steps fill ``credential`` and ``body``
    before the handler sees it; ``scope``, ``raw_body`` and ``endpoint`` are for those steps."""

    state: OvhState
    now: float
    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: dict[str, Any]
    site: str  # absolute URL of the OVH site root as the client sees it, e.g. http://h:p/ovh
    credential: Credential | None
    app_key: str
    headers: dict[bytes, bytes]
    response_headers: list[tuple[bytes, bytes]] = field(default_factory=list)
    scope: Scope = field(default_factory=dict)
    raw_body: bytes = b""
    endpoint: Endpoint | None = None


Handler = Callable[[Ctx], Any]


@dataclass(frozen=True)
class Endpoint:
    """A line of the route table (``tether.sandbox.kit.rest.RouteLike``)."""

    method: str
    template: str
    handler: Handler
    body: Mapping[str, Param] | None = None
    auth: Auth = "signed"
    op: str = ""

    @property
    def operation(self) -> str:
        """The name quoted in "... while calling <op>" (OVH quotes the function name)."""
        return self.op or self.template.rstrip("/").rsplit("/", 1)[-1].strip("{}")


# --------------------------------------------------------------------------------------------
# The checks, in OVH's order (see the module docstring), as steps of the kit's pipeline


def _check_credential(ctx: Ctx) -> None:
    """Bearer token, or the signed headers: present → AK → CK → signature → timestamp →
    validated → allowed IPs. Leaves the credential on ``ctx`` (``None`` for a bearer token)."""
    headers = ctx.headers
    state = ctx.state
    now = ctx.now
    authz = headers.get(b"authorization")
    if authz is not None and authz[:7].lower() == b"bearer ":
        token = state.tokens.get(authz[7:].strip().decode("latin-1"))
        if token is None or now >= token.expires_at:
            # Unconfirmed body: OVH's answer to an unknown/expired bearer token.
            raise ApiError(
                401, {"class": "Client::Unauthorized", "message": "Invalid or expired token"}
            )
        assert ctx.endpoint is not None
        if ctx.endpoint.auth == "any_rule":
            # Consumer-key bookkeeping routes make no sense for a service account.
            raise ApiError(*IAM_DENIED)
        return
    signature = headers.get(b"x-ovh-signature")
    consumer = headers.get(b"x-ovh-consumer")
    timestamp = headers.get(b"x-ovh-timestamp")
    if signature is None or consumer is None or timestamp is None:
        raise ApiError(*LOGIN_FIRST)
    app = state.applications_by_key.get(ctx.app_key)
    if app is None:
        raise auth_error("INVALID_KEY")
    cred = state.credentials_by_ck.get(consumer.decode("latin-1"))
    if cred is None or cred.application_id != app.application_id:
        raise auth_error("NOT_CREDENTIAL")
    scope = ctx.scope
    host = headers.get(b"host") or server_host(scope).encode()
    raw_path: bytes = scope.get("raw_path") or scope["path"].encode()
    qs: bytes = scope["query_string"]
    url = b"%s://%s%s" % (scope["scheme"].encode(), host, raw_path)
    if qs:
        url += b"?" + qs
    digest = hashlib.sha1(
        b"%s%s+%s+%s+%s" % (cred.sign_prefix, ctx.method.encode(), url, ctx.raw_body, timestamp)
    ).hexdigest()
    if not hmac.compare_digest(b"$1$" + digest.encode(), signature):
        raise auth_error("INVALID_SIGNATURE")
    try:
        stamp = int(timestamp)
    except ValueError:
        raise auth_error("QUERY_TIME_OUT") from None
    if abs(stamp - now) > TIMESTAMP_WINDOW:
        raise auth_error("QUERY_TIME_OUT")
    if cred.effective_status(now) != "validated":
        raise auth_error("INVALID_CREDENTIAL")
    if cred.networks:
        client = scope.get("client")
        if not cred.ip_allowed(client[0] if client else ""):
            raise auth_error("FORBIDDEN")
    ctx.credential = cred


def _check_rules(ctx: Ctx) -> None:
    """The credential's access rules (a bearer token's IAM policies are not emulated)."""
    cred = ctx.credential
    if cred is not None and not cred.rules.allows(ctx.method, ctx.path):
        raise auth_error("NOT_GRANTED_CALL")


def _record_use(ctx: Ctx) -> None:
    # Only a call that passed every auth check counts as a use of its credential.
    if ctx.credential is not None:
        ctx.credential.last_use = ctx.now


def _check_body(ctx: Ctx) -> None:
    assert ctx.endpoint is not None
    ctx.body = check_body(ctx.raw_body, ctx.endpoint.body, ctx.endpoint.operation)


#: OVH's check order after the route: what ``OvhApi`` runs for every request.
STEPS: Final[tuple[Step[Endpoint, Ctx], ...]] = (
    Step("credential", _check_credential, lambda ep: ep.auth != "none"),
    Step("access rules", _check_rules, lambda ep: ep.auth == "signed"),
    Step("record use", _record_use, lambda ep: ep.auth != "none"),
    Step("body", _check_body),
)


# --------------------------------------------------------------------------------------------
# The ASGI dispatcher


def encode_json(value: object) -> bytes:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()


class OvhApi:
    """ASGI app for one API branch (``/1.0`` = ``/v1``, or ``/v2``), mounted by ``app.py``."""

    def __init__(self, backend: Backend, endpoints: Sequence[Endpoint]) -> None:
        self.backend = backend
        self.router: Router[Endpoint] = Router(endpoints)
        self.pipeline: Pipeline[Endpoint, Ctx] = Pipeline(STEPS)
        self.pipeline.prepare(self.router.routes)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # pragma: no cover - no websockets in this API
            return
        body = await read_body(receive)
        if body is None:
            return
        status, payload, headers = self.handle(scope, body)
        await send_answer(send, status, payload, headers)

    def handle(self, scope: Scope, body: bytes) -> tuple[int, bytes, list[tuple[bytes, bytes]]]:
        """Answer one request (synchronously, on the loop thread)."""
        backend = self.backend
        headers: dict[bytes, bytes] = dict(scope["headers"])
        extra: list[tuple[bytes, bytes]] = []
        try:
            status, value = self._dispatch(scope, headers, body, extra)
        except ApiError as err:
            status, value = err.status, err.body
            extra = err.headers
        head = [*JSON_HEADERS, (b"x-ovh-queryid", backend.query_id()), *extra]
        if value is NO_CONTENT:
            return 204, b"", head[1:]
        return status, encode_json(value), head

    def _dispatch(
        self,
        scope: Scope,
        headers: dict[bytes, bytes],
        body: bytes,
        extra: list[tuple[bytes, bytes]],
    ) -> tuple[int, Any]:
        method: str = scope["method"]
        root_path: str = scope.get("root_path", "")
        full_path: str = scope["path"]
        # Routes and access rules see the path below the branch root: "/me" for "/1.0/me",
        # "/iam/resource" for "/v2/iam/resource" (how rules apply to v2 is unconfirmed).
        path = full_path[len(root_path) :] if full_path.startswith(root_path) else full_path
        path = path or "/"
        if method == "OPTIONS":
            # CORS preflight (the API console runs in a browser): never authenticated.
            extra.extend(CORS_HEADERS)
            return 204, NO_CONTENT
        try:
            ep, params = self.router.match(method, path)
        except (NoRoute, MethodNotAllowed):
            # Unconfirmed: an existing path with another verb also gets the invalid-URL 404
            # (OVH's schema is a list of (verb, path) operations), so no 405 here.
            raise not_found_route() from None
        qs: bytes = scope["query_string"]
        query = dict(parse_qsl(qs.decode("latin-1"), keep_blank_values=True)) if qs else {}
        host = headers.get(b"host", b"").decode("latin-1") or server_host(scope)
        ctx = Ctx(
            state=self.backend.state,
            now=self.backend.now(),
            method=method,
            path=path,
            params=params,
            query=query,
            body={},
            site=f"{scope['scheme']}://{host}{root_path.rsplit('/', 1)[0]}",
            credential=None,
            app_key=headers.get(b"x-ovh-application", b"").decode("latin-1"),
            headers=headers,
            response_headers=extra,
            scope=scope,
            raw_body=body,
            endpoint=ep,
        )
        self.pipeline.run(ep, ctx)
        return 200, ep.handler(ctx)
