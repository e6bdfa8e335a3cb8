"""The async transport's per-read timeout, kept on the shared deadline timer instead of
aiohttp's own timers: until the headers are in, connect + read seconds; then read seconds
for every piece of the body not yet arrived. The deadline still bounds the whole attempt."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from tests.transport.conftest import ASYNC, Driver
from tests.transport.servers import Conn, RawServer, reply, trickle
from tether.core.errors import TimeoutError
from tether.core.messages import Request

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n"


def _silent(c: Conn) -> None:
    time.sleep(3.0)  # never answers within the read timeout (bounded: the suite goes on)


def _stall_after_head(c: Conn) -> None:
    c.send(HEAD + b"12345")
    time.sleep(3.0)


@pytest.mark.parametrize("kind", ASYNC)
def test_no_answer_ends_at_the_read_timeout_not_the_deadline(
    kind: str,
    driver: Callable[..., Driver],
) -> None:
    with RawServer(reply(_silent)) as server:
        d = driver(kind, timeout=(1.0, 0.3), deadline=60.0)
        with pytest.raises(TimeoutError, match=r"no answer in time.*raise the read timeout"):
            d.send(Request("GET", server.url + "/silent"))


@pytest.mark.parametrize("kind", ASYNC)
def test_a_body_that_stalls_ends_at_the_read_timeout(
    kind: str, driver: Callable[..., Driver]
) -> None:
    with RawServer(reply(_stall_after_head)) as server:
        d = driver(kind, timeout=(1.0, 0.3), deadline=60.0)
        with pytest.raises(TimeoutError, match=r"no answer in time.*raise the read timeout"):
            d.send(Request("GET", server.url + "/stall"))


@pytest.mark.parametrize("kind", ASYNC)
def test_a_body_that_keeps_coming_is_not_cut_by_the_read_timeout(
    kind: str,
    driver: Callable[..., Driver],
) -> None:
    # 10 bytes, one every 0.1 s: 1 s in all, each piece well within the 0.4 s read timeout.
    with RawServer(reply(trickle(HEAD, b"abcdefghij", every=0.1, count=10))) as server:
        d = driver(kind, timeout=(1.0, 0.4), deadline=60.0)
        assert d.send(Request("GET", server.url + "/drip")).body == b"abcdefghij"


@pytest.mark.parametrize("kind", ASYNC)
def test_the_deadline_still_wins_when_it_is_nearer(
    kind: str, driver: Callable[..., Driver]
) -> None:
    with RawServer(reply(trickle(HEAD, b"abcdefghij", every=0.2, count=10))) as server:
        d = driver(kind, timeout=(1.0, 5.0), deadline=0.5)
        with pytest.raises(TimeoutError, match=r"within the 0\.5 s deadline"):
            d.send(Request("GET", server.url + "/drip"))
