"""The default sync transport: keep-alive ``http.client`` connections in a small pool.

Why not urllib3 (the first choice): measured in bench/, urllib3's pool manager spends about
twice the CPU per call of ``http.client`` on the same connection, most of it in bookkeeping a
client for one API host does not need. This transport keeps only what we use: a per-host stack
of idle connections, separate connect and read timeouts, TLS verification, and precise error
mapping. Proxies go through urllib3 (``tether.transport.sync.Urllib3Transport``), whose proxy
handling is mature; ``tether.transport.default_sync_transport`` picks.

Invariants:
- A connection is returned to the pool only after its response was read to the end and the
  server did not ask to close it.
- A request that fails on a *reused* connection before any byte of the response arrived is
  re-sent once on a fresh connection if it is idempotent: the server most likely closed the
  idle connection first (the race every keep-alive client has). Anything else is reported, not
  retried: retry policy lives in the core.
- Thread-safe: a connection is used by one thread at a time (idle stacks are guarded by a lock).
"""

from __future__ import annotations

import http.client
import socket
import ssl
import threading
from collections.abc import Iterable
from typing import cast
from urllib.parse import urlsplit

from tether.core.errors import (
    ConnectError,
    ConnectionLost,
    TimeoutError,
    TransportError,
    UsageError,
)
from tether.core.messages import Request, Response
from tether.core.redact import redact_url
from tether.transport import USER_AGENT, TransportOptions

_Key = tuple[str, str, int]


class _Conn:
    """One connection with its own read timeout applied after connect."""

    __slots__ = ("conn", "used")

    def __init__(self, conn: http.client.HTTPConnection) -> None:
        self.conn = conn
        self.used = False


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
        with self._lock:
            stack = self._idle.get(key)
            if stack:
                return stack.pop()
        return self._new(key)

    def _checkin(self, key: _Key, c: _Conn) -> None:
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
        except _StaleConnection:
            # Only reached for idempotent requests on a reused connection; see module doc.
            return self._exchange(key, self._new(key), target, request)

    def _exchange(self, key: _Key, c: _Conn, target: str, request: Request) -> Response:
        conn = c.conn
        reused = c.used
        headers = {"User-Agent": USER_AGENT, "Accept-Encoding": "identity"}
        headers.update(request.headers)
        body = request.body
        chunked = False
        if not isinstance(body, (bytes, bytearray)):
            chunked = "content-length" not in (k.lower() for k in headers)
        elif body or request.method in ("POST", "PUT", "PATCH"):
            headers["Content-Length"] = str(len(body))
        timeout = request.timeout
        connected = conn.sock is not None
        try:
            if not connected:
                if timeout is not None:
                    conn.timeout = timeout
                conn.connect()
                connected = True
                sock = cast(socket.socket, conn.sock)
                # http.client writes the headers and the body separately; with Nagle's
                # algorithm on, the body can wait for the peer's delayed ACK of the headers
                # (tens of ms per POST on a real network). urllib3 sets this for the same reason.
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                read_timeout = timeout if timeout is not None else self._read_timeout
                sock.settimeout(read_timeout)
            conn.request(
                request.method,
                target,
                body=_iter_body(body) if chunked else (body or None),  # type: ignore[arg-type]
                headers=headers,
                encode_chunked=chunked,
            )
            r = conn.getresponse()
        except Exception as e:
            conn.close()
            if reused and request.is_idempotent and _is_stale(e):
                raise _StaleConnection from e
            raise _map_error(e, request, connecting=not connected) from e
        try:
            data = r.read()
        except Exception as e:
            conn.close()
            raise _map_error(e, request, connecting=False) from e
        response = Response(r.status, tuple(r.getheaders()), data, request)
        if r.will_close:
            conn.close()
        else:
            c.used = True
            self._checkin(key, c)
        return response

    def close(self) -> None:
        with self._lock:
            idle, self._idle = self._idle, {}
        for stack in idle.values():
            for c in stack:
                c.conn.close()


class _StaleConnection(Exception):
    pass


def _iter_body(body: Iterable[bytes]) -> Iterable[bytes]:
    yield from body


def _is_stale(e: BaseException) -> bool:
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
    where = f"{request.method} {redact_url(request.url)}"
    kind = type(e).__name__
    if isinstance(e, ssl.SSLError):
        return TransportError(f"TLS failed for {where} ({kind}: {e.reason}); check the CA bundle")
    if isinstance(e, (socket.timeout, TimeoutError)):
        if connecting:
            return ConnectError(f"connecting timed out for {where}; check the host or timeout")
        return TimeoutError(f"no answer in time for {where}; raise the read timeout or retry")
    if isinstance(e, (ConnectionRefusedError, socket.gaierror)) or (
        connecting and isinstance(e, OSError)
    ):
        return ConnectError(
            f"could not connect for {where} ({kind}); check the endpoint URL and your network"
        )
    if isinstance(e, (http.client.HTTPException, OSError)):
        return ConnectionLost(
            f"connection lost during {where} ({kind}); the server may have acted on the "
            "request or not"
        )
    return e
