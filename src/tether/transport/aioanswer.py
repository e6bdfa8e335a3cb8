"""One HTTP/1.1 answer as httptools' parser delivers it, for ``aioproto.py``'s connections:
status, headers, the body decompressed in bounded steps, and how the exchange ended.

Invariants (the answer's half of ``aioproto.py``'s):
- Not read past ``max_response_bytes`` after decompression: a plain ``Content-Length`` over it
  fails at the headers; gzip/deflate inflate at most the limit's remainder at a time.
- A malformed answer (status line, framing, a header line over 64 KiB, over 128 headers, a
  corrupt compressed body) is a ``ProtocolError``, and the connection is not reused
  (``closing``); so are bytes after the answer that nobody asked for.
- Interim answers (1xx) are skipped for the real one; 204, 304 and a HEAD's answer have no
  body whatever their headers say; a body with neither a length nor chunked framing ends
  when the server closes (RFC 9112 §6.3).
- A connection closed before the answer is complete tells, through ``lost``, whether the
  request may go again (``Resend``: a reused connection, and the request not written whole or
  idempotent), or is ``ConnectError`` (not written whole) or ``ConnectionLost``.
"""

from __future__ import annotations

import asyncio
import contextlib
import zlib
from typing import Any

import httptools

from tether.core.errors import ConnectError, ConnectionLost
from tether.core.messages import Request
from tether.transport.base import malformed, too_large, where
from tether.transport.deadlines import Guard

__all__ = ["Exchange", "Resend"]

_MAX_LINE = 65536  # http.client's and aio.py's limits: every transport accepts the same answers
_MAX_HEADERS = 128
_PIECE = 1 << 20  # the most one inflate step may produce: memory stays near what is kept


class _Stop(Exception):
    """Raised in a parser callback to stop parsing: the exchange is finished already."""


class Resend(Exception):
    """The request may go again, once, on a fresh connection (see the module docstring)."""


