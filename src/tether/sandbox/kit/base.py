"""The base of every emulator: the emulated clock, counters, tunables, re-seeding, the default
error answer and the control routes every service has (``/time``, ``/stats``, ``/reset``).

Invariants:
- One code path builds the state and resets it: ``__init__`` calls ``seed()`` and ``reset()``
  calls it again, so whatever ``seed()`` makes is restored by a reset and nothing is listed
  twice (moto's ``BaseBackend.reset`` re-runs the constructor for the same reason). A
  subclass extends ``seed()`` (``super().seed()`` first) with its data and anything else a
  reset restores; what outlives a reset (the served ASGI apps, query-id counters) is made in
  its own ``__init__``, after ``super().__init__()``.
- ``seed()`` replaces objects, it never mutates the old ones: a handler that read
  ``emulator.state`` before an ``await`` keeps a consistent (if discarded) state, and one that
  reads it after sees the fresh one.
- ``now()`` is the only clock an emulator reads: real time plus ``skew``, set by ``/time``.
- Control routes check every field before they change anything (``control_api``); ``/reset``
  resets this service only (faults belong to the combined app's ``/_sandbox/reset``).
"""

from __future__ import annotations

import time
from http import HTTPStatus
from typing import Any, ClassVar, Protocol

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from tether.sandbox import control_api as ctl
from tether.sandbox.kit.grants import PendingGrant
from tether.sandbox.registry import RawResponse


class Stats(Protocol):
    """What ``/stats`` answers: a service's counters as JSON."""

    def to_json(self) -> dict[str, Any]: ...


def status_phrase(status: int) -> str:
    """``HTTPStatus``'s phrase for ``status`` (``"Error"`` for a code it does not know)."""
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


class EmulatorBase:
    """What every emulator has. Subclasses set ``name``, ``stats_type`` and ``settings_type``
    (zero-argument factories: a reset calls them again) and extend ``seed()``.

    Attributes:
        skew: Seconds the emulated clock runs ahead of real time.
        stats: The counters ``/stats`` answers (a fresh ``stats_type()`` after each reset).
        settings: The tunables (a fresh ``settings_type()`` after each reset).
    """

    name: ClassVar[str]
    stats_type: ClassVar[type[Stats]]
    settings_type: ClassVar[type[Any]]

    skew: float
    stats: Any
    settings: Any

    def __init__(self) -> None:
        self.seed()

    def seed(self) -> None:
        """Build everything a reset restores (see the module docstring)."""
        self.skew = 0.0
        self.stats = self.stats_type()
        self.settings = self.settings_type()

    def reset(self) -> None:
        """Back to the seeded state: data, clock skew, tunables, counters."""
        self.seed()

    def now(self) -> float:
        """The emulated server clock (Unix seconds)."""
        return time.time() + self.skew

    def error_response(self, status: int) -> RawResponse:
        """A plain-text answer for ``status``; services override it with their own body."""
        body = f"{status} {status_phrase(status)}\n".encode()
        return status, [(b"content-type", b"text/plain; charset=utf-8")], body

    def pending_grants(self) -> list[PendingGrant]:
        """The grants waiting for a person to approve them (the dashboard lists them); an
        emulator with grants overrides it. Called on the event-loop thread, like handlers."""
        return []

    # -- control routes --------------------------------------------------------------------

    def base_control_routes(self) -> list[BaseRoute]:
        """``GET|POST /time`` (``{"skew": s}``), ``GET /stats`` and ``POST /reset``."""

        async def clock(request: Request) -> Response:
            if request.method == "POST":
                body = await ctl.json_object(request, fields=("skew",))
                self.skew = ctl.number(
                    body, "skew", 0.0, minimum=-ctl.MAX_SKEW, maximum=ctl.MAX_SKEW
                )
            return JSONResponse({"skew": self.skew, "server_time": int(self.now())})

        async def stats(request: Request) -> Response:
            return JSONResponse(self.stats.to_json())

        async def reset(request: Request) -> Response:
            await ctl.json_object(request, fields=())
            self.reset()
            return JSONResponse({"reset": [self.name]})

        return [
            Route("/time", clock, methods=["GET", "POST"]),
            Route("/stats", stats, methods=["GET"]),
            Route("/reset", reset, methods=["POST"]),
        ]
