"""Connection reuse cannot lose a request: servers that close idle connections, reset them, or
read a request and die."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from tests.transport.conftest import ALL, Driver
from tests.transport.servers import RawServer, keepalive, read_then_close
from tether.core.errors import ConnectionLost
from tether.core.messages import Request


@pytest.mark.parametrize("kind", ALL)
def test_post_after_the_server_closed_the_idle_connection_succeeds(
    kind: str, driver: Callable[..., Driver]
) -> None:
    """The issue's defect: uvicorn closes idle keep-alive connections after 5 s (0.3 s here);
    the next POST used to fail with "the server may have acted" though nothing was sent."""
    with RawServer(keepalive(0.3)) as server:
        d = driver(kind)
        assert d.send(Request("POST", server.url + "/a", body=b"one")).body == b'{"n": 1}'
        d.idle(0.7)
        r = d.send(Request("POST", server.url + "/b", body=b"two"))
        assert r.body == b'{"n": 2}'
        assert len(server.requests) == 2  # exactly one request per POST reached the server
        assert server.requests[1].endswith(b"two")


def _race_the_liveness_check(monkeypatch: pytest.MonkeyPatch) -> None:
    """The server's close arrives just after the pre-reuse check: what the check cannot see."""
    import tether.transport.stdlib as stdlib

    monkeypatch.setattr(stdlib, "_dropped", lambda sock: sock is None, raising=False)


@pytest.mark.parametrize("body", [b"payload", "one-shot iterator"])
def test_failed_write_to_a_reused_connection_is_resent_whatever_the_method(
    body: Any, driver: Callable[..., Driver], monkeypatch: pytest.MonkeyPatch
) -> None:
    _race_the_liveness_check(monkeypatch)
    with RawServer(keepalive(0.2, rst=True)) as server:
        d = driver("stdlib")
        d.send(Request("POST", server.url + "/a", body=b"first"))
        d.idle(0.5)  # the server resets the idle connection
        if body == "one-shot iterator":
            body = iter([b"pay", b"load"])  # nothing pulled before the write failed
        r = d.send(Request("POST", server.url + "/b", body=body))
        assert r.status == 200
        assert len(server.requests) == 2
        assert server.requests[1].endswith(b"payload")
        assert server.connections == 2


def test_post_read_by_a_server_that_then_died_is_reported_as_ambiguous(
    driver: Callable[..., Driver],
) -> None:
    with RawServer(read_then_close()) as server:
        for kind in ALL:
            d = driver(kind)
            d.send(Request("GET", server.url + "/a"))
            before = len(server.requests)
            with pytest.raises(ConnectionLost, match="may have acted on the request or not"):
                d.send(Request("POST", server.url + "/b", body=b"x"))
            assert len(server.requests) == before + 1  # it did reach the server: not resent


@pytest.mark.parametrize("kind", ALL)
def test_get_on_a_reused_connection_closed_without_answer_is_resent_once(
    kind: str, driver: Callable[..., Driver]
) -> None:
    with RawServer(read_then_close()) as server:
        d = driver(kind)
        d.send(Request("GET", server.url + "/a"))
        r = d.send(Request("GET", server.url + "/b"))
        assert r.status == 200
        assert len(server.requests) == 3  # /a, /b read then dropped, /b again
        assert server.connections == 2


@pytest.mark.parametrize("kind", ["stdlib", "aiohttp", "asyncio"])
def test_connections_idle_longer_than_max_idle_are_not_reused(
    kind: str, driver: Callable[..., Driver]
) -> None:
    with RawServer(keepalive(None)) as server:
        d = driver(kind, max_idle=0.2)
        d.send(Request("GET", server.url + "/a"))
        d.send(Request("GET", server.url + "/b"))
        assert server.connections == 1  # reused while fresh
        d.idle(0.5)
        d.send(Request("GET", server.url + "/c"))
        assert server.connections == 2
