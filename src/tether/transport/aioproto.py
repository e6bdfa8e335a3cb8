"""A lean async transport on asyncio's Protocol API and the C parser httptools.

Why: at 50 requests in flight, aiohttp's per-request path (``ClientSession._request``,
``ClientRequest``, headers, connector acquire/release) is a large share of a call's CPU, and a
client of one API host needs little of it (as ``stdlib.py`` found for urllib3). A proxy or a
streamed (non-bytes) body goes to an internal ``AiohttpTransport``, unchanged.

Invariants (``aio.AiohttpTransport``'s, kept here as follows):
- The request goes out as given: the URL's path and query as they are (pre-encoded and
  signed: never re-quoted; no fragment), ``Host``, ``User-Agent: USER_AGENT``, ``Accept`` and
  ``Accept-Encoding: gzip, deflate`` unless the caller set them, the caller's headers, and
  ``Content-Length`` for a bytes body (``0`` when empty, except for GET, HEAD, OPTIONS,
  CONNECT, TRACE: aiohttp's rule). No ``Content-Type`` is added. No pipelining.
- At most ``max(max_connections, 100)`` connections per (scheme, host, port) carry requests
  at once (aiohttp's ``limit_per_host`` here); more requests wait their turn, within their
  deadline. Reuse per (scheme, host, port), newest first. The loop sees the peer close an idle
  connection, which leaves the pool; bytes arriving unasked close one; one idle longer than
  ``max_idle`` is closed. A connection goes back only once its answer was read to the end, its
  request left the buffers whole, and neither side asked to close.
- Resending, once, on a fresh connection (Go's rule, as ``stdlib.py``): a reused connection
  closed before any byte of an answer → resent if the request was not written whole (whatever
  the method) or is idempotent, else ``ConnectionLost``. Not written whole on a fresh
  connection: ``ConnectError`` (the server cannot have acted on it).
- Every attempt ends within its deadline, on the loop's shared timer (``deadlines.Guard``): connect
  + read seconds until the headers, then read seconds per piece of body still to come, and
  ``deadline`` for it all; past one, the task is cancelled and reports ``TimeoutError``.
- Answers are read as ``aioanswer.py`` states: ``max_response_bytes`` after decompression, a
  malformed answer a ``ProtocolError`` on a connection then closed.
- TLS by ``loop.create_connection(ssl=context)``: ``verify`` and ``ca_certs`` honoured.
- Connections are released at the loop's shutdown of async generators (``asyncio.run``), on
  ``aclose``, or when the transport is garbage-collected.
"""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import weakref
from collections.abc import AsyncGenerator
from typing import Any
from urllib.parse import urlsplit

from tether.core.errors import ConnectError, UsageError
from tether.core.messages import Request, Response
from tether.core.redact import redact_url
from tether.transport import base
from tether.transport.aioanswer import Exchange as _Exchange
from tether.transport.aioanswer import Resend as _Resend
from tether.transport.base import TransportOptions, tls_failure, where
from tether.transport.deadlines import Deadlines as _Deadlines
from tether.transport.deadlines import Guard as _Guard
from tether.transport.deadlines import step as _step

_Key = tuple[str, str, int]
_NO_LENGTH = frozenset({"GET", "HEAD", "OPTIONS", "CONNECT", "TRACE"})  # aiohttp's GET_METHODS
_DEFAULTS = (
    ("user-agent", f"User-Agent: {base.USER_AGENT}\r\n"),
    ("accept", "Accept: */*\r\n"),
    ("accept-encoding", "Accept-Encoding: gzip, deflate\r\n"),
)


class _Conn(asyncio.Protocol):
    """One connection; it leaves its pool stack when it closes."""

    __slots__ = ("closed", "ex", "idle", "idle_since", "key", "transport", "used")

    def __init__(self, key: _Key, idle: list[_Conn]) -> None:
        self.key, self.idle = key, idle  # the pool stack of its (scheme, host, port)
        self.transport: Any = None
        self.ex: _Exchange | None = None
        self.closed = self.used = False
        self.idle_since = 0.0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        # High-water mark 0: resume_writing says when the request has left the buffer whole.
        transport.set_write_buffer_limits(0)

    def resume_writing(self) -> None:
        if self.ex is not None:
            self.ex.flushed = True

    def data_received(self, data: bytes) -> None:
        ex = self.ex
        if ex is not None and not ex.done:
            ex.feed(data)
            if not (ex.done and ex.closing):
                return
        self.drop()  # bytes nobody asked for, or an answer that ends this connection

    def connection_lost(self, exc: Exception | None) -> None:
        # Also after the peer's EOF: eof_received (inherited) returns None, closing our side.
        self.closed = True
        with contextlib.suppress(ValueError):
            self.idle.remove(self)
        if self.ex is not None and not self.ex.done:
            self.ex.lost(exc, self.used)

    def drop(self) -> None:
        self.closed = True
        self.transport.close()


