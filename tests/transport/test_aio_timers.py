"""The aiohttp transport's per-call machinery: one shared deadline timer per loop, the
Content-Type skip asked only where aiohttp would add one, and the read of an answer that is
already in. Each also holds with many calls in flight, and against the real sandbox."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import pytest

from tests.transport.servers import Conn, RawServer
from tether.core.errors import ResponseTooLarge, TimeoutError
from tether.core.messages import Request
from tether.transport import TransportOptions
from tether.transport.aio import AiohttpTransport, _Deadlines, _Guard
from tether.transport.aioproto import AsyncioTransport

BOTH = [AiohttpTransport, AsyncioTransport]


class _Task:
    """Stands in for the attempt's task: records the cancel a deadline makes."""

    def __init__(self) -> None:
        self.cancelled_at: float | None = None

    def cancel(self) -> None:
        self.cancelled_at = time.monotonic()


def _spy_timers(loop: asyncio.AbstractEventLoop) -> list[float]:
    """The times the loop timers of ``_Deadlines`` are armed at, from now on (this loop)."""
    arms: list[float] = []
    call_at = loop.call_at

    def spy(when: float, cb: Any, *args: Any, **kw: Any) -> Any:
        if type(getattr(cb, "__self__", None)) is _Deadlines:
            arms.append(when)
        return call_at(when, cb, *args, **kw)

    loop.call_at = spy  # type: ignore[method-assign,assignment]
    return arms


def _guard(deadlines: _Deadlines, seconds: float) -> tuple[_Guard, _Task]:
    g = _Guard(deadlines, seconds)
    task = _Task()
    g.task = task  # type: ignore[assignment]
    return g, task


def test_deadlines_fire_in_order_on_one_timer_and_skip_finished_attempts() -> None:
    async def drive() -> None:
        loop = asyncio.get_running_loop()
        d = _Deadlines(loop)
        arms = _spy_timers(loop)
        t0 = time.monotonic()
        a, ta = _guard(d, 0.10)
        b, tb = _guard(d, 0.25)
        c, tc = _guard(d, 0.40)
        for g in (a, b, c):
            g.start()
            g.start()  # a second start is a no-op: the deadline counts from the first
        assert len(arms) == 1  # later deadlines ride on the timer already armed
        assert len(d.pending) == 3
        b.cancel()  # b finished early: it must never fire
        await asyncio.sleep(0.55)
        assert ta.cancelled_at is not None and tc.cancelled_at is not None
        assert tb.cancelled_at is None and not b.fired
        assert a.fired and c.fired
        assert 0.10 <= ta.cancelled_at - t0 < 0.25
        assert 0.40 <= tc.cancelled_at - t0 < 0.55
        assert d.pending == {} and d.handle is None
        # Armed for a; when a fired, re-armed for c (b had finished); nothing after c.
        assert len(arms) == 2

    asyncio.run(drive())


def test_an_earlier_deadline_rearms_the_shared_timer() -> None:
    async def drive() -> None:
        d = _Deadlines(asyncio.get_running_loop())
        t0 = time.monotonic()
        late, t_late = _guard(d, 5.0)
        late.start()
        early, t_early = _guard(d, 0.1)
        early.start()
        assert d.armed_at < t0 + 1.0  # moved from 5 s to the 0.1 s deadline
        await asyncio.sleep(0.3)
        assert t_early.cancelled_at is not None and t_late.cancelled_at is None
        assert list(d.pending) == [late]  # and the timer now waits for it
        assert d.handle is not None and d.armed_at > t0 + 4.0
        late.cancel()

    asyncio.run(drive())


def _answer_after(seconds: float) -> Any:
    """A server that answers every request after ``seconds`` (its path's query ``?hold``
    makes it never answer)."""

    def handle(c: Conn, server: RawServer) -> None:
        while (req := c.read_request()) is not None:
            server.record(req)
            if b"?hold" in req.split(b"\r\n", 1)[0]:
                time.sleep(3.0)
                return
            time.sleep(seconds)
            c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    return handle


