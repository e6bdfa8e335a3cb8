"""The combined sandbox app: every service emulator on one origin, plus the control API.

Layout::

    /<service>/...             each emulator of registry.SERVICES (``/ovh/1.0/me`` …)
    /_sandbox/credentials      GET: every service's ready-to-use credentials
    /_sandbox/reset            POST: seeded state again, faults cleared, clocks and tunables reset
    /_sandbox/faults           GET list / POST add (object or list) / DELETE clear
    /_sandbox/faults/{id}      DELETE one
    /_sandbox/<service>/...    the service's own control routes (see its emulator)
    /_sandbox/dashboard/...    POST: the dashboard's buttons (``dashboard.py``)
    /                          GET: the dashboard page for a browser (``Accept: text/html``),
                               else a small JSON index

Invariants:
- All state hangs off the app instance (``app.state.emulators``, ``.faults``, ``.connections``,
  ``.requests``): two apps in one process share nothing.
- Middleware, outermost first: the request log (``requestlog.py``: it sees what clients saw,
  injected faults included), then the fault layer. ``/_sandbox/reset`` clears the log too.
- Control routes answer JSON; their errors are ``{"error": "..."}`` with a 4xx status.
- URLs handed out (credentials, index) are built from the request's own scheme and Host header,
  so they are right whatever address or port the server listens on.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from tether.sandbox.connections import ConnectionRegistry
from tether.sandbox.control_api import json_object, parse_json
from tether.sandbox.dashboard import Dashboard, wants_html
from tether.sandbox.faults import FaultBook, FaultInjector, FaultSpecError
from tether.sandbox.registry import SERVICES, Emulator, ServiceModule, load
from tether.sandbox.requestlog import RequestLog, RequestRecorder


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def root_url(request: Request) -> str:
    """``scheme://host[:port]`` as the client addressed us."""
    host = request.headers.get("host")
    if not host:
        server = request.scope.get("server") or ("127.0.0.1", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    return f"{request.url.scheme}://{host}"


def create_app() -> Starlette:
    """Build a fresh combined app (imports every registered emulator module)."""
    modules: dict[str, ServiceModule] = {}
    emulators: dict[str, Emulator] = {}
    service_routes: list[BaseRoute] = []
    for spec in SERVICES:
        module = load(spec)
        service_app = module.create_app()
        emulator: Emulator = service_app.state.emulator
        modules[spec.name] = module
        emulators[spec.name] = emulator
        service_routes.append(Mount(spec.mount, app=service_app))
        service_routes.append(Mount(f"/_sandbox/{spec.name}", app=emulator.control))
    book = FaultBook(frozenset(emulators))
    connections = ConnectionRegistry()
    requests = RequestLog()
    dashboard = Dashboard(
        specs=SERVICES,
        modules=modules,
        emulators=emulators,
        book=book,
        log=requests,
        root_url=root_url,
    )

    async def index(request: Request) -> Response:
        if wants_html(request):
            return await dashboard.page(request)
        root = root_url(request)
        return JSONResponse(
            {
                "services": {s.name: f"{root}{s.mount}{s.api_path}" for s in SERVICES},
                "credentials": f"{root}/_sandbox/credentials",
            }
        )

    async def credentials(request: Request) -> Response:
        root = root_url(request)
        return JSONResponse({name: m.credentials(root) for name, m in modules.items()})

    async def reset(request: Request) -> Response:
        await json_object(request, fields=())  # no body, or {}: a typo must not pass unseen
        for emulator in emulators.values():
            emulator.reset()
        book.clear()
        requests.clear()
        return JSONResponse({"reset": sorted(emulators)})

    async def faults(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse({"faults": book.to_json()})
        if request.method == "DELETE":
            book.clear()
            return JSONResponse({"faults": []})
        body = parse_json(await request.body())
        specs = body if isinstance(body, list) else [body]
        try:
            # Validate all before adding any, so a bad list changes nothing.
            scratch = FaultBook(book.services)
            for spec in specs:
                scratch.add(spec)
        except FaultSpecError as err:
            return _error(400, str(err))
        added = [book.add(spec).to_json() for spec in specs]
        return JSONResponse({"added": added, "faults": book.to_json()})

    async def fault_delete(request: Request) -> Response:
        try:
            fault_id = int(request.path_params["fault_id"])
        except ValueError:
            return _error(404, "no such fault")
        if not book.remove(fault_id):
            return _error(404, "no such fault")
        return JSONResponse({"faults": book.to_json()})

    async def not_found(request: Request, exc: Exception) -> Response:
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        detail = exc.detail if isinstance(exc, HTTPException) else "error"
        return _error(status, str(detail))

    routes: list[BaseRoute] = [
        # Service mounts first: the router tries routes in order, and API calls are the hot path.
        *service_routes,
        Route("/", index, methods=["GET"]),
        Route("/_sandbox/credentials", credentials, methods=["GET"]),
        Route("/_sandbox/reset", reset, methods=["POST"]),
        Route("/_sandbox/faults", faults, methods=["GET", "POST", "DELETE"]),
        Route("/_sandbox/faults/{fault_id}", fault_delete, methods=["DELETE"]),
        *dashboard.routes(),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(RequestRecorder, log=requests, services=emulators),
            Middleware(FaultInjector, book=book, emulators=emulators, connections=connections),
        ],
        exception_handlers={HTTPException: not_found},
    )
    app.state.emulators = emulators
    app.state.faults = book
    app.state.connections = connections
    app.state.requests = requests
    return app
