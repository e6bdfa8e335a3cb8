"""The sync transports against servers that misbehave at the socket level."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.support.serve import serving
from tether.core.errors import ConnectError, TimeoutError, UsageError
from tether.core.messages import Request
from tether.transport import TransportOptions
from tether.transport.stdlib import HttpClientTransport
from tether.transport.sync import Urllib3Transport


class _SilentClose(BaseHTTPRequestHandler):
    """Keep-alive in name (HTTP/1.1, no Connection: close) but drops the socket after each
    answer, as servers do with idle connections: the client's next reuse finds it dead."""

    protocol_version = "HTTP/1.1"
    count: list[int]
    bodies: list[bytes]

    def _answer(self) -> None:
        self.count.append(1)
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.bodies.append(self.rfile.read(length))
        elif self.headers.get("Transfer-Encoding") == "chunked":
            data = b""
            while size := int(self.rfile.readline().strip(), 16):
                data += self.rfile.read(size)
                self.rfile.readline()
            self.rfile.readline()
            self.bodies.append(b"chunked:" + data)
        body = b'{"n": %d}' % len(self.count)
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        self.wfile.flush()
        self.close_connection = True

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        import time

        time.sleep(1.0)

    def log_message(self, *args: Any) -> None:
        pass


def _serve(handler: type[BaseHTTPRequestHandler]) -> Iterator[str]:
    with serving(handler) as root:
        yield root


@pytest.fixture
def silent_close() -> Iterator[tuple[str, list[int]]]:
    count: list[int] = []
    bodies: list[bytes] = []
    handler = type("H", (_SilentClose,), {"count": count, "bodies": bodies})
    _SilentClose.last_bodies = bodies  # type: ignore[attr-defined]
    for url in _serve(handler):
        yield url, count


@pytest.fixture
def slow() -> Iterator[str]:
    yield from _serve(_Slow)


def test_idempotent_request_survives_a_dead_pooled_connection(
    silent_close: tuple[str, list[int]],
) -> None:
    url, count = silent_close
    t = HttpClientTransport()
    assert t.send(Request("GET", url + "/a")).body == b'{"n": 1}'
    # The pooled connection is dead now; a GET is re-sent once on a fresh one.
    assert t.send(Request("GET", url + "/b")).body == b'{"n": 2}'
    assert len(count) == 2
    t.close()


def test_non_idempotent_request_skips_a_dead_pooled_connection(
    silent_close: tuple[str, list[int]],
) -> None:
    """The closed pooled connection is seen before reuse: the POST goes on a fresh one and
    reaches the server exactly once (it used to fail as "connection lost")."""
    url, count = silent_close
    t = HttpClientTransport()
    t.send(Request("GET", url + "/a"))
    # Wait (bounded) until the server's close reached us: before that, nothing can tell.
    from tether.transport.stdlib import _dropped

    (pooled,) = [c for stack in t._idle.values() for c in stack]
    deadline = time.monotonic() + 5
    while not _dropped(pooled.conn.sock) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert t.send(Request("POST", url + "/b", body=b"x")).body == b'{"n": 2}'
    assert len(count) == 2
    t.close()


@pytest.mark.parametrize("cls", [HttpClientTransport, Urllib3Transport])
def test_connection_refused_is_connect_error(cls: type) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    with pytest.raises(ConnectError):
        cls().send(Request("GET", f"http://127.0.0.1:{port}/"))


@pytest.mark.parametrize("cls", [HttpClientTransport, Urllib3Transport])
def test_read_timeout(cls: type, slow: str) -> None:
    t = cls(TransportOptions(timeout=(2.0, 0.2)))
    with pytest.raises(TimeoutError):
        t.send(Request("GET", slow + "/"))


def test_streamed_body_is_sent_chunked(silent_close: tuple[str, list[int]]) -> None:
    url, _ = silent_close
    t = HttpClientTransport()
    r = t.send(Request("POST", url + "/up", body=iter([b"a" * 10, b"b" * 10])))
    assert r.status == 200
    assert _SilentClose.last_bodies == [b"chunked:" + b"a" * 10 + b"b" * 10]  # type: ignore[attr-defined]
    t.close()


def test_bad_url_and_bad_timeout_are_usage_errors() -> None:
    with pytest.raises(UsageError):
        HttpClientTransport().send(Request("GET", "ftp://example.invalid/"))
    with pytest.raises(UsageError):
        HttpClientTransport(TransportOptions(timeout=-1))


def test_connections_disable_nagle(silent_close: tuple[str, list[int]]) -> None:
    """Headers and body go out as separate writes: Nagle must be off or a POST body can wait
    for a delayed ACK."""
    seen: list[int] = []
    t = HttpClientTransport()
    url, _ = silent_close
    orig_new = t._new

    def new(key: Any) -> Any:
        c = orig_new(key)
        conn = c.conn
        inner = conn.connect

        def connect() -> None:
            inner()
            seen.append(conn.sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY))

        conn.connect = connect  # type: ignore[method-assign]
        return c

    t._new = new  # type: ignore[method-assign]
    t.send(Request("POST", url + "/x", body=b"payload"))
    assert seen and seen[0] != 0
    t.close()
