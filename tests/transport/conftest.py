"""Drive each transport the same way: ``driver(kind, options)`` with sync ``send``/``idle``."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from tether.core.messages import Request, Response
from tether.transport import TransportOptions

SYNC = ["stdlib", "urllib3"]
ALL = ["stdlib", "urllib3", "aiohttp", "asyncio"]
ASYNC = ["aiohttp", "asyncio"]


class Driver:
    """One transport; async ones run on a private event loop that stays open between calls
    (so pooled connections survive, as in a long-running async program)."""

    def __init__(self, kind: str, options: TransportOptions) -> None:
        self.kind = kind
        self.loop: asyncio.AbstractEventLoop | None = None
        self.t: Any
        if kind == "aiohttp":
            from tether.transport.aio import AiohttpTransport

            self.loop = asyncio.new_event_loop()
            self.t = AiohttpTransport(options)
        elif kind == "asyncio":
            from tether.transport.aioproto import AsyncioTransport

            self.loop = asyncio.new_event_loop()
            self.t = AsyncioTransport(options)
        elif kind == "urllib3":
            from tether.transport.sync import Urllib3Transport

            self.t = Urllib3Transport(options)
        else:
            from tether.transport.stdlib import HttpClientTransport

            self.t = HttpClientTransport(options)

    def send(self, request: Request) -> Response:
        if self.loop is not None:
            return self.loop.run_until_complete(self.t.send(request))  # type: ignore[no-any-return]
        return self.t.send(request)  # type: ignore[no-any-return]

    def idle(self, seconds: float) -> None:
        """Wait with the event loop running (an async program idles in its loop)."""
        if self.loop is not None:
            self.loop.run_until_complete(asyncio.sleep(seconds))
        else:
            time.sleep(seconds)

    def close(self) -> None:
        if self.loop is not None:
            self.loop.run_until_complete(self.t.aclose())
            self.loop.close()
        else:
            self.t.close()


@pytest.fixture
def driver() -> Iterator[Callable[..., Driver]]:
    made: list[Driver] = []

    def make(kind: str, **options: Any) -> Driver:
        d = Driver(kind, TransportOptions(**options))
        made.append(d)
        return d

    yield make
    for d in made:
        d.close()
