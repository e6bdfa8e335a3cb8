"""What is particular to ``AsyncioTransport`` (its own request writer and httptools parsing):
the bytes it sends, one request per connection at a time, reuse, the framings of an answer
split across reads, header limits, and size limits with and without compression."""

from __future__ import annotations

import asyncio
import threading
import time
import zlib
from collections.abc import Callable
from typing import Any

import pytest

from tests.transport.conftest import Driver
from tests.transport.servers import Conn, RawServer, keepalive, reply
from tether.core.errors import ConnectError, ConnectionLost, ProtocolError, ResponseTooLarge
from tether.core.messages import Request
from tether.transport import USER_AGENT, TransportOptions
from tether.transport.aioproto import AsyncioTransport


def _pieces(*parts: bytes, pause: float = 0.05) -> Callable[[Conn], None]:
    """Writes ``parts`` one by one with a pause between: each arrives in a read of its own."""

    def write(c: Conn) -> None:
        for p in parts:
            c.send(p)
            time.sleep(pause)

    return write


def _head(raw: bytes) -> list[bytes]:
    return raw.split(b"\r\n\r\n", 1)[0].split(b"\r\n")


def test_the_request_is_sent_as_given(driver: Callable[..., Driver]) -> None:
    """Path and query exactly as in the URL (pre-encoded and signed: never re-quoted), the
    default headers, the caller's headers as given, and a Content-Length for the body."""
    with RawServer(keepalive(None)) as server:
        d = driver("asyncio")
        url = server.url + "/a%2Fb/c%20d?q=%7E%2b&sig=AbC%3D#frag"
        d.send(Request("POST", url, (("X-Ovh-Signature", "$1$ab"),), b"12345"))
        d.send(Request("GET", server.url + "?only=query"))
        d.send(Request("DELETE", server.url + "/d", (("Host", "api.example"),)))
    post, get, delete = (_head(r) for r in server.requests)
    assert post[0] == b"POST /a%2Fb/c%20d?q=%7E%2b&sig=AbC%3D HTTP/1.1"
    assert set(post[1:]) == {
        b"Host: 127.0.0.1:%d" % server.port,
        b"X-Ovh-Signature: $1$ab",
        b"User-Agent: " + USER_AGENT.encode(),
        b"Accept: */*",
        b"Accept-Encoding: gzip, deflate",
        b"Content-Length: 5",
    }
    assert server.requests[0].endswith(b"\r\n\r\n12345")
    assert get[0] == b"GET /?only=query HTTP/1.1"
    assert not any(h.lower().startswith(b"content-length") for h in get)
    # A body-less DELETE says Content-Length: 0 (as aiohttp); the caller's Host wins.
    assert b"Content-Length: 0" in delete and b"Host: api.example" in delete
    assert sum(h.lower().startswith(b"host:") for h in delete) == 1


def test_a_line_break_in_a_header_is_refused(driver: Callable[..., Driver]) -> None:
    with RawServer(keepalive(None)) as server:
        d = driver("asyncio")
        with pytest.raises(ValueError, match="line break"):
            d.send(Request("GET", server.url + "/", (("X-A", "1\r\nX-Injected: 2"),)))
        assert server.requests == []