@pytest.mark.parametrize("cls", BOTH)
def test_many_attempts_in_flight_share_one_timer_and_each_keeps_its_deadline(cls: type) -> None:
    with RawServer(_answer_after(0.2)) as server:

        async def drive() -> list[Any]:
            t = cls(TransportOptions(deadline=30.0))
            timers = _spy_timers(asyncio.get_running_loop())
            try:
                fast = [t.send(Request("GET", f"{server.url}/ok{i}")) for i in range(20)]
                slow = [
                    t.send(Request("GET", f"{server.url}/x?hold", deadline=s)) for s in (0.5, 0.8)
                ]
                t0 = time.monotonic()
                results = await asyncio.gather(*fast, *slow, return_exceptions=True)
                elapsed = time.monotonic() - t0
                assert t._state.deadlines is not None
                assert t._state.deadlines.pending == {}  # nothing left behind
            finally:
                await t.aclose()
            # 22 attempts: one arm for the 30 s deadlines, one each for the shorter ones,
            # one re-arm after the 0.5 s deadline fired (for the 0.8 s one), one after that.
            assert 1 <= len(timers) <= 5
            assert elapsed < 2.5
            return results

        results = asyncio.run(drive())
    assert [r.body for r in results[:20]] == [b"ok"] * 20
    for r, s in zip(results[20:], ("0.5", "0.8"), strict=True):
        assert isinstance(r, TimeoutError) and f"{s} s deadline" in str(r)


def _recording() -> Any:
    def handle(c: Conn, server: RawServer) -> None:
        while (req := c.read_request()) is not None:
            server.record(req)
            c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")

    return handle


def _content_types(raw: bytes) -> list[bytes]:
    head = raw.split(b"\r\n\r\n", 1)[0]
    return [
        line.split(b":", 1)[1].strip()
        for line in head.split(b"\r\n")[1:]
        if line.lower().startswith(b"content-type:")
    ]


@pytest.mark.parametrize("cls", BOTH)
@pytest.mark.parametrize(
    ("method", "body", "headers", "expected"),
    [
        ("GET", b"", (), []),
        ("DELETE", b"", (), []),
        ("POST", b"", (), []),  # aiohttp would add application/octet-stream
        ("PUT", b"", (), []),
        ("POST", b"{}", (("Content-Type", "application/json"),), [b"application/json"]),
        ("POST", b"raw", (), []),  # the caller said nothing: neither does tether
        ("DELETE", b"{}", (("Content-Type", "application/json"),), [b"application/json"]),
    ],
)
def test_content_type_is_only_what_the_caller_set(
    cls: type, method: str, body: bytes, headers: tuple[tuple[str, str], ...], expected: list[bytes]
) -> None:
    with RawServer(_recording()) as server:

        async def drive() -> None:
            t = cls()
            try:
                r = await t.send(Request(method, server.url + "/p", headers, body))
                assert r.status == 200
            finally:
                await t.aclose()

        asyncio.run(drive())
    assert _content_types(server.requests[0]) == expected


def _chunked(size: int) -> Any:
    body = b"x" * size
    answer = (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
        + f"{size:x}\r\n".encode()
        + body
        + b"\r\n0\r\n\r\n"
    )

    def handle(c: Conn, server: RawServer) -> None:
        while (req := c.read_request()) is not None:
            server.record(req)
            c.send(answer)  # head and whole body in one write: in before the headers return

    return handle


@pytest.mark.parametrize("cls", BOTH)
@pytest.mark.parametrize(("size", "limit", "fits"), [(1000, 1000, True), (1001, 1000, False)])
def test_an_answer_already_in_is_read_only_within_the_limit(
    cls: type, size: int, limit: int, fits: bool
) -> None:
    with RawServer(_chunked(size)) as server:

        async def drive() -> Any:
            t = cls(TransportOptions(max_response_bytes=limit))
            try:
                return await t.send(Request("GET", server.url + "/c"))
            finally:
                await t.aclose()

        if fits:
            assert asyncio.run(drive()).body == b"x" * size
        else:
            with pytest.raises(ResponseTooLarge, match=f"larger than {limit} bytes"):
                asyncio.run(drive())


@pytest.mark.parametrize("cls", BOTH)
def test_the_async_client_at_fifty_in_flight_against_the_sandbox(
    cls: type, tether_sandbox: Any
) -> None:
    """The real wiring: 200 signed calls, 50 in flight, all answered, no deadline left over."""
    from tether.ovh import AsyncClient

    creds = tether_sandbox.credentials()["ovh"]

    async def drive() -> tuple[list[Any], Any]:
        client = AsyncClient(
            endpoint=creds["base_url"],
            application_key=creds["application_key"],
            application_secret=creds["application_secret"],
            consumer_key=creds["consumer_key"],
            transport=None if cls is AsyncioTransport else cls(),  # None: the default one
        )
        remaining = 200
        out: list[Any] = []

        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                out.append(await client.get("/me"))

        try:
            await asyncio.gather(*(worker() for _ in range(50)))
            assert type(client._runtime.transport) is cls
            return out, client._runtime.transport._state.deadlines
        finally:
            await client.close()

    out, deadlines = asyncio.run(drive())
    assert len(out) == 200 and all(isinstance(m, dict) and "firstname" in m for m in out)
    assert deadlines is not None and deadlines.pending == {}