class Exchange:
    """One request's answer as the parser delivers it (httptools calls its ``on_*``)."""

    # fmt: off
    __slots__ = ("chunked", "closing", "coding", "decomp", "done", "flushed", "got", "guard",
                 "head_done", "headers", "length", "limit", "parser", "pending",
                 "pieces", "read", "request", "status", "total", "until_eof", "waiter")
    # fmt: on

    def __init__(
        self, request: Request, limit: int | None, read: float | None, guard: Guard | None
    ) -> None:
        self.request, self.limit, self.read, self.guard = request, limit, read, guard
        self.waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.parser = httptools.HttpResponseParser(self)  # one per answer: no state carried
        self.headers: list[tuple[str, str]] = []
        self.pieces: list[bytes] = []
        self.total = self.pending = self.status = 0
        self.length: int | None = None
        self.coding = b""
        self.decomp: Any = None
        self.chunked = self.until_eof = self.head_done = self.done = self.got = False
        self.flushed = self.closing = False

    def on_message_begin(self) -> None:
        if self.done:  # bytes after the answer, unasked: the connection's state is unknown
            self.closing = True
            raise _Stop

    def on_header(self, name: bytes, value: bytes) -> None:
        self.pending = 0
        if len(self.headers) >= _MAX_HEADERS:
            self.fail(malformed(self.request, f"more than {_MAX_HEADERS} headers"))
        if len(name) + len(value) > _MAX_LINE:
            self.fail(malformed(self.request, "a header line over 64 KiB"))
        low = name.lower() if 13 < len(name) < 18 else b""  # framing names: 14, 16, 17 chars
        if low == b"content-length":
            self.length = int(value)  # llhttp checked it: digits, and only one
        elif low == b"content-encoding":
            self.coding = value.strip().lower()
        elif low == b"transfer-encoding":
            self.chunked = b"chunked" in value.lower()
        text = (name.decode("utf-8", "surrogateescape"), value.decode("utf-8", "surrogateescape"))
        self.headers.append(text)

    def on_headers_complete(self) -> None:
        status = self.status = self.parser.get_status_code()
        if status < 200:
            return  # an interim answer (100 Continue): the real one follows
        self.head_done = True
        limit, length, coding = self.limit, self.length, self.coding
        plain = coding in (b"", b"identity")
        if limit is not None and length is not None and plain and length > limit:
            self.fail(too_large(self.request, limit, length))
        if status in (204, 304) or self.request.method == "HEAD":
            self.finish(None)  # no body whatever the headers say (this parser is not reused)
            raise _Stop
        if coding in (b"gzip", b"x-gzip"):
            self.decomp = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == b"deflate":
            self.decomp = True  # zlib-wrapped or raw: told by the first byte (as aiohttp)
        # Neither a length nor chunked: the body ends when the server closes (RFC 9112 §6.3).
        self.until_eof = length is None and not self.chunked

    def on_body(self, data: bytes) -> None:
        d = self.decomp
        if d is None:
            self.keep(data)
            return
        if d is True:
            d = self.decomp = zlib.decompressobj(zlib.MAX_WBITS if data[0] & 0x0F == 8 else -15)
        limit = self.limit
        while data:  # bounded steps: a gzip bomb never costs more than the limit
            step = _PIECE if limit is None else min(_PIECE, limit + 1 - self.total)
            try:
                self.keep(d.decompress(data, step))
            except zlib.error as e:
                self.fail(malformed(self.request, f"bad {self.coding.decode()} body: {e}"))
            data = d.unconsumed_tail

    def on_message_complete(self) -> None:
        if not self.head_done:  # the end of an interim answer: start over for the real one
            self.headers, self.length, self.coding, self.chunked = [], None, b"", False
            return
        if self.decomp is not None and self.decomp is not True:
            self.keep(self.decomp.flush())
        self.closing = self.closing or not self.parser.should_keep_alive()
        self.finish(None)

    def keep(self, data: bytes) -> None:
        self.total += len(data)
        if self.limit is not None and self.total > self.limit:
            self.fail(too_large(self.request, self.limit))
        self.pieces.append(data)

    def fail(self, error: BaseException) -> None:
        self.finish(error)
        raise _Stop

    def finish(self, error: BaseException | None) -> None:
        self.closing = self.closing or error is not None  # after an error, state is unknown
        if not self.done:
            self.done = True
            if self.waiter.done():
                return  # cancelled: the attempt's deadline passed
            if error is None:
                self.waiter.set_result(None)
            else:
                self.waiter.set_exception(error)

    def feed(self, data: bytes) -> None:
        self.got = True
        if not self.head_done:
            self.pending += len(data)  # httptools joins a header line before handing it over
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self.closing = True  # 101: the connection is no longer HTTP
            self.finish(None)
        except httptools.HttpParserError as e:  # also how a _Stop arrives: done already then
            if not self.done:
                self.finish(malformed(self.request, str(e) or type(e).__name__))
        if self.done:
            return
        if not self.head_done and self.pending > 2 * _MAX_LINE:
            # A header line that does not end: stop holding it.
            self.finish(malformed(self.request, "a header line over 64 KiB"))
        elif self.head_done and self.read is not None and self.guard is not None:
            self.guard.progress(self.read)  # the next piece of body within ``read`` seconds

    def lost(self, exc: BaseException | None, reused: bool) -> None:
        """The connection closed before the answer was complete."""
        self.closing = True
        if self.until_eof and self.head_done and exc is None:
            with contextlib.suppress(_Stop):
                self.on_message_complete()  # a close-delimited body ends here
            return
        w, maybe = where(self.request), "the server may have acted on the request or not"
        error: Exception
        if self.got:
            kind = type(exc).__name__ if exc is not None else "the answer was cut short"
            error = ConnectionLost(f"connection lost during {w} ({kind}); {maybe}")
        elif reused and (not self.flushed or self.request.is_idempotent):
            error = Resend()
        elif not self.flushed:
            error = ConnectError(
                f"the server closed the connection while {w} was being sent; the request "
                "did not reach the server whole, so it is safe to send again"
            )
        else:
            error = ConnectionLost(
                f"connection lost: the server closed the connection without answering {w}; {maybe}"
            )
        error.__cause__ = exc
        self.finish(error)
