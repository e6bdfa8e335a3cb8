"""The OVH emulator app: ``create_app()`` and ``credentials(root_url)`` for the sandbox registry.

Below its mount point (``/ovh`` in the combined sandbox)::

    /1.0/...  /v1/...          the v1 API (``routes.V1_ENDPOINTS``), /v1 being an alias
    /v2/...                    the v2 API (``routes.V2_ENDPOINTS``, cursor pagination)
    /auth/?credentialToken=…   the consumer-key validation page (``routes/auth.py``)
    /auth/oauth2/token         OAuth2 client-credentials token endpoint
    /cgi-bin/order/facture.*   the bill documents that ``pdfUrl`` / ``url`` point at

and its control routes (mounted at ``/_sandbox/ovh`` by the combined app)::

    POST /credentials/{consumerKey}/validate   {"deny": bool, "expires_in": s} approve/refuse
    GET|POST /time                             {"skew": s}: server clock = real time + skew
    GET|POST /oauth2                           {"expires_in": n}: lifetime of new tokens
    GET /stats                                 request counts per path and per call, token grants
    POST /reset                                this emulator's seeded state again (kit base)

Invariants:
- All state is on the ``OvhEmulator`` instance (``app.state.emulator``); ``reset()`` re-runs
  ``seed()`` (``kit.base.EmulatorBase``): seeded data, clock, tunables and counters afresh.
- Every answer under the API branches carries ``X-Ovh-Queryid``; the counters see every request
  that reaches this app (requests cut short by an injected fault never reach it).
"""

from __future__ import annotations

import hmac
import itertools
import os
import random
from collections import Counter
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tether.sandbox import control_api as ctl
from tether.sandbox.control_api import control_app, json_object
from tether.sandbox.kit.base import EmulatorBase, status_phrase
from tether.sandbox.kit.grants import PendingGrant, grant_ref
from tether.sandbox.registry import RawResponse
from tether.services.ovh.sandbox.dispatch import JSON_HEADERS, OvhApi, encode_json
from tether.services.ovh.sandbox.routes import V1_ENDPOINTS, V2_ENDPOINTS
from tether.services.ovh.sandbox.routes.auth import make_token_endpoint, make_validation_endpoint
from tether.services.ovh.sandbox.state import (
    ACCOUNT_LOGIN,
    ACCOUNT_PASSWORD,
    APPLICATION_KEY,
    APPLICATION_SECRET,
    CONSUMER_KEY,
    CONSUMER_KEY_READONLY,
    OAUTH2_CLIENT_ID,
    OAUTH2_CLIENT_SECRET,
    OvhState,
)

#: python-ovh/oauthlib see 3599 from the real service (ovh.md §5).
DEFAULT_EXPIRES_IN: Final = 3599

#: Error bodies for injected statuses, in OVH's shapes (ovh.md §7.1).
_FAULT_BODIES: Final[dict[int, dict[str, str]]] = {
    400: {"class": "Client::BadRequest", "message": "Bad Request"},
    401: {"message": "You must login first"},
    403: {"class": "Client::Forbidden", "message": "Forbidden"},
    404: {"class": "Client::NotFound", "message": "Got an invalid (or empty) URL"},
    409: {"class": "Client::Conflict", "message": "Conflict"},
    429: {"message": "Too many requests"},
    500: {"class": "Server::InternalServerError", "message": "Internal server error"},
    502: {"class": "Server::BadGateway", "message": "Bad gateway"},
    503: {"class": "Server::ServiceUnavailable", "message": "Service unavailable"},
    504: {"class": "Server::GatewayTimeout", "message": "Gateway timeout"},
}


def credentials(root_url: str) -> dict[str, Any]:
    """The OVH block of ``GET /_sandbox/credentials`` for a sandbox at ``root_url``."""
    base = f"{root_url}/ovh/1.0"
    return {
        "base_url": base,
        "endpoint": base,
        "base_url_v2": f"{root_url}/ovh/v2",
        "application_key": APPLICATION_KEY,
        "application_secret": APPLICATION_SECRET,
        "consumer_key": CONSUMER_KEY,
        "consumer_key_readonly": CONSUMER_KEY_READONLY,
        "client_id": OAUTH2_CLIENT_ID,
        "client_secret": OAUTH2_CLIENT_SECRET,
        "token_url": f"{root_url}/ovh/auth/oauth2/token",
        "account": {"login": ACCOUNT_LOGIN, "password": ACCOUNT_PASSWORD},
    }


