"""What every transport shares: ``TransportOptions``, the defaults, and the messages for
deadlines, size limits, malformed answers and TLS failures.

Invariants: imports nothing of the transports themselves (``stdlib``, ``sync``, ``aio`` import
this module; ``tether.transport`` re-exports it and picks a transport), so there is no import
circle between the package and its transports.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from tether.core.errors import (
    ProtocolError,
    ResponseTooLarge,
    TimeoutError,
    TransportError,
    UsageError,
)
from tether.core.messages import Request
from tether.core.redact import redact_url

Timeout = float | tuple[float | None, float | None] | None

DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 180.0)
DEFAULT_DEADLINE = 300.0
DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024
DEFAULT_MAX_IDLE = 15.0  # aiohttp's keep-alive default; servers commonly close after 5-75 s
USER_AGENT = "tether/0.1"


def transport_options(
    *,
    timeout: Timeout = DEFAULT_TIMEOUT,
    proxy: str | None = None,
    verify: bool = True,
    ca_certs: str | None = None,
    deadline: float | None = DEFAULT_DEADLINE,
    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
    environ: Mapping[str, str] | None = None,
) -> TransportOptions:
    """The options a facade's constructor arguments make, checked.

    ``environ`` is given when the client is sent to the sandbox (``TETHER_SANDBOX``): then the
    sandbox's CA (``TETHER_SANDBOX_CA``, see ``tether sandbox --tls``) is trusted unless the
    caller gave ``ca_certs``.

    Raises:
        UsageError: a deadline or size limit that is not a positive number.
    """
    for name, value in (("deadline", deadline), ("max_response_bytes", max_response_bytes)):
        if value is not None and (
            isinstance(value, bool) or not isinstance(value, int | float) or not value > 0
        ):
            raise UsageError(f"{name} must be a positive number or None, got {value!r}")
    if ca_certs is None and environ is not None:
        from tether.sandbox.client import sandbox_ca

        ca_certs = sandbox_ca(environ)
    return TransportOptions(
        timeout=timeout,
        proxy=proxy,
        verify=verify,
        ca_certs=ca_certs,
        deadline=deadline,
        max_response_bytes=None if max_response_bytes is None else int(max_response_bytes),
    )


def where(request: Request) -> str:
    return f"{request.method} {redact_url(request.url)}"


def too_large(request: Request, limit: int, size: int | None = None) -> ResponseTooLarge:
    said = f" (the server announced {size} bytes)" if size is not None else ""
    return ResponseTooLarge(
        f"the answer to {where(request)} is larger than {limit} bytes{said}; it was not read. "
        "If this call really returns that much, raise max_response_bytes "
        "(TransportOptions(max_response_bytes=...), or per request Request(max_response_bytes=...))",
        limit=limit,
    )


def deadline_exceeded(request: Request, seconds: float) -> TimeoutError:
    return TimeoutError(
        f"no complete answer to {where(request)} within the {seconds:g} s deadline (the server "
        "is sending too slowly or not at all); retry later, or raise the deadline "
        "(TransportOptions(deadline=...), or per request Request(deadline=...))"
    )


def malformed(request: Request, detail: str) -> ProtocolError:
    return ProtocolError(
        f"the server sent a malformed HTTP answer to {where(request)} ({detail[:200]}); "
        "this is a server or proxy fault, not a network one: check the endpoint URL"
    )


def tls_failure(request: Request, e: BaseException) -> TransportError:
    """A clear message for a certificate or handshake failure: the cause and the fix."""
    import ssl

    text = getattr(e, "verify_message", None) or getattr(e, "reason", None) or str(e)
    text = str(text)[:200]
    if isinstance(e, ssl.SSLCertVerificationError):
        low = text.lower()
        if "expired" in low:
            fix = (
                "the server's certificate has expired: the server must renew it (check the "
                "machine's clock too)"
            )
        elif "hostname" in low or "ip address mismatch" in low or "not valid for" in low:
            fix = (
                "the certificate was issued for another name: check the host in the URL (use the "
                "name the certificate names)"
            )
        else:
            fix = (
                "the certificate is not signed by a CA this client trusts: if it is a private "
                "CA, pass its bundle as ca_certs=..."
            )
        return TransportError(f"TLS certificate refused for {where(request)} ({text}); {fix}")
    return TransportError(
        f"TLS failed for {where(request)} ({type(e).__name__}: {text}); check that the URL's "
        "scheme and port are right and the CA bundle (ca_certs=...)"
    )


@dataclass(frozen=True)
class TransportOptions:
    """What every transport takes.

    Args:
        timeout: seconds; one number for connect and read each, a ``(connect, read)`` pair, or
            ``None`` for no limit (python-ovh's convention).
        proxy: ``http://host:port`` of an HTTP(S) proxy, or ``None``. Environment proxy
            variables are deliberately not read: pass them here if you want them.
        verify: verify TLS certificates (never turn off outside tests).
        ca_certs: a CA bundle path, instead of the system's.
        max_connections: connections kept alive per host.
        max_idle: seconds a kept-alive connection may sit idle before it is dropped rather
            than reused (``None``: no limit). Servers close idle connections on their own clock.
        deadline: seconds one attempt may take in total — connect, headers and body — whatever
            the per-read timeout; ``None`` for no limit. A streamed upload is not bounded while
            it is sent (each write must progress within the read timeout); the deadline then
            covers the answer. ``Request.deadline`` overrides it per request.
        max_response_bytes: the largest answer read (after decompression); larger ones fail
            with ``ResponseTooLarge`` without being read whole. ``None`` for no limit.
            ``Request.max_response_bytes`` overrides it per request.
    """

    timeout: Timeout = DEFAULT_TIMEOUT
    proxy: str | None = None
    verify: bool = True
    ca_certs: str | None = None
    max_connections: int = 20
    max_idle: float | None = DEFAULT_MAX_IDLE
    deadline: float | None = DEFAULT_DEADLINE
    max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES

    def split_timeout(self) -> tuple[float | None, float | None]:
        t = self.timeout
        if t is None:
            return (None, None)
        if isinstance(t, (int, float)):
            if t <= 0:
                raise UsageError(f"timeout must be positive, got {t!r}")
            return (float(t), float(t))
        if isinstance(t, tuple) and len(t) == 2:
            return t
        raise UsageError(f"timeout must be a number, a (connect, read) pair or None, got {t!r}")
