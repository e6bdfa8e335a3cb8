"""The default sync transport: keep-alive ``http.client`` connections in a small pool.

Why not urllib3 (the first choice): measured in bench/, urllib3's pool manager spends about
twice the CPU per call of ``http.client`` on the same connection, most of it in bookkeeping a
client for one API host does not need. This transport keeps only what we use: a per-host stack
of idle connections, separate connect and read timeouts, TLS verification, and precise error
mapping. Proxies go through urllib3 (``tether.transport.sync.Urllib3Transport``), whose proxy
handling is mature; ``tether.transport.default_sync_transport`` picks.

Invariants:
- A connection is returned to the pool only after its response was read to the end and the
  server did not ask to close it. Before reuse it is checked: idle longer than ``max_idle``, or
  readable (the peer closed it, or sent something unasked) → closed, and the next one is tried.
- Resending, at most once, on a fresh connection — the rule of Go's net/http:
  * the write of the request to a *reused* connection failed: the server cannot have acted on
    a request it did not receive whole, so it is resent whatever its method;
  * the request was written whole to a reused connection, which then closed before any byte of
    an answer: the server most likely closed the idle connection first, but it may have read
    the request and died — not provable, so only an idempotent request is resent; anything else
    is ``ConnectionLost`` ("the server may have acted on the request or not").
  A write that failed on a fresh connection, or a resend made impossible because a streamed
  body was already consumed, is a ``ConnectError``: the request did not reach the server.
- Every attempt ends within its deadline. Per-read socket timeouts do not bound a server that
  trickles, so one watchdog thread per transport shuts down the socket of any attempt past its
  deadline (registering is a dict insert under a lock), and the attempt reports
  ``TimeoutError`` whatever the shut socket made ``http.client`` raise. Connecting is bounded
  by ``min(connect timeout, deadline)``. A streamed upload is not under the deadline while it is
  sent (each write must progress within the read timeout); its deadline starts once it is sent.
- An answer is not read past ``max_response_bytes``: an announced ``Content-Length`` above it
  fails before reading; otherwise reading stops at the limit. Bodies are never compressed
  (``Accept-Encoding: identity``), so the limit is on what is held in memory.
- A malformed answer (bad status line, a header line over 64 KiB, more than 100 headers) is a
  ``ProtocolError``.
- Thread-safe: a connection is used by one thread at a time (idle stacks are guarded by a lock).
- A transport nobody closes releases its idle sockets and its watchdog when garbage-collected.
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import ssl
import threading
import weakref
from collections.abc import Iterable, Iterator
from time import monotonic
from typing import cast
from urllib.parse import urlsplit

from tether.core.errors import (
    ConnectError,
    ConnectionLost,
    ResponseTooLarge,
    TimeoutError,
    UsageError,
)
from tether.core.messages import Request, Response
from tether.core.redact import redact_url
from tether.transport.base import (
    USER_AGENT,
    TransportOptions,
    deadline_exceeded,
    malformed,
    tls_failure,
    too_large,
    where,
)

_Key = tuple[str, str, int]
_READ_CHUNK = 256 * 1024


class _Conn:
    """One pooled connection: whether it served a request, and since when it is idle."""

    __slots__ = ("conn", "idle_since", "used")

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn
        self.used = False
        self.idle_since = 0.0


class HttpClientTransport:
    def __init__(self, options: TransportOptions | None = None) -> None:
        self.options = options = options or TransportOptions()
        if options.proxy:
            raise UsageError("HttpClientTransport has no proxy support; use Urllib3Transport")
        self._connect_timeout, self._read_timeout = options.split_timeout()
        self._idle: dict[_Key, list[_Conn]] = {}
        self._lock = threading.Lock()
        self._ssl: ssl.SSLContext | None = None
        self._targets: dict[str, tuple[_Key, str]] = {}
        self._watchdog = Watchdog()
        # Users of the seed libraries never call close(): release sockets and the watchdog
        # thread when the transport goes away, without a ResourceWarning.
        self._finalizer = weakref.finalize(self, _release, self._idle, self._watchdog)

    def _ssl_context(self) -> ssl.SSLContext:
        if self._ssl is None:
            ctx = ssl.create_default_context(cafile=self.options.ca_certs)
            if not self.options.verify:
                ctx.check_hostname = False
                ctx.verify_mode = ssl.CERT_NONE
            self._ssl = ctx
        return self._ssl

    def _split(self, url: str) -> tuple[_Key, str]:
        """(scheme, host, port) and the request target, cached per URL prefix."""
        # Cache on scheme://authority: every call to one API shares it.
        cut = url.find("/", url.find("//") + 2)
        origin = url if cut < 0 else url[:cut]
        target = "/" if cut < 0 else url[cut:]
        hit = self._targets.get(origin)
        if hit is None:
            parts = urlsplit(origin)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise UsageError(f"not an http(s) URL: {redact_url(url)}")
            port = parts.port or (443 if parts.scheme == "https" else 80)
            host_header = parts.netloc.rsplit("@", 1)[-1]
            hit = ((parts.scheme, parts.hostname, port), host_header)
            self._targets[origin] = hit
        return hit[0], target

    def _new(self, key: _Key) -> _Conn:
        scheme, host, port = key
        conn: http.client.HTTPConnection
        if scheme == "https":
            conn = http.client.HTTPSConnection(
                host, port, timeout=self._connect_timeout, context=self._ssl_context()
            )
        else:
            conn = http.client.HTTPConnection(host, port, timeout=self._connect_timeout)
        return _Conn(conn)

    def _checkout(self, key: _Key) -> _Conn:
        max_idle = self.options.max_idle
        while True:
            with self._lock:
                stack = self._idle.get(key)
                if not stack:
                    break
                c = stack.pop()
            if (max_idle is not None and monotonic() - c.idle_since > max_idle) or _dropped(
                c.conn.sock
            ):
                c.conn.close()
                continue
            return c
        return self._new(key)

    def _checkin(self, key: _Key, c: _Conn) -> None:
        c.used = True
        c.idle_since = monotonic()
        with self._lock:
            stack = self._idle.setdefault(key, [])
            if len(stack) < self.options.max_connections:
                stack.append(c)
                return
        c.conn.close()

    def send(self, request: Request) -> Response:
        key, target = self._split(request.url)
        c = self._checkout(key)
        try:
            return self._exchange(key, c, target, request)
        except _Resend:
            # See the module doc for when this is safe; at most once, on a fresh connection.
            return self._exchange(key, self._new(key), target, request)

    def _exchange(self, key: _Key, c: _Conn, target: str, request: Request) -> Response:
        conn = c.conn
        reused = c.used
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        headers.update(request.headers)
        body = request.body
        streamed = not isinstance(body, (bytes, bytearray))
        chunked = False
        source: _Source | None = None
        if streamed:
            chunked = "content-length" not in (k.lower() for k in headers)
            source = _Source(cast(Iterable[bytes], body))
        elif body or request.method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))  # type: ignore[arg-type]
        deadline = request.deadline if request.deadline is not None else self.options.deadline
        start = monotonic()
        timeout = request.timeout
        watch: _Watch | None = None
        connected = conn.sock is not None
        try:
            if not connected:
                connect_timeout = timeout if timeout is not None else self._connect_timeout
                if deadline is not None:
                    connect_timeout = min(connect_timeout or deadline, deadline)
                conn.timeout = connect_timeout
                conn.connect()
                connected = True
                sock = cast(socket.socket, conn.sock)
                # http.client writes the headers and the body separately; with Nagle's
                # algorithm on, the body can wait for the peer's delayed ACK of the headers
                # (tens of ms per POST on a real network). urllib3 sets this for the same reason.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                read_timeout = timeout if timeout is not None else self._read_timeout
                sock.settimeout(read_timeout)
            if deadline is not None and not streamed:
                watch = self._watchdog.watch(start + deadline, cast(socket.socket, conn.sock))
            conn.request(
                request.method,
                target,
                body=source if source is not None else (body or None),
                headers=headers,
                encode_chunked=chunked,
            )
        except Exception as e:
            conn.close()
            if watch is not None and self._watchdog.done(watch):
                raise deadline_exceeded(request, cast(float, deadline)) from e
            if not connected:
                raise _map_error(e, request, connecting=True) from e
            if isinstance(e, (OSError, http.client.HTTPException)) and _is_closed(e):
                # The write failed: the server did not receive the request whole.
                if reused and (source is None or source.replayable()):
                    raise _Resend from e
                why = (
                    "its streamed body was partly consumed, so tether could not resend it"
                    if reused
                    else "on a fresh connection"
                )
                raise ConnectError(
                    f"the server closed the connection while {where(request)} was being sent "
                    f"({type(e).__name__}; {why}); the request did not reach the server whole, "
                    "so it is safe to send again"
                ) from e
            raise _map_error(e, request, connecting=False) from e
        if deadline is not None and streamed:
            watch = self._watchdog.watch(monotonic() + deadline, cast(socket.socket, conn.sock))
        limit = request.max_response_bytes
        if limit is None:
            limit = self.options.max_response_bytes
        r: http.client.HTTPResponse | None = None
        try:
            r = conn.getresponse()
            length = r.length
            if limit is not None and length is not None and length > limit:
                raise too_large(request, limit, length)
            data = r.read() if limit is None or length is not None else _read_upto(r, limit)
        except Exception as e:
            conn.close()
            if watch is not None and self._watchdog.done(watch):
                raise deadline_exceeded(request, cast(float, deadline)) from e
            if isinstance(e, ResponseTooLarge):
                raise
            if (
                r is None
                and reused
                and request.is_idempotent
                and _is_closed(e)
                and (source is None or source.replayable())
            ):
                raise _Resend from e
            raise _map_error(e, request, connecting=False) from e
        if watch is not None and self._watchdog.done(watch):
            # The shut socket can look like a normal end of a close-delimited body.
            conn.close()
            raise deadline_exceeded(request, cast(float, deadline))
        response = Response(r.status, tuple(r.getheaders()), data, request)
        if r.will_close:
            conn.close()
        else:
            self._checkin(key, c)
        return response

    def close(self) -> None:
        self._finalizer()


def _release(idle: dict[_Key, list[_Conn]], watchdog: Watchdog) -> None:
    watchdog.stop()
    while idle:
        _, stack = idle.popitem()
        for c in stack:
            c.conn.close()


class _Resend(Exception):
    pass


class _Source:
    """A streamed body that knows whether it can be sent again."""

    __slots__ = ("body", "pulled")

    def __init__(self, body: Iterable[bytes]) -> None:
        self.body = body
        self.pulled = False

    def __iter__(self) -> Iterator[bytes]:
        for chunk in self.body:
            self.pulled = True
            yield chunk

    def replayable(self) -> bool:
        # Nothing taken yet, or a container (list, a re-opening upload source) rather than a
        # one-shot iterator.
        return not self.pulled or iter(self.body) is not self.body


def _read_upto(r: http.client.HTTPResponse, limit: int) -> bytes:
    chunks: list[bytes] = []
    total = 0
    while True:
        chunk = r.read(_READ_CHUNK)
        if not chunk:
            return b"".join(chunks)
        total += len(chunk)
        if total > limit:
            raise _TooLarge(limit)
        chunks.append(chunk)


class _TooLarge(Exception):
    def __init__(self, limit: int) -> None:
        self.limit = limit


if hasattr(select, "poll"):

    def _dropped(sock: socket.socket | None) -> bool:
        """Whether an idle connection is unusable: closed, or readable (EOF, reset, or bytes
        nobody asked for). A zero-timeout poll: about a microsecond."""
        if sock is None:
            return True
        p = select.poll()
        p.register(sock, select.POLLIN)
        return bool(p.poll(0))

else:  # pragma: no cover - Windows

    def _dropped(sock: socket.socket | None) -> bool:
        if sock is None:
            return True
        return bool(select.select([sock], [], [], 0)[0])


def _is_closed(e: BaseException) -> bool:
    """The peer closed or reset the connection (as opposed to a timeout or a parse error)."""
    return isinstance(
        e,
        (
            http.client.RemoteDisconnected,
            BrokenPipeError,
            ConnectionResetError,
            ConnectionAbortedError,
        ),
    )


def _map_error(e: BaseException, request: Request, connecting: bool) -> BaseException:
    w = where(request)
    kind = type(e).__name__
    if isinstance(e, _TooLarge):
        return too_large(request, e.limit)
    if isinstance(e, ssl.SSLError | ssl.CertificateError):
        return tls_failure(request, e)
    if isinstance(e, (socket.timeout, TimeoutError)):
        if connecting:
            return ConnectError(f"connecting timed out for {w}; check the host or timeout")
        return TimeoutError(f"no answer in time for {w}; raise the read timeout or retry")
    if isinstance(e, (ConnectionRefusedError, socket.gaierror)) or (
        connecting and isinstance(e, OSError)
    ):
        return ConnectError(
            f"could not connect for {w} ({kind}); check the endpoint URL and your network"
        )
    if isinstance(e, http.client.RemoteDisconnected):
        return ConnectionLost(
            f"connection lost: the server closed the connection without answering {w}; the "
            "server may have "
            "acted on the request or not"
        )
    if isinstance(e, http.client.IncompleteRead):
        return ConnectionLost(
            f"connection lost during {w}: the answer was cut short ({len(e.partial)} bytes "
            "read); the server may have acted on the request or not"
        )
    if isinstance(e, http.client.HTTPException):
        # Bad status line, a header line over 64 KiB, more than 100 headers, bad chunking.
        return malformed(request, f"{kind}: {e}")
    if isinstance(e, OSError):
        return ConnectionLost(
            f"connection lost during {w} ({kind}); the server may have acted on the request or not"
        )
    return e


class _Watch:
    __slots__ = ("fired", "sock", "when")

    def __init__(self, when: float, sock: socket.socket) -> None:
        self.when = when
        self.sock = sock
        self.fired = False


class Watchdog:
    """Shuts down the socket of an attempt past its deadline; one thread, started on first use.

    ``watch`` and ``done`` are a set insert and removal under a lock; the thread wakes only at
    the earliest deadline (or when an earlier one is added) and exits after a minute with
    nothing to watch. Shutting the socket (not closing it: the owning thread closes) makes any
    blocked read return at once.
    """

    def __init__(self) -> None:
        # Callers take the bare lock (a C-level context manager, cheaper than the Condition's).
        self._lock = threading.Lock()
        self._cond = threading.Condition(self._lock)
        self._active: set[_Watch] = set()
        self._wake_at = float("inf")
        self._thread: threading.Thread | None = None
        self._stopped = False

    def watch(self, when: float, sock: socket.socket) -> _Watch:
        w = _Watch(when, sock)
        with self._lock:
            self._active.add(w)
            if self._thread is None:
                self._stopped = False
                self._thread = threading.Thread(
                    target=self._run, name="tether-deadline", daemon=True
                )
                self._thread.start()
            elif when < self._wake_at:
                self._cond.notify()
        return w

    def done(self, w: _Watch) -> bool:
        """Stop watching; whether the deadline had fired."""
        with self._lock:
            self._active.discard(w)
        return w.fired

    def stop(self) -> None:
        with self._cond:
            self._stopped = True
            self._cond.notify()

    def _run(self) -> None:
        with self._cond:
            while not self._stopped:
                now = monotonic()
                nxt = float("inf")
                for w in list(self._active):
                    if w.when <= now:
                        w.fired = True
                        self._active.discard(w)
                        with contextlib.suppress(OSError):
                            socket.socket.shutdown(w.sock, socket.SHUT_RDWR)
                    elif w.when < nxt:
                        nxt = w.when
                self._wake_at = nxt
                if nxt == float("inf"):
                    if not self._cond.wait(60.0) and not self._active:
                        break
                else:
                    self._cond.wait(nxt - now)
            self._thread = None