class _Stats:
    def __init__(self) -> None:
        self.paths: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        self.token_grants = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "requests": dict(self.paths),
            "calls": dict(self.calls),
            "total": sum(self.paths.values()),
            "token_grants": self.token_grants,
        }


class _Front:
    """ASGI middleware counting every request that reaches the emulator, and sending API calls
    straight to their branch (the same thing the router's ``Mount`` would do, minus a layer of
    routing and exception handling on the hot path)."""

    def __init__(self, app: ASGIApp, emulator: OvhEmulator, branches: dict[str, ASGIApp]) -> None:
        self.app = app
        self.emulator = emulator
        self.branches = branches

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            stats = self.emulator.stats
            path: str = scope["path"]
            stats.paths[path] += 1
            stats.calls[f"{scope['method']} {path}"] += 1
            root: str = scope.get("root_path", "")
            if path.startswith(root):
                parts = path[len(root) :].split("/", 2)
                branch = self.branches.get(parts[1]) if len(parts) == 3 else None
                if branch is not None:
                    child = dict(scope)
                    child["root_path"] = f"{root}/{parts[1]}"
                    await branch(child, receive, send)
                    return
        await self.app(scope, receive, self._with_query_id(send))

    def _with_query_id(self, send: Send) -> Send:
        """Pages, token endpoint and stray 404s carry a query id too, like every OVH answer."""

        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                if not any(name.lower() == b"x-ovh-queryid" for name, _ in headers):
                    headers.append((b"x-ovh-queryid", self.emulator.query_id()))
                message = {**message, "headers": headers}
            await send(message)

        return wrapped


@dataclass
class _Settings:
    """Tunables set through the control API; a reset makes a fresh one."""

    #: Lifetime announced for new OAuth2 tokens (``/oauth2``).
    expires_in: int = DEFAULT_EXPIRES_IN