class _State:
    """What the finalizer needs, without a reference to the transport."""

    def __init__(self) -> None:
        self.pools: dict[_Key, list[_Conn]] = {}  # idle connections, newest last
        self.slots: dict[_Key, asyncio.Semaphore] = {}  # requests in flight per origin
        self.loop: asyncio.AbstractEventLoop | None = None
        self.deadlines: _Deadlines | None = None
        self.closer: AsyncGenerator[None, None] | None = None


class AsyncioTransport:
    def __init__(self, options: TransportOptions | None = None) -> None:
        self.options = options = options or TransportOptions()
        self._connect, self._read = options.split_timeout()
        self._head = None if self._read is None else (self._connect or 0.0) + self._read
        self._keep = max(options.max_connections, 100)  # aio.py's per-host connection limit
        self._state = _State()
        self._targets: dict[str, tuple[_Key, str]] = {}  # origin -> key, Host header
        self._ssl: ssl.SSLContext | None = None
        self._aio: Any = None  # the AiohttpTransport for proxies and streamed bodies
        weakref.finalize(self, _release, self._state)

    def _bind(self, loop: asyncio.AbstractEventLoop) -> None:
        st = self._state
        if st.loop is not None:
            _release(st)  # connections of another loop cannot serve this one
        st.loop, st.deadlines, st.slots = loop, _Deadlines(loop), {}
        # Closed when the loop shuts down its async generators: seed users never call aclose().
        closer = st.closer = _close_at_shutdown(st)
        _step(closer.__anext__())  # runs to its yield: registered with the loop now

    def _split(self, url: str) -> tuple[_Key, str, str]:
        """(scheme, host, port), the Host header and the request target, cached per origin."""
        start, cut = url.find("//") + 2, len(url)
        for mark in "/?#":  # the target starts at the first of them after the authority
            i = url.find(mark, start, cut)
            cut = i if i >= 0 else cut
        origin, target = url[:cut], url[cut:].partition("#")[0]  # a fragment is not sent
        target = target if target.startswith("/") else "/" + target
        hit = self._targets.get(origin)
        if hit is None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise UsageError(f"not an http(s) URL: {redact_url(url)}")
            default = 443 if parts.scheme == "https" else 80
            host, port = parts.hostname, parts.port or default
            host_header = f"[{host}]" if ":" in host else host
            if port != default:
                host_header += f":{port}"
            if len(self._targets) >= 1024:
                self._targets.clear()
            hit = self._targets[origin] = ((parts.scheme, host, port), host_header)
        return hit[0], hit[1], target

    def _head_bytes(self, request: Request, body: bytes, host: str, target: str) -> bytes:
        lines = [f"{request.method} {target} HTTP/1.1\r\n"]
        seen = set()
        for k, v in request.headers:
            if "\n" in v or "\r" in v or "\n" in k or "\r" in k or ":" in k:
                raise UsageError(f"a header of {where(request)} holds a line break or a bad name")
            seen.add(k.lower())
            lines.append(f"{k}: {v}\r\n")
        if "host" not in seen:
            lines.insert(1, f"Host: {host}\r\n")
        lines.extend(line for name, line in _DEFAULTS if name not in seen)
        if "content-length" not in seen and (body or request.method not in _NO_LENGTH):
            lines.append(f"Content-Length: {len(body)}\r\n")
        lines.append("\r\n")
        head = "".join(lines).encode("utf-8")
        return head + body if body else head

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            ctx = self._ssl = ssl.create_default_context(cafile=self.options.ca_certs)
            if not self.options.verify:
                ctx.check_hostname, ctx.verify_mode = False, ssl.CERT_NONE
        return self._ssl

    def _delegate(self) -> Any:
        if self._aio is None:
            from tether.transport.aio import AiohttpTransport

            self._aio = AiohttpTransport(self.options)
        return self._aio

    async def send(self, request: Request) -> Response:
        body = request.body
        if self.options.proxy is not None or not isinstance(body, (bytes, bytearray)):
            return await self._delegate().send(request)  # type: ignore[no-any-return]
        loop = asyncio.get_running_loop()
        if self._state.loop is not loop:
            self._bind(loop)
        key, host, target = self._split(request.url)
        data = self._head_bytes(request, body, host, target)
        deadline = request.deadline if request.deadline is not None else self.options.deadline
        limit = request.max_response_bytes
        limit = self.options.max_response_bytes if limit is None else limit
        read, head, connect = self._read, self._head, self._connect
        if request.timeout is not None:  # aiohttp's ClientTimeout(connect=t, sock_read=t)
            read, head, connect = request.timeout, 2 * request.timeout, request.timeout
        guard: _Guard | None = None
        if deadline is not None or read is not None:
            guard = _Guard(self._state.deadlines, deadline, head)  # type: ignore[arg-type]
            guard.start()
        slots = self._state.slots.get(key)
        if slots is None:
            slots = self._state.slots[key] = asyncio.Semaphore(self._keep)
        try:
            async with slots:
                conn = self._checkout(key, loop) or await self._open(key, request, connect)
                try:
                    ex = _Exchange(request, limit, read, guard)
                    return await self._exchange(conn, data, ex)
                except _Resend:
                    conn = await self._open(key, request, connect)
                    ex = _Exchange(request, limit, read, guard)
                    return await self._exchange(conn, data, ex)
        except (asyncio.CancelledError, Exception) as e:
            if guard is not None and guard.fired:
                guard.uncancel()
                raise guard.error(request) from (e if isinstance(e, Exception) else None)
            raise
        finally:
            if guard is not None:
                guard.cancel()

    def _checkout(self, key: _Key, loop: asyncio.AbstractEventLoop) -> _Conn | None:
        stack = self._state.pools.get(key)
        max_idle = self.options.max_idle
        while stack:
            c = stack.pop()
            stale = max_idle is not None and loop.time() - c.idle_since > max_idle
            if stale or c.closed or c.transport.is_closing():
                c.drop()
                continue
            return c
        return None

    async def _open(self, key: _Key, request: Request, connect: float | None) -> _Conn:
        scheme, host, port = key
        loop = asyncio.get_running_loop()
        stack = self._state.pools.setdefault(key, [])
        tls: dict[str, Any] = {}
        if scheme == "https":
            tls = {"ssl": self._ssl_context(), "server_hostname": host}
        opening = loop.create_connection(lambda: _Conn(key, stack), host, port, **tls)
        try:
            _, conn = await (opening if connect is None else asyncio.wait_for(opening, connect))
        except (ssl.SSLError, ssl.CertificateError) as e:
            raise tls_failure(request, e) from e
        except asyncio.TimeoutError as e:  # before OSError: it is one on 3.11+
            w = where(request)
            raise ConnectError(f"connecting timed out for {w}; check the host or timeout") from e
        except OSError as e:
            raise ConnectError(
                f"could not connect for {where(request)}: {type(e).__name__}. Check the "
                "endpoint URL, your network and proxy settings."
            ) from e
        return conn

    async def _exchange(self, conn: _Conn, data: bytes, ex: _Exchange) -> Response:
        transport = conn.transport
        conn.ex = ex
        try:
            transport.write(data)
            # Whole in the kernel now, or resume_writing says so later; a failed write has
            # closed the transport already.
            ex.flushed = not transport.is_closing() and transport.get_write_buffer_size() == 0
            await ex.waiter
        except BaseException:
            conn.ex = None
            conn.drop()  # cancelled, failed or to be resent: the connection's state is unknown
            raise
        conn.ex = None
        response = Response(ex.status, tuple(ex.headers), b"".join(ex.pieces), ex.request)
        self._checkin(conn, ex.flushed and not ex.closing)
        return response

    def _checkin(self, conn: _Conn, reusable: bool) -> None:
        conn.used = True
        now = conn.idle_since = asyncio.get_running_loop().time()
        stack, max_idle = conn.idle, self.options.max_idle
        if not reusable or conn.closed or self._state.pools.get(conn.key) is not stack:
            conn.drop()  # or its pool was closed (aclose) while this request was in flight
            return
        stack.append(conn)
        expired = max_idle is not None and now - stack[0].idle_since > max_idle
        if len(stack) > self._keep or expired:
            stack.pop(0).drop()  # the oldest idle one: one too many, or expired (a sweep step)

    async def aclose(self) -> None:
        if _close_all(self._state):
            await asyncio.sleep(0)  # let the transports' connection_lost close the sockets
        _release(self._state)
        if self._aio is not None:
            await self._aio.aclose()


def _close_all(st: _State) -> bool:
    """Close every pooled connection; whether there was one. On a closed loop the sockets are
    closed directly: the transports cannot schedule their own close any more."""
    pools, st.pools = st.pools, {}
    dead = st.loop is not None and st.loop.is_closed()
    conns = [c for stack in pools.values() for c in stack]
    for c in conns:
        c.closed, t = True, c.transport
        if not dead:
            t.close()
            continue
        inner = getattr(getattr(t, "_ssl_protocol", None), "_transport", None) or t
        sock = getattr(inner, "_sock", None)
        if sock is not None:
            sock.close()
            inner._sock = None  # its __del__ warns about an open socket otherwise
        if inner is not t:
            t._closed = True  # the TLS wrapper's __del__ likewise
    return bool(conns)


def _release(st: _State) -> None:
    """Close the connections synchronously (a finalizer cannot await)."""
    _close_all(st)
    closer, st.closer, st.loop = st.closer, None, None
    if closer is not None:
        # Finished now (nothing left to close: no await), not later on a maybe closed loop.
        _step(closer.aclose())


async def _close_at_shutdown(st: _State) -> AsyncGenerator[None, None]:
    try:
        yield
    finally:
        if _close_all(st):
            await asyncio.sleep(0)
