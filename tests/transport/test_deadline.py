"""Every attempt ends within its deadline, whatever the per-read timeout: servers that trickle."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from tests.transport.conftest import ALL, Driver
from tests.transport.servers import Conn, RawServer, reply, trickle
from tether.core.errors import TimeoutError
from tether.core.messages import Request

# 40 drips at 0.2 s: 8 s, each read well within the 2 s read timeout.
TRICKLE_BODY = trickle(
    b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n", b"x"
)
TRICKLE_HEAD = trickle(b"HTTP/1.1 200 OK\r\n", b"X-Slow: yes\r\n")


@pytest.mark.parametrize("kind", ALL)
@pytest.mark.parametrize("shape", ["body", "headers"])
def test_a_trickling_answer_ends_at_the_deadline(
    kind: str, shape: str, driver: Callable[..., Driver]
) -> None:
    if kind == "urllib3" and shape == "headers":
        pytest.skip("urllib3 gives no socket before the headers are in (see sync.py docstring)")
    with RawServer(reply(TRICKLE_BODY if shape == "body" else TRICKLE_HEAD)) as server:
        d = driver(kind, timeout=(2.0, 2.0), deadline=1.0)
        t0 = time.monotonic()
        with pytest.raises(TimeoutError, match=r"within the 1 s deadline.*raise the deadline"):
            d.send(Request("GET", server.url + "/slow"))
        assert time.monotonic() - t0 < 6.0  # generous: the trickle alone lasts 8 s


@pytest.mark.parametrize("kind", ["stdlib", "aiohttp", "asyncio"])
def test_per_request_deadline_overrides_the_transport(
    kind: str, driver: Callable[..., Driver]
) -> None:
    with RawServer(reply(TRICKLE_BODY)) as server:
        d = driver(kind, timeout=(2.0, 2.0))  # default deadline: 300 s
        with pytest.raises(TimeoutError, match=r"0\.5 s deadline"):
            d.send(Request("GET", server.url + "/slow", deadline=0.5))


def _slow_chunks() -> Iterator[bytes]:
    for _ in range(8):
        time.sleep(0.1)
        yield b"c" * 1000


@pytest.mark.parametrize("kind", ["stdlib", "aiohttp", "asyncio"])
def test_a_slow_healthy_streamed_upload_is_not_killed_by_the_deadline(
    kind: str, driver: Callable[..., Driver]
) -> None:
    """The upload takes 0.8 s, the deadline is 0.3 s: sending is bounded by progress, and the
    deadline covers the answer once the body is sent."""

    def handle(c: Conn, server: RawServer) -> None:
        req = c.read_request()
        if req is not None:
            server.record(req)
            c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    with RawServer(handle) as server:
        d = driver(kind, deadline=0.3)
        r = d.send(Request("POST", server.url + "/up", body=_slow_chunks()))
        assert r.body == b"ok"
        assert server.requests[0].endswith(b"c" * 8000)