class OvhEmulator(EmulatorBase):
    """One emulated OVHcloud API: state, clock, tunables, and the ASGI apps serving them."""

    name = "ovh"
    stats_type = _Stats
    settings_type = _Settings
    state: OvhState

    def __init__(self) -> None:
        super().__init__()
        # Query ids look like OVH's: EU.ext-<n>.<hex node>.<counter>.<random>.
        self._qid_prefix = f"EU.ext-3.{os.urandom(4).hex()}.".encode()
        self._qid_counter = itertools.count(1)
        # Not a secret, just unique-looking: a PRNG avoids a getrandom syscall per response.
        self._qid_random = random.Random(os.urandom(8))
        self.app = self._build_app()
        self._control = self._build_control()

    # -- Emulator protocol ----------------------------------------------------------------

    def seed(self) -> None:
        super().seed()
        self.state = OvhState.seeded()

    @property
    def control(self) -> ASGIApp:
        return self._control

    def query_id(self) -> bytes:
        return b"%s%d.%012x" % (
            self._qid_prefix,
            next(self._qid_counter),
            self._qid_random.getrandbits(48),
        )

    def error_response(self, status: int) -> RawResponse:
        body = _FAULT_BODIES.get(status)
        if body is None:
            phrase = status_phrase(status)
            side = "Server" if status >= 500 else "Client"
            body = {"class": f"{side}::{phrase.replace(' ', '')}", "message": phrase}
        headers = [*JSON_HEADERS, (b"x-ovh-queryid", self.query_id())]
        return status, headers, encode_json(body)

    def rate_key(self, scope: Scope) -> str:
        """Per consumer key (ovh.md §7.1: OVH's fair use is counted per CK); else per bearer
        token, else per application, else per client address."""
        headers = dict(scope["headers"])
        for name in (b"x-ovh-consumer", b"authorization", b"x-ovh-application"):
            value = headers.get(name)
            if value:
                return f"{name.decode()}:{value.decode('latin-1')}"
        client = scope.get("client")
        return f"client:{client[0] if client else '?'}"

    def pending_grants(self) -> list[PendingGrant]:
        """Consumer keys waiting for validation; approving one is what the validation page
        does with its default validity (unlimited)."""
        now = self.now()
        return [
            PendingGrant(
                kind="consumer key",
                app_key=cred.api_key,
                ref=grant_ref(cred.consumer_key),
                created=cred.created,
                asks=", ".join(f"{r['method']} {r['path']}" for r in cred.rules.rules),
                approve=partial(cred.approve, now, valid_for=None),
            )
            for cred in self.state.credentials.values()
            if cred.effective_status(now) == "pendingValidation"
        ]

    # -- apps -----------------------------------------------------------------------------

    def _build_app(self) -> Starlette:
        api_v1 = OvhApi(self, V1_ENDPOINTS)
        api_v2 = OvhApi(self, V2_ENDPOINTS)
        validation = make_validation_endpoint(lambda: self.state, self.now)

        async def not_found(request: Request, exc: Exception) -> Response:
            status, headers, body = self.error_response(404)
            if isinstance(exc, HTTPException) and exc.status_code == 405:
                status = 404  # unconfirmed: OVH answers unknown (verb, path) pairs with 404
            return Response(
                body, status_code=status, headers={k.decode(): v.decode() for k, v in headers}
            )

        routes = [
            Mount("/1.0", app=api_v1),
            Mount("/v1", app=api_v1),
            Mount("/v2", app=api_v2),
            Route("/auth/", validation, methods=["GET", "POST"]),
            Route("/auth/oauth2/token", make_token_endpoint(self), methods=["POST"]),
            Route("/cgi-bin/order/facture.pdf", self._bill_document, methods=["GET"]),
            Route("/cgi-bin/order/facture.cgi", self._bill_document, methods=["GET"]),
        ]
        app = Starlette(
            routes=routes,
            middleware=[
                Middleware(
                    _Front, emulator=self, branches={"1.0": api_v1, "v1": api_v1, "v2": api_v2}
                )
            ],
            exception_handlers={HTTPException: not_found},
        )
        app.state.emulator = self
        return app

    def _build_control(self) -> Starlette:
        async def validate(request: Request) -> Response:
            body = await json_object(request, fields=("deny", "expires_in"))
            deny = ctl.boolean(body, "deny", False)
            expires_in = ctl.number(body, "expires_in", None, minimum=0, maximum=ctl.MAX_SKEW)
            cred = self.state.credentials_by_ck.get(request.path_params["consumer_key"])
            if cred is None:
                return JSONResponse({"error": "unknown consumer key"}, status_code=404)
            if cred.effective_status(self.now()) != "pendingValidation":
                return JSONResponse(
                    {"error": f"credential is {cred.status}, not pendingValidation"},
                    status_code=409,
                )
            if deny:
                cred.deny(self.now())
            else:
                cred.approve(self.now(), valid_for=expires_in)
            return JSONResponse(cred.to_json())

        async def oauth2(request: Request) -> Response:
            settings = self.settings
            if request.method == "POST":
                body = await json_object(request, fields=("expires_in",))
                settings.expires_in = ctl.integer(body, "expires_in", DEFAULT_EXPIRES_IN, minimum=0)
            return JSONResponse({"expires_in": settings.expires_in})

        return control_app(
            [
                Route("/credentials/{consumer_key}/validate", validate, methods=["POST"]),
                Route("/oauth2", oauth2, methods=["GET", "POST"]),
                *self.base_control_routes(),
            ]
        )

    # -- bill documents -------------------------------------------------------------------

    async def _bill_document(self, request: Request) -> Response:
        bill = self.state.bills.get(request.query_params.get("reference", ""))
        if bill is None or not hmac.compare_digest(
            request.query_params.get("passwd", "").encode(), bill.password.encode()
        ):
            return Response("Unknown bill\n", status_code=404, media_type="text/plain")
        text = f"OVH SAS - Invoice {bill.bill_id} - {bill.price:.2f} EUR excl. tax"
        if request.url.path.endswith(".cgi"):
            return Response(f"<html><body><h1>{text}</h1></body></html>", media_type="text/html")
        return Response(_tiny_pdf(text), media_type="application/pdf")


def _tiny_pdf(text: str) -> bytes:
    """A minimal valid one-page PDF showing ``text`` (ASCII)."""
    safe = text.encode("ascii", "replace").replace(b"\\", b"\\\\")
    safe = safe.replace(b"(", b"\\(").replace(b")", b"\\)")
    stream = b"BT /F1 14 Tf 50 780 Td (" + safe + b") Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 5 0 R >> >> >>",
        b"<< /Length %d >>\nstream\n%s\nendstream" % (len(stream), stream),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, obj in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, obj)
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (
        len(objects) + 1,
        xref,
    )
    return bytes(out)


def create_app() -> Starlette:
    """A fresh OVH emulator app; its ``OvhEmulator`` is ``app.state.emulator``."""
    return OvhEmulator().app
