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
- Every attempt ends within its deadline: a loop timer cancels the attempt and it reports
  ``TimeoutError``. A streamed upload is not under the deadline while it is sent (aiohttp's
  per-read timeout bounds a stalled exchange); its deadline starts when the last chunk is
  handed over.
- An answer is not read past ``max_response_bytes`` after decompression: aiohttp decompresses
  in bounded pieces under flow control, and reading stops at the limit, so a gzip bomb costs
  at most the limit in memory.
- A malformed answer (bad status line, a header line over 64 KiB, more than 128 headers) is a
  ``ProtocolError``.
- A transport nobody closes releases its connections: when its event loop shuts down its async
  generators (``asyncio.run`` does) or when it is garbage-collected — no "Unclosed client
  session" warning.
"""

from __future__ import annotations

import asyncio
import contextlib
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
    deadline_exceeded,
    malformed,
    tls_failure,
    too_large,
    where,
)

# http.client's limits, so both transports accept the same answers.
_MAX_LINE = 65536


class _State:
    """What the finalizer needs, without a reference to the transport."""

    __slots__ = ("closer", "loop", "session")

    def __init__(self) -> None:
        self.session: aiohttp.ClientSession | None = None
        self.loop: asyncio.AbstractEventLoop | None = None
        # Held here: the loop keeps only a weak reference to the async generators it will close.
        self.closer: AsyncGenerator[None, None] | None = None


class AiohttpTransport:
    def __init__(self, options: TransportOptions | None = None) -> None:
        self.options = options = options or TransportOptions()
        connect, read = options.split_timeout()
        self._timeout = aiohttp.ClientTimeout(total=None, connect=connect, sock_read=read)
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
                skip_auto_headers=("Content-Type",),
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
        session = self._get_session(loop)
        options = self.options
        deadline = request.deadline if request.deadline is not None else options.deadline
        limit = request.max_response_bytes
        if limit is None:
            limit = options.max_response_bytes
        guard: _Guard | None = None
        if deadline is not None:
            guard = _Guard(loop, deadline)
        body: Any = request.body
        sent: _Sent | None = None
        if not isinstance(body, (bytes, bytearray)):
            # A streamed upload: hand aiohttp an async iterator over the chunks so the body is
            # never held in memory. Chunks are read from the iterator in the event loop (file
            # reads of 64 KiB are short); a Content-Length header, when the caller set one,
            # avoids chunked encoding. The deadline starts once it is all handed over.
            sent = _Sent()
            body = _aiter(body, guard, sent)
        elif guard is not None:
            guard.start()
        kw: dict[str, Any] = {}
        if request.timeout is not None:
            kw["timeout"] = aiohttp.ClientTimeout(
                total=None, connect=request.timeout, sock_read=request.timeout
            )
        url = self._urls.get(request.url)
        if url is None:
            if len(self._urls) >= 1024:
                self._urls.clear()
            url = self._urls[request.url] = URL(request.url, encoded=True)
        try:
            async with session.request(
                request.method,
                url,
                data=body if body else None,
                headers=request.headers,
                allow_redirects=False,
                proxy=options.proxy,
                **kw,
            ) as r:
                length = r.content_length
                if limit is None or (
                    length is not None and length <= limit and not r.headers.get("Content-Encoding")
                ):
                    data = await r.read()
                elif (
                    length is not None and length > limit and not r.headers.get("Content-Encoding")
                ):
                    raise too_large(request, limit, length)
                else:
                    data = await _read_upto(r, limit, request)
                response = Response(r.status, tuple(r.headers.items()), data, request)
        except asyncio.CancelledError:
            if guard is not None and guard.fired:
                guard.uncancel()
                raise deadline_exceeded(request, deadline) from None  # type: ignore[arg-type]
            raise
        except Exception as e:
            if guard is not None and guard.fired:
                guard.uncancel()
                raise deadline_exceeded(request, deadline) from e  # type: ignore[arg-type]
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


class _Guard:
    """The deadline of one attempt: a loop timer that cancels the attempt's task."""

    __slots__ = ("fired", "handle", "loop", "seconds", "task")

    def __init__(self, loop: asyncio.AbstractEventLoop, seconds: float) -> None:
        self.loop = loop
        self.seconds = seconds
        self.task = asyncio.current_task()
        self.handle: asyncio.TimerHandle | None = None
        self.fired = False

    def start(self) -> None:
        if self.handle is None:
            self.handle = self.loop.call_later(self.seconds, self._fire)

    def _fire(self) -> None:
        self.fired = True
        if self.task is not None:
            self.task.cancel()

    def uncancel(self) -> None:
        # Python 3.11+: undo our own cancel() so an enclosing timeout or TaskGroup is not
        # confused; 3.10 has no cancel count.
        if self.task is not None and hasattr(self.task, "uncancel"):
            self.task.uncancel()

    def cancel(self) -> None:
        if self.handle is not None:
            self.handle.cancel()


async def _read_upto(r: aiohttp.ClientResponse, limit: int, request: Request) -> bytes:
    chunks: list[bytes] = []
    total = 0
    async for chunk in r.content.iter_any():
        total += len(chunk)
        if total > limit:
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


def _step(aw: Any) -> None:
    with contextlib.suppress(StopIteration):
        aw.send(None)


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
