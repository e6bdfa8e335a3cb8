"""Both drivers run the same flows the same way."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from tether.core.errors import ConnectError, UsageError
from tether.core.flow import Browse, Exclusive, Flow, Gather, Now, Prompt, Send, Sleep
from tether.core.messages import Request, Response
from tether.runtime import AsyncRuntime, SyncRuntime


class Echo:
    """Transport answering with the URL as body; fails for URLs containing 'down'."""

    def __init__(self) -> None:
        self.count = 0

    def send(self, request: Request) -> Response:
        self.count += 1
        if "down" in request.url:
            raise ConnectError("refused")
        return Response(200, body=request.url.encode())

    def close(self) -> None:
        pass


class AsyncEcho(Echo):
    async def send(self, request: Request) -> Response:  # type: ignore[override]
        await asyncio.sleep(0)
        return Echo.send(self, request)

    async def aclose(self) -> None:
        pass


def sample_flow() -> Flow[dict[str, Any]]:
    t = yield Now()
    yield Sleep(0.5)
    r = yield Send(Request("GET", "http://a/1"))
    try:
        yield Send(Request("GET", "http://down/"))
        failed = None
    except ConnectError as e:
        failed = type(e).__name__
    answer = yield Prompt("verifier", "code?")
    yield Browse("http://auth/page")
    sub = yield Exclusive("k", one("http://a/2"))
    many = yield Gather([one(f"http://a/g{i}") for i in range(3)], limit=2)
    return {"t": t, "body": r.body, "failed": failed, "answer": answer, "sub": sub, "many": many}


def one(url: str) -> Flow[bytes]:
    r = yield Send(Request("GET", url))
    return r.body


EXPECTED = {
    "t": 42.0,
    "body": b"http://a/1",
    "failed": "ConnectError",
    "answer": "1234",
    "sub": b"http://a/2",
    "many": [b"http://a/g0", b"http://a/g1", b"http://a/g2"],
}


def test_sync_runtime_performs_every_effect() -> None:
    slept: list[float] = []
    browsed: list[str] = []
    rt = SyncRuntime(
        Echo(),
        clock=lambda: 42.0,
        sleep=slept.append,
        prompt=lambda p: "1234",
        browse=lambda b: browsed.append(b.url),
    )
    assert rt.run(sample_flow()) == EXPECTED
    assert slept == [0.5] and browsed == ["http://auth/page"]


async def test_async_runtime_performs_every_effect() -> None:
    slept: list[float] = []
    browsed: list[str] = []

    async def sleep(s: float) -> None:
        slept.append(s)

    async def prompt(p: Prompt) -> str:
        return "1234"

    rt = AsyncRuntime(
        AsyncEcho(),
        clock=lambda: 42.0,
        sleep=sleep,
        prompt=prompt,
        browse=lambda b: browsed.append(b.url),
    )
    assert await rt.run(sample_flow()) == EXPECTED
    assert slept == [0.5] and browsed == ["http://auth/page"]


def test_non_effect_is_a_usage_error() -> None:
    def bad() -> Flow[None]:
        yield "not an effect"  # type: ignore[misc]

    with pytest.raises(UsageError):
        SyncRuntime(Echo()).run(bad())


def _once_flow(state: dict[str, int], started: threading.Event | None = None) -> Flow[int]:
    """A refresh that must only ever run once: checks state under the lock."""

    def refresh() -> Flow[int]:
        if "token" in state:
            return state["token"]
        yield Sleep(0.05)  # slow refresh: others pile up behind the lock
        state["refreshes"] = state.get("refreshes", 0) + 1
        state["token"] = 7
        return 7

    if "token" in state:
        return state["token"]
    return (yield Exclusive("refresh", refresh()))


def test_exclusive_serialises_threads() -> None:
    import time

    rt = SyncRuntime(Echo(), sleep=time.sleep)
    state: dict[str, int] = {}
    results: list[int] = []
    threads = [
        threading.Thread(target=lambda: results.append(rt.run(_once_flow(state)))) for _ in range(8)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert results == [7] * 8
    assert state["refreshes"] == 1


async def test_exclusive_serialises_tasks() -> None:
    rt = AsyncRuntime(AsyncEcho())
    state: dict[str, int] = {}
    results = await asyncio.gather(*(rt.run(_once_flow(state)) for _ in range(20)))
    assert results == [7] * 20
    assert state["refreshes"] == 1


async def test_gather_limit_bounds_concurrency() -> None:
    in_flight = 0
    peak = 0

    class Slow(AsyncEcho):
        async def send(self, request: Request) -> Response:  # type: ignore[override]
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.01)
            in_flight -= 1
            return Response(200, body=request.url.encode())

    def parent() -> Flow[list[bytes]]:
        return (yield Gather([one(f"http://a/{i}") for i in range(10)], limit=3))

    out = await AsyncRuntime(Slow()).run(parent())
    assert out == [f"http://a/{i}".encode() for i in range(10)]
    assert peak == 3
