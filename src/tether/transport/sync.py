"""The proxy transport, on urllib3's connection pool (``default_sync_transport`` picks it
when a proxy is set; ``stdlib.py`` is the default otherwise).

Connections are kept alive; redirects are not followed (APIs answer them deliberately);
urllib3's own retries are off because retry policy lives in the core.

Invariants (what urllib3 allows of the guarantees in ``tether.transport``):
- urllib3 checks a pooled connection before reuse (``is_connection_dropped``); it has no idle
  age limit, so ``max_idle`` is not applied here.
- An idempotent request whose connection closed before any answer is resent once; anything
  else is ``ConnectionLost``. urllib3 hides whether its write failed (it ignores a broken pipe
  to read an early answer), so a non-idempotent request is never resent here.
- The answer is read in pieces and refused past ``max_response_bytes`` (after decoding).
- The deadline covers connect and the body (the watchdog of ``stdlib.py`` is armed once the
  headers are in); while headers arrive only urllib3's ``total`` timeout applies, per read.
- A malformed answer is a ``ProtocolError``; a certificate failure says the cause and the fix.
"""

from __future__ import annotations

import http.client
import socket
import weakref
from time import monotonic
from typing import Any

import urllib3
from urllib3.exceptions import (
    ConnectTimeoutError,
    HTTPError,
    MaxRetryError,
    NewConnectionError,
    ProxyError,
    ReadTimeoutError,
    SSLError,
)
from urllib3.exceptions import (
    ProtocolError as Urllib3ProtocolError,
)

from tether.core.errors import (
    ConnectError,
    ConnectionLost,
    ResponseTooLarge,
    TimeoutError,
    TransportError,
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
)
from tether.transport.stdlib import Watchdog


class Urllib3Transport:
    def __init__(self, options: TransportOptions | None = None) -> None:
        self.options = options = options or TransportOptions()
        connect, read = options.split_timeout()
        kw: dict[str, object] = {
            "maxsize": options.max_connections,
            "block": False,
            "retries": False,
            "timeout": urllib3.Timeout(connect=connect, read=read),
            "headers": {"User-Agent": USER_AGENT},
            "cert_reqs": "CERT_REQUIRED" if options.verify else "CERT_NONE",
        }
        if options.ca_certs:
            kw["ca_certs"] = options.ca_certs
        self._pool: urllib3.PoolManager
        if options.proxy:
            self._pool = urllib3.ProxyManager(options.proxy, **kw)  # type: ignore[arg-type]
        else:
            self._pool = urllib3.PoolManager(**kw)  # type: ignore[arg-type]
        self._watchdog = Watchdog()
        self._finalizer = weakref.finalize(self, _release, self._pool, self._watchdog)

    def send(self, request: Request) -> Response:
        try:
            return self._attempt(request)
        except _Resend:
            return self._attempt(request)

    def _attempt(self, request: Request) -> Response:
        headers = dict(request.headers)
        body = request.body
        options = self.options
        deadline = request.deadline if request.deadline is not None else options.deadline
        limit = request.max_response_bytes
        if limit is None:
            limit = options.max_response_bytes
        start = monotonic()
        kw: dict[str, Any] = {}
        if request.timeout is not None or deadline is not None:
            connect, read = options.split_timeout()
            if request.timeout is not None:
                connect = read = request.timeout
            kw["timeout"] = urllib3.Timeout(connect=connect, read=read, total=deadline)
        try:
            r = self._pool.urlopen(
                request.method,
                request.url,
                body=body if body else None,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=False,
                **kw,
            )
        except Exception as e:
            if request.is_idempotent and isinstance(body, (bytes, bytearray)) and _no_answer(e):
                raise _Resend from e
            raise _map_error(e, request) from e
        watch = None
        sock = getattr(r.connection, "sock", None)
        if deadline is not None and isinstance(sock, socket.socket):
            watch = self._watchdog.watch(start + deadline, sock)
        try:
            length = r.length_remaining if not r.headers.get("Content-Encoding") else None
            if limit is not None and length is not None and length > limit:
                raise too_large(request, limit, length)
            chunks: list[bytes] = []
            total = 0
            for chunk in r.stream(256 * 1024, decode_content=True):
                total += len(chunk)
                if limit is not None and total > limit:
                    raise too_large(request, limit)
                chunks.append(chunk)
            data = b"".join(chunks)
        except Exception as e:
            r.close()
            if watch is not None and self._watchdog.done(watch):
                raise deadline_exceeded(request, deadline) from e  # type: ignore[arg-type]
            if isinstance(e, ResponseTooLarge):
                raise
            raise _map_error(e, request) from e
        if watch is not None and self._watchdog.done(watch):
            r.close()
            raise deadline_exceeded(request, deadline)  # type: ignore[arg-type]
        r.release_conn()
        return Response(r.status, tuple(r.headers.items()), data, request)

    def close(self) -> None:
        self._finalizer()


class _Resend(Exception):
    pass


def _release(pool: urllib3.PoolManager, watchdog: Watchdog) -> None:
    watchdog.stop()
    pool.clear()


def _no_answer(e: BaseException) -> bool:
    """The connection closed before any byte of an answer."""
    if isinstance(e, MaxRetryError) and e.reason is not None:
        e = e.reason
    if isinstance(e, Urllib3ProtocolError):
        inner = e.args[-1] if e.args else None
        return isinstance(
            inner, (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)
        )
    return False


def _map_error(e: Exception, request: Request) -> Exception:
    where = f"{request.method} {redact_url(request.url)}"
    if isinstance(e, MaxRetryError) and e.reason is not None:
        e = e.reason
    if isinstance(e, (NewConnectionError, ProxyError)):
        return ConnectError(
            f"could not connect for {where}: {_reason(e)}. Check the endpoint URL, your network "
            "and proxy settings."
        )
    if isinstance(e, ConnectTimeoutError):
        return ConnectError(f"connecting timed out for {where}; check the host or raise timeout")
    if isinstance(e, ReadTimeoutError):
        return TimeoutError(f"no answer in time for {where}; raise the read timeout or retry")
    if isinstance(e, SSLError):
        inner = e.args[-1] if e.args else e
        return tls_failure(request, inner if isinstance(inner, BaseException) else e)
    if isinstance(e, Urllib3ProtocolError):
        inner = e.args[-1] if e.args else None
        if isinstance(inner, http.client.HTTPException) and not isinstance(
            inner, (http.client.RemoteDisconnected, http.client.IncompleteRead)
        ):
            return malformed(request, f"{type(inner).__name__}: {inner}")
        return ConnectionLost(
            f"connection lost during {where} ({_reason(e)}); the server may have acted on the "
            "request or not"
        )
    if isinstance(e, HTTPError):
        return TransportError(f"HTTP failure for {where}: {_reason(e)}")
    if isinstance(e, OSError):
        return ConnectionLost(f"connection failed during {where}: {_reason(e)}")
    return e


def _reason(e: BaseException) -> str:
    # urllib3 messages may include the full URL with its query: keep only the exception kind
    # and errno-level text.
    inner = e.args[-1] if e.args else e
    if isinstance(inner, BaseException) and inner is not e:
        return f"{type(inner).__name__}: {_reason(inner)}"
    text = str(e)
    return redact_url(text)[:200]
