"""The default async transport, on aiohttp (imported here, so only when an async client is used).

Chosen by measurement: aiohttp sustains several times the calls/s of httpx's async client at
50 requests in flight on this hardware. URLs are passed pre-encoded (``yarl.URL(...,
encoded=True)``): signatures cover the exact bytes, and re-quoting would break them.

Invariants:
- Reuse: aiohttp sees the peer's close of an idle connection in its event loop and drops it;
  idle connections older than ``max_idle`` are dropped (its ``keepalive_timeout``); an
  idempotent request on a reused connection that closed before an answer is resent once by
  aiohttp itself (RFC 9112 §9.3.1). A non-idempotent request that fails so is
  ``ConnectionLost``: whether the server read it cannot be known (Go's net/http rule). A
  request whose body could not be written (aiohttp's "Can not write request body", or a
  streamed body whose last chunk was not yet produced when the connection broke) is a
  ``ConnectError``: the server did not receive it whole, and the core may send it again.
- Every attempt ends within its deadline: when it passes, the attempt's task is cancelled
  and it reports ``TimeoutError``. The per-read timeout is kept the same way, not by
  aiohttp's timers: connect + read seconds until the headers are in, then read seconds for
  each piece of the body still to come (aiohttp keeps ``sock_connect`` only, and its
  per-read timer for streamed uploads). A streamed upload is not under the deadline while it is
  sent (aiohttp's per-read timeout bounds a stalled exchange); its deadline starts when the
  last chunk is handed over. The deadlines of all attempts in flight on one loop share one
  loop timer (``_Deadlines``), armed at the earliest of them: an attempt registers and
  unregisters in a dict (O(1)), where a timer of its own cost a ``TimerHandle``, a push on
  the loop's heap (Python-level comparisons, more of them the more calls are in flight) and
  a cancelled entry left in that heap; measured in bench/profile_async.py.
- An answer is not read past ``max_response_bytes`` after decompression: aiohttp decompresses
  in bounded pieces under flow control, and reading stops at the limit, so a gzip bomb costs
  at most the limit in memory.
- A malformed answer (bad status line, a header line over 64 KiB, more than 128 headers) is a
  ``ProtocolError``.
- aiohttp adds no ``Content-Type`` of its own (``application/octet-stream`` for a bytes body
  or a body-less POST/PUT/PATCH): the caller's headers say what the body is. The skip is
  asked per request, only where aiohttp would add one, because a session-wide skip makes
  aiohttp copy every request's headers.
- A transport nobody closes releases its connections: when its event loop shuts down its async
  generators (``asyncio.run`` does) or when it is garbage-collected — no "Unclosed client
  session" warning.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import AsyncGenerator
from typing import Any

import aiohttp
from aiohttp.http_exceptions import HttpProcessingError
from yarl import URL

from tether.core.errors import ConnectError, ConnectionLost, TimeoutError, TransportError
from tether.core.messages import Request, Response
from tether.transport.base import (
    USER_AGENT,
    TransportOptions,
    malformed,
    tls_failure,
    too_large,
    where,
)
from tether.transport.deadlines import Deadlines as _Deadlines
from tether.transport.deadlines import Guard as _Guard
from tether.transport.deadlines import step as _step

# http.client's limits, so both transports accept the same answers.
_MAX_LINE = 65536
# Methods for which aiohttp adds a Content-Type only when there is a body (it adds one to a
# body-less POST, PUT and PATCH): for these without a body, no skip is asked (see docstring).
_NO_AUTO_TYPE = frozenset({"GET", "HEAD", "DELETE", "OPTIONS"})
_SKIP_TYPE = ("Content-Type",)


class _State:
    """What the finalizer needs, without a reference to the transport."""

    __slots__ = ("closer", "deadlines", "loop", "session")

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        self.deadlines: _Deadlines | None = None  # of the attempts in flight on ``loop``
        # Held here: the loop keeps only a weak reference to the async generators it will close.
        self.closer: AsyncGenerator[None, None] | None = None


class AiohttpTransport:
    def __init__(self, options: TransportOptions | None = None) -> None:
        self.options = options = options or TransportOptions()
        connect, read = options.split_timeout()
        # aiohttp's own connect and per-read timeouts cost loop timers on every request (a
        # ceil_timeout around the pool acquire, a read timer re-armed at every chunk): about
        # 20 us a call at 50 in flight, most of the gap to raw aiohttp. The read timeout is
        # kept by the attempt's guard instead, on the shared deadline timer (``_Guard``);
        # aiohttp keeps only ``sock_connect``, which costs a timer only when a socket is
        # actually opened. A streamed upload keeps aiohttp's timeouts (``_stream_timeout``):
        # while it is sent, aiohttp's per-read timer is what bounds a stalled exchange.
        self._read = read
        self._head = None if read is None else (connect or 0.0) + read
        self._timeout = aiohttp.ClientTimeout(total=None, sock_connect=connect)
        self._stream_timeout = aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read)
        self._state = _State()
        # Parsed URLs by string: a client calls the same few URLs over and over, and building
        # a yarl.URL is a measurable part of a call's CPU. Bounded; cleared when full.
        self._urls: dict[str, URL] = {}
        weakref.finalize(self, _release, self._state)

    def _get_session(self, loop: asyncio.AbstractEventLoop) -> aiohttp.ClientSession:
        st = self._state
        session = st.session
        if session is None or st.loop is not loop or session.closed:
            if session is not None and st.loop is not loop:
                _release(st)
            if st.deadlines is None or st.deadlines.loop is not loop:
                st.deadlines = _Deadlines(loop)
            ssl: Any = True
            if not self.options.verify:
                ssl = False
            elif self.options.ca_certs:
                import ssl as ssl_mod

                ssl = ssl_mod.create_default_context(cafile=self.options.ca_certs)
            kw: dict[str, Any] = {}
            if self.options.max_idle is not None:
                kw["keepalive_timeout"] = self.options.max_idle
            connector = aiohttp.TCPConnector(
                limit=0, limit_per_host=max(self.options.max_connections, 100), ssl=ssl, **kw
            )
            session = st.session = aiohttp.ClientSession(
                connector=connector,
                timeout=self._timeout,
                headers={"User-Agent": USER_AGENT},
                auto_decompress=True,
                max_line_size=_MAX_LINE,
                max_field_size=_MAX_LINE,
            )
            st.loop = loop
            # Close the session when the loop shuts down its async generators (asyncio.run
            # does, before closing the loop): users of the seeds never call aclose().
            closer = st.closer = _close_at_shutdown(session)
            _step(closer.__anext__())  # runs to its yield: registered with the loop now
        return session

    async def send(self, request: Request) -> Response:
        loop = asyncio.get_running_loop()
        st = self._state
        session = st.session
        if session is None or st.loop is not loop or session.closed:
            session = self._get_session(loop)
        options = self.options
        deadline = request.deadline if request.deadline is not None else options.deadline
        limit = request.max_response_bytes
        if limit is None:
            limit = options.max_response_bytes
        body: Any = request.body
        streamed = not isinstance(body, (bytes, bytearray))
        # The read bound: until the headers are in, connect + read seconds (the connection may
        # be new); then read seconds for every piece of the body that is not in yet.
        read = None if streamed or request.timeout is not None else self._read
        head = None if read is None else self._head
        guard: _Guard | None = None
        if deadline is not None or read is not None:
            guard = _Guard(st.deadlines, deadline, head)  # type: ignore[arg-type]
        sent: _Sent | None = None
        if streamed:
            # A streamed upload: hand aiohttp an async iterator over the chunks so the body is
            # never held in memory. Chunks are read from the iterator in the event loop (file
            # reads of 64 KiB are short); a Content-Length header, when the caller set one,
            # avoids chunked encoding. The deadline starts once it is all handed over.
            sent = _Sent()
            body = _aiter(body, guard, sent)
        elif guard is not None:
            guard.start()
        # Only what differs from aiohttp's defaults is passed: this runs once per attempt.
        kw: dict[str, Any] = {"headers": request.headers, "allow_redirects": False}
        if body:
            kw["data"] = body
        if options.proxy is not None:
            kw["proxy"] = options.proxy
        if request.timeout is not None:
            kw["timeout"] = aiohttp.ClientTimeout(
                total=None, connect=request.timeout, sock_read=request.timeout
            )
        elif streamed:
            kw["timeout"] = self._stream_timeout
        url = self._urls.get(request.url)
        if url is None:
            if len(self._urls) >= 1024:
                self._urls.clear()
            url = self._urls[request.url] = URL(request.url, encoded=True)
        method = request.method
        if body or method not in _NO_AUTO_TYPE:
            kw["skip_auto_headers"] = _SKIP_TYPE
        try:
            async with session.request(method, url, **kw) as r:
                content = r.content
                if content.is_eof() and (limit is None or content.total_bytes <= limit):
                    # The common small answer: all of it already arrived with the headers
                    # (decompressed, counted by total_bytes), so reading it costs no memory
                    # and no wait.
                    data = await r.read()
                else:
                    length = r.content_length
                    plain = not r.headers.get("Content-Encoding")
                    if limit is not None and length is not None and plain and length > limit:
                        raise too_large(request, limit, length)
                    if guard is not None and read is not None:
                        data = await _read_upto(r, limit, request, guard, read)
                    elif limit is None or (length is not None and plain):
                        data = await r.read()
                    else:
                        data = await _read_upto(r, limit, request)
                response = Response(r.status, tuple(r.headers.items()), data, request)
        except asyncio.CancelledError:
            if guard is not None and guard.fired:
                guard.uncancel()
                raise guard.error(request) from None
            raise
        except Exception as e:
            if guard is not None and guard.fired:
                guard.uncancel()
                raise guard.error(request) from e
            error = _map_error(e, request)
            if sent is not None and not sent.all and isinstance(error, ConnectionLost):
                # The connection broke before the last chunk of the body was even produced
                # (aiohttp may report the reset on its read side first): the server cannot
                # hold the whole request, so it cannot have acted on it.
                error = ConnectError(
                    f"the server closed the connection while {where(request)} was being sent; "
                    "the request did not reach the server whole, so it is safe to send again"
                )
            raise error from e
        finally:
            if guard is not None:
                guard.cancel()
        return response

    async def aclose(self) -> None:
        st = self._state
        if st.session is not None and not st.session.closed:
            await st.session.close()
        _release(st)


async def _read_upto(
    r: aiohttp.ClientResponse,
    limit: int | None,
    request: Request,
    guard: _Guard | None = None,
    read: float | None = None,
) -> bytes:
    """The body, at most ``limit`` bytes (``None``: no bound); with a ``guard``, each piece
    not yet arrived is awaited at most ``read`` seconds (the per-read timeout)."""
    chunks: list[bytes] = []
    total = 0
    content = r.content
    while True:
        if guard is not None and read is not None:
            guard.progress(read)
        chunk = await content.readany()
        if not chunk:
            break
        total += len(chunk)
        if limit is not None and total > limit:
            # Leaving the block closes the connection: the rest is never read.
            raise too_large(request, limit)
        chunks.append(chunk)
    return b"".join(chunks)


def _release(st: _State) -> None:
    """Close the session's connections synchronously (a finalizer cannot await)."""
    session, loop, closer = st.session, st.loop, st.closer
    st.session = st.closer = None
    if session is not None and not session.closed:
        _close_now(session, loop)
    if closer is not None:
        # Finish it here (the session is closed, so it has nothing to await), or the loop's
        # finalizer hook would schedule it later, possibly on a closed loop.
        _step(closer.aclose())