def _slow_answers(c: Conn, server: RawServer) -> None:
    """Answers after 0.2 s, and records whether a second request came before the answer."""
    while (req := c.read_request()) is not None:
        server.record(req)
        time.sleep(0.2)
        c.sock.setblocking(False)
        try:
            early = c.sock.recv(1)
        except BlockingIOError:
            early = b""
        c.sock.setblocking(True)
        if early:
            server.record(b"PIPELINED")
            c.buf += early
        c.send(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")


def test_no_pipelining_one_request_per_connection_at_a_time() -> None:
    with RawServer(_slow_answers) as server:

        async def drive() -> list[Any]:
            t = AsyncioTransport()
            try:
                first = await asyncio.gather(
                    *(t.send(Request("GET", f"{server.url}/{i}")) for i in range(5))
                )
                second = await asyncio.gather(
                    *(t.send(Request("GET", f"{server.url}/{i}")) for i in range(5))
                )
                return first + second
            finally:
                await t.aclose()

        results = asyncio.run(drive())
    assert [r.body for r in results] == [b"ok"] * 10
    assert b"PIPELINED" not in server.requests
    assert server.connections == 5  # five at once: five connections, then all five reused


def test_requests_beyond_the_connection_limit_wait_their_turn() -> None:
    with RawServer(_slow_answers) as server:

        async def drive() -> list[Any]:
            t = AsyncioTransport()
            t._keep = 3  # aiohttp's limit_per_host (100 by default), made small to be seen
            try:
                return await asyncio.gather(
                    *(t.send(Request("GET", f"{server.url}/{i}")) for i in range(9))
                )
            finally:
                await t.aclose()

        results = asyncio.run(drive())
    assert [r.body for r in results] == [b"ok"] * 9
    assert server.connections == 3  # three at a time, each reused by those that waited


def test_keep_alive_answers_reuse_the_connection_and_close_answers_do_not(
    driver: Callable[..., Driver],
) -> None:
    def handle(c: Conn, server: RawServer) -> None:
        while (req := c.read_request()) is not None:
            n = server.record(req)
            close = b"/close" in req.split(b"\r\n", 1)[0]
            extra = b"Connection: close\r\n" if close else b""
            c.send(b"HTTP/1.1 200 OK\r\n%sContent-Length: 1\r\n\r\n%d" % (extra, n % 10))
            if close:
                return

    with RawServer(handle) as server:
        d = driver("asyncio")
        bodies = [d.send(Request("GET", server.url + p)).body for p in ("/a", "/b", "/close")]
        assert bodies == [b"1", b"2", b"3"]
        assert server.connections == 1
        head = d.send(Request("HEAD", server.url + "/h"))  # a length, and no body: still reused
        assert head.body == b"" and head.header("Content-Length") == "1"
        assert d.send(Request("GET", server.url + "/e")).body == b"5"
        assert server.connections == 2


def test_a_close_delimited_body_is_read_to_the_end(driver: Callable[..., Driver]) -> None:
    answer = _pieces(b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nhello ", b"wor", b"ld")
    with RawServer(reply(answer)) as server:
        d = driver("asyncio")
        r = d.send(Request("GET", server.url + "/"))
        assert (r.status, r.body) == (200, b"hello world")
    http10 = b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nold style"
    with RawServer(reply(http10)) as server:
        assert driver("asyncio").send(Request("GET", server.url + "/")).body == b"old style"


def test_a_length_delimited_body_cut_short_is_connection_lost(
    driver: Callable[..., Driver],
) -> None:
    cut = b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly this"
    with (
        RawServer(reply(cut)) as server,
        pytest.raises(ConnectionLost, match="may have acted on the request or not"),
    ):
        driver("asyncio").send(Request("GET", server.url + "/"))


def test_chunked_answers_split_across_reads(driver: Callable[..., Driver]) -> None:
    """Cut inside the status line, a header, a chunk size, a chunk and the trailer."""
    answer = _pieces(
        b"HTTP/1.1 2",
        b"00 OK\r\nTransfer-Enc",
        b"oding: chunked\r\nX-A: 1\r\n\r\n5",
        b"\r\nhel",
        b"lo\r\n6\r\n wo",
        b"rld\r\n0\r",
        b"\n\r\n",
    )

    def handle(c: Conn, server: RawServer) -> None:
        for _ in range(2):
            req = c.read_request()
            if req is None:
                return
            server.record(req)
            answer(c)

    with RawServer(handle) as server:
        d = driver("asyncio")
        for _ in range(2):
            r = d.send(Request("GET", server.url + "/"))
            assert (r.status, r.body, r.header("x-a")) == (200, b"hello world", "1")
        assert server.connections == 1  # a chunked answer read to its end keeps the connection


@pytest.mark.parametrize("how", ["one line", "in pieces", "endless"])
def test_a_header_line_over_the_limit_is_a_protocol_error(
    how: str, driver: Callable[..., Driver]
) -> None:
    start = b"HTTP/1.1 200 OK\r\nX-Big: "
    if how == "one line":
        answer: Any = start + b"a" * 70_000 + b"\r\nContent-Length: 0\r\n\r\n"
    elif how == "in pieces":
        answer = _pieces(start, *[b"a" * 20_000] * 4, b"\r\nContent-Length: 0\r\n\r\n")
    else:
        stop = threading.Event()

        def answer(c: Conn) -> None:  # a header line that never ends (until we stop)
            c.send(start)
            while not stop.is_set():
                c.send(b"a" * 65536)

    with RawServer(reply(answer)) as server:
        d = driver("asyncio")
        with pytest.raises(ProtocolError, match=r"malformed HTTP answer.*header line over 64 KiB"):
            d.send(Request("GET", server.url + "/"))
        if how == "endless":
            stop.set()


def test_a_header_line_within_the_limit_is_accepted(driver: Callable[..., Driver]) -> None:
    value = b"v" * 60_000
    answer = _pieces(b"HTTP/1.1 200 OK\r\nX-Big: ", value, b"\r\nContent-Length: 2\r\n\r\nok")
    with RawServer(reply(answer)) as server:
        r = driver("asyncio").send(Request("GET", server.url + "/"))
        assert r.body == b"ok" and r.header("X-Big") == value.decode()


def _compressed(data: bytes, coding: str) -> bytes:
    if coding == "gzip":
        c = zlib.compressobj(6, zlib.DEFLATED, 31)
    elif coding == "deflate":
        c = zlib.compressobj(6, zlib.DEFLATED, 15)  # zlib-wrapped, as RFC 9110 says
    else:
        c = zlib.compressobj(6, zlib.DEFLATED, -15)  # raw deflate, as some servers send
    return c.compress(data) + c.flush()


@pytest.mark.parametrize("coding", ["gzip", "deflate", "raw deflate", None])
@pytest.mark.parametrize("chunked", [False, True])
def test_max_response_bytes_counts_what_is_decompressed(
    coding: str | None, chunked: bool, driver: Callable[..., Driver]
) -> None:
    limit = 100_000
    small, big = b"s" * limit, b"b" * (limit + 1)

    def answer(data: bytes) -> bytes:
        sent = data if coding is None else _compressed(data, coding)
        name = "deflate" if coding == "raw deflate" else coding
        head = b"HTTP/1.1 200 OK\r\n"
        if name:
            head += b"Content-Encoding: %s\r\n" % name.encode()
        if chunked:
            half = len(sent) // 2
            parts = (sent[:half], sent[half:])
            framed = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"
            return head + b"Transfer-Encoding: chunked\r\n\r\n" + framed
        return head + b"Content-Length: %d\r\n\r\n" % len(sent) + sent

    def handle(c: Conn, server: RawServer) -> None:
        while (req := c.read_request()) is not None:
            server.record(req)
            c.send(answer(big if b"/big" in req.split(b"\r\n", 1)[0] else small))

    with RawServer(handle) as server:
        d = driver("asyncio", max_response_bytes=limit)
        assert d.send(Request("GET", server.url + "/small")).body == small
        with pytest.raises(ResponseTooLarge, match=f"larger than {limit} bytes") as info:
            d.send(Request("GET", server.url + "/big"))
        announced = coding is None and not chunked
        assert ("announced" in str(info.value)) is announced  # a plain length fails at once
        assert d.send(Request("GET", server.url + "/small")).body == small  # still usable


def test_a_bad_compressed_body_is_a_protocol_error(driver: Callable[..., Driver]) -> None:
    junk = b"\x1f\x8b\x08\x00" + b"not gzip at all" * 4
    raw = b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(junk)
    with (
        RawServer(reply(raw + junk)) as server,
        pytest.raises(ProtocolError, match=r"malformed HTTP answer.*bad gzip body"),
    ):
        driver("asyncio").send(Request("GET", server.url + "/"))


def test_a_body_the_server_never_read_is_a_connect_error(driver: Callable[..., Driver]) -> None:
    """The server reads the head only and resets: 32 MiB cannot all have left the client's
    buffers, so the request provably did not arrive whole (on a fresh connection)."""

    def handle(c: Conn, server: RawServer) -> None:
        head = c.read_until(b"\r\n\r\n")
        if head is not None:
            server.record(head)
            c.reset()

    with RawServer(handle) as server:
        d = driver("asyncio")
        with pytest.raises(ConnectError, match="safe to send again"):
            d.send(Request("POST", server.url + "/up", body=b"x" * (32 << 20)))
        assert len(server.requests) == 1


def test_a_proxy_or_a_streamed_body_goes_through_aiohttp(driver: Callable[..., Driver]) -> None:
    with RawServer(keepalive(None)) as server:
        d = driver("asyncio")
        assert d.t._aio is None
        d.send(Request("POST", server.url + "/bytes", body=b"abc"))
        assert d.t._aio is None  # bytes bodies are ours
        d.send(Request("POST", server.url + "/up", body=iter([b"ab", b"cd"])))
        assert type(d.t._aio).__name__ == "AiohttpTransport"
        assert server.requests[1].endswith(b"abcd")
    t = AsyncioTransport(TransportOptions(proxy="http://127.0.0.1:9"))
    assert type(t._delegate()).__name__ == "AiohttpTransport"


def test_an_interim_answer_is_skipped_for_the_real_one(driver: Callable[..., Driver]) -> None:
    raw = b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 2\r\n\r\nok"
    with RawServer(reply(_pieces(raw[:30], raw[30:]))) as server:
        r = driver("asyncio").send(Request("POST", server.url + "/", body=b"x"))
        assert (r.status, r.body, r.headers) == (201, b"ok", (("Content-Length", "2"),))


@pytest.mark.parametrize("length", [b"abc", b"5\r\nContent-Length: 6"])
def test_a_bad_content_length_is_a_protocol_error(
    length: bytes, driver: Callable[..., Driver]
) -> None:
    raw = b"HTTP/1.1 200 OK\r\nContent-Length: %s\r\n\r\nhello!" % length
    with RawServer(reply(raw)) as s, pytest.raises(ProtocolError, match="malformed HTTP answer"):
        driver("asyncio").send(Request("GET", s.url + "/"))
