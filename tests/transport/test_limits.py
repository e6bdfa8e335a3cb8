"""Answers are bounded while read; malformed answers are protocol errors."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest

from tests.transport.conftest import ALL, Driver
from tests.transport.servers import RawServer, reply, stream
from tether import ResponseTooLarge
from tether.core.errors import ProtocolError
from tether.core.messages import Request

HEAD = b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"


@pytest.mark.parametrize("kind", ALL)
@pytest.mark.parametrize("chunked", [True, False])
def test_an_oversized_answer_fails_while_read(
    kind: str, chunked: bool, driver: Callable[..., Driver]
) -> None:
    head = HEAD + (
        b"Transfer-Encoding: chunked\r\n\r\n" if chunked else b"Connection: close\r\n\r\n"
    )
    with RawServer(reply(stream(head, 8 << 20, chunked=chunked))) as server:
        d = driver(kind, max_response_bytes=1 << 20)
        with pytest.raises(
            ResponseTooLarge, match=r"larger than 1048576 bytes.*max_response_bytes"
        ):
            d.send(Request("GET", server.url + "/big"))
        # Per request, a streaming method can raise it.
        r = d.send(Request("GET", server.url + "/big", max_response_bytes=16 << 20))
        assert len(r.body) == 8 << 20


@pytest.mark.parametrize("kind", ALL)
def test_an_announced_oversized_answer_fails_before_reading(
    kind: str, driver: Callable[..., Driver]
) -> None:
    head = HEAD + b"Content-Length: %d\r\n\r\n" % (600 << 20)
    with RawServer(reply(stream(head, 600 << 20, chunked=False))) as server:
        d = driver(kind)
        with pytest.raises(ResponseTooLarge, match="announced 629145600 bytes"):
            d.send(Request("GET", server.url + "/big"))


PEAK = r"""
import asyncio, gzip, sys, tracemalloc, zlib
sys.path[:0] = [{root!r}]
from tests.transport.conftest import Driver
from tests.transport.servers import RawServer, reply, stream
from tether.core.messages import Request
from tether import ResponseTooLarge
from tether.transport import TransportOptions
kind, what = sys.argv[1], sys.argv[2]
if what == "gzip":
    c = zlib.compressobj(9, zlib.DEFLATED, 31)
    block = b"\0" * (1 << 20)
    bomb = b"".join(c.compress(block) for _ in range(1024)) + c.flush()  # 1 GiB of zeros
    handler = reply(b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: %d\r\n\r\n" % len(bomb) + bomb)
else:
    handler = reply(stream(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n", -1, chunked=True))
with RawServer(handler) as server:
    d = Driver(kind, TransportOptions())
    tracemalloc.start()
    try:
        d.send(Request("GET", server.url + "/x"))
    except ResponseTooLarge:
        pass
    peak = tracemalloc.get_traced_memory()[1]
    d.close()
print(peak)
"""


@pytest.mark.parametrize("kind", ALL)
@pytest.mark.parametrize("what", ["endless", "gzip"])
def test_memory_stays_bounded_for_endless_and_bomb_answers(kind: str, what: str) -> None:
    if what == "gzip" and kind == "stdlib":
        pytest.skip("the stdlib transport asks for identity encoding and never decompresses")
    import pathlib

    root = str(pathlib.Path(__file__).parents[2])
    out = subprocess.run(
        [sys.executable, "-c", PEAK.format(root=root), kind, what],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=root,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    peak = int(out.stdout.split()[-1])
    assert peak < 100 << 20, f"peak {peak / 2**20:.0f} MiB"


BAD = {
    "status line": b"HTTP/1.1 OK-ish nonsense\r\n\r\n",
    "200 KB header": b"HTTP/1.1 200 OK\r\nX-Big: "
    + b"a" * 200_000
    + b"\r\nContent-Length: 0\r\n\r\n",
    "too many headers": b"HTTP/1.1 200 OK\r\n"
    + b"".join(b"X-%d: 1\r\n" % i for i in range(1000))
    + b"Content-Length: 0\r\n\r\n",
}


@pytest.mark.parametrize("kind", ALL)
@pytest.mark.parametrize("case", list(BAD))
def test_malformed_answers_are_protocol_errors(
    kind: str, case: str, driver: Callable[..., Driver]
) -> None:
    with RawServer(reply(BAD[case])) as server:
        d = driver(kind)
        with pytest.raises(ProtocolError, match="malformed HTTP answer") as info:
            d.send(Request("POST", server.url + "/x", body=b"{}"))
        assert "may have acted" not in str(info.value)