def _close_now(session: aiohttp.ClientSession, loop: asyncio.AbstractEventLoop | None) -> None:
    connector = session.connector
    if connector is not None:
        if loop is not None and loop.is_closed():
            # Transports of a closed loop cannot close themselves: close their sockets.
            for conns in connector._conns.values():
                for proto, _ in conns:
                    transport = proto.transport
                    sock = getattr(transport, "_sock", None)
                    if sock is not None:
                        sock.close()
                        transport._sock = None  # type: ignore[union-attr]
        connector._close()
    session.detach()


async def _close_at_shutdown(session: aiohttp.ClientSession) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if not session.closed:
            await session.close()


def _map_error(e: Exception, request: Request) -> Exception:
    w = where(request)
    if isinstance(e, aiohttp.ClientConnectorCertificateError):
        return tls_failure(request, e.certificate_error)
    if isinstance(e, aiohttp.ClientConnectorSSLError):
        return tls_failure(request, e.os_error)
    if isinstance(e, (aiohttp.ClientConnectorError, aiohttp.ClientProxyConnectionError)):
        return ConnectError(
            f"could not connect for {w}: {type(e).__name__}. Check the endpoint URL, your "
            "network and proxy settings."
        )
    if isinstance(e, aiohttp.ConnectionTimeoutError):
        return ConnectError(f"connecting timed out for {w}; check the host or raise timeout")
    if isinstance(e, (asyncio.TimeoutError, aiohttp.ServerTimeoutError)):
        return TimeoutError(f"no answer in time for {w}; raise the read timeout or retry")
    if isinstance(e, aiohttp.ClientResponseError) and isinstance(e.__cause__, HttpProcessingError):
        return malformed(request, e.message.splitlines()[0] if e.message else type(e).__name__)
    if isinstance(e, aiohttp.ServerDisconnectedError):
        return ConnectionLost(
            f"connection lost: the server closed the connection without answering {w}; the "
            "server may have "
            "acted on the request or not"
        )
    if isinstance(e, aiohttp.ClientOSError) and _write_failed(e):
        # The server closed or reset the connection while the request was being written: it
        # did not receive it whole, so it cannot have acted on it (stdlib.py's rule too).
        return ConnectError(
            f"the server closed the connection while {w} was being sent; the request did not "
            "reach the server whole, so it is safe to send again"
        )
    if isinstance(e, (aiohttp.ClientPayloadError, aiohttp.ClientOSError)):
        return ConnectionLost(
            f"connection lost during {w} ({type(e).__name__}); the server may have acted on "
            "the request or not"
        )
    if isinstance(e, aiohttp.ClientError):
        return TransportError(f"HTTP failure for {w}: {type(e).__name__}")
    return e


def _write_failed(e: aiohttp.ClientOSError) -> bool:
    # aiohttp (3.9 to 3.14 at least) reports a failed body write as ClientOSError(errno,
    # "Can not write request body for <url>") and has no other marker; the wording is pinned
    # by tests/services/flickr/test_client.py::test_connection_dropped_mid_upload.
    return len(e.args) >= 2 and str(e.args[1]).startswith("Can not write request body")


class _Sent:
    """Whether a streamed body was handed over to the end."""

    __slots__ = ("all",)

    def __init__(self) -> None:
        self.all = False


async def _aiter(chunks: Any, guard: _Guard | None, sent: _Sent) -> Any:
    for chunk in chunks:
        yield chunk
    sent.all = True
    if guard is not None:
        guard.start()
