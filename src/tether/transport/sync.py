"""The default sync transport, on urllib3's connection pool.

Chosen by measurement (see bench/): urllib3's pool costs far less per call than requests or
httpx on this hardware. Connections are kept alive; redirects are not followed (APIs answer
them deliberately); urllib3's own retries are off because retry policy lives in the core.
"""

from __future__ import annotations

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

from tether.core.errors import ConnectError, ConnectionLost, TimeoutError, TransportError
from tether.core.messages import Request, Response
from tether.core.redact import redact_url
from tether.transport import USER_AGENT, TransportOptions


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

    def send(self, request: Request) -> Response:
        headers = dict(request.headers)
        body = request.body
        try:
            r = self._pool.urlopen(
                request.method,
                request.url,
                body=body if body else None,
                headers=headers,
                redirect=False,
                retries=False,
                preload_content=True,
                **({"timeout": request.timeout} if request.timeout is not None else {}),
            )
        except Exception as e:
            raise _map_error(e, request) from e
        return Response(r.status, tuple(r.headers.items()), r.data, request)

    def close(self) -> None:
        self._pool.clear()


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
        return TransportError(f"TLS failed for {where}: {_reason(e)}. Check the CA bundle.")
    if isinstance(e, Urllib3ProtocolError):
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
