"""The error tree every tether failure belongs to.

::

    TetherError                     anything tether raises on purpose
    ├── UsageError                  the caller passed something wrong (also a TypeError/ValueError)
    ├── ConfigError                 configuration missing, contradictory or unreadable
    ├── TransportError              no usable HTTP exchange happened
    │   ├── ConnectError            the request provably never reached the server
    │   ├── TimeoutError            connect or read timed out
    │   └── ConnectionLost          the connection dropped mid-exchange (reset, truncated body)
    ├── ProtocolError               the server answered something we cannot understand
    │   └── ResponseTooLarge        the answer is over the size limit (not read past it)
    └── APIError                    the service answered with an error
        ├── AuthError               bad or expired credentials, signature refused
        ├── PermissionDenied        authenticated, but not allowed
        ├── NotFound
        ├── RateLimited             429 / quota; ``retry_after`` when the service says
        └── ServerError             5xx

Invariants:
- Messages say what went wrong and what to do; they never contain a secret (callers pass
  redacted text; ``redact`` in ``tether.core.redact`` is the one place that knows what is secret).
- Service modules add their historical exception names as subclasses of these (python-ovh's
  ``APIError``, FlickrAPI's ``FlickrError`` …) so both ``except`` styles work.
"""

from __future__ import annotations

import builtins


class TetherError(Exception):
    """Base of every error tether raises on purpose."""


class UsageError(TetherError, ValueError):
    """An argument or combination of arguments is wrong; fix the call."""


class ConfigError(TetherError):
    """Configuration is missing, contradictory or unreadable."""


class TransportError(TetherError):
    """No usable HTTP exchange happened (DNS, refused, reset, timeout, TLS)."""


class ConnectError(TransportError):
    """The request never reached the server, so it is always safe to retry."""


class TimeoutError(TransportError, builtins.TimeoutError):
    """Connecting or reading took longer than the configured timeout."""


class ConnectionLost(TransportError):
    """The connection dropped after the request was (maybe) sent: reset or truncated response."""


class ProtocolError(TetherError):
    """The server's answer is malformed: not the format promised, truncated, hostile."""


class ResponseTooLarge(ProtocolError):
    """The answer is larger than the configured limit; it was not read past the limit.

    Attributes:
        limit: the limit in bytes that was exceeded.
    """

    def __init__(self, message: str, *, limit: int) -> None:
        super().__init__(message)
        self.limit = limit


class APIError(TetherError):
    """The service answered with an error.

    Attributes:
        service: short service name (``"ovh"``, ``"flickr"`` …).
        status: HTTP status, when there was one.
        code: the service's own error code, when it gave one.
        message: the service's message, as sent.
    """

    def __init__(
        self,
        message: str,
        *,
        service: str = "",
        status: int | None = None,
        code: str | int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.service = service
        self.status = status
        self.code = code
        self.retry_after = retry_after


class AuthError(APIError):
    """Credentials are wrong, expired or not yet approved, or the signature was refused."""


class PermissionDenied(APIError):
    """Authenticated, but this call is not allowed for these credentials."""


class NotFound(APIError):
    """The resource or method does not exist."""


class RateLimited(APIError):
    """Too many requests; wait ``retry_after`` seconds (when known) before trying again."""


class ServerError(APIError):
    """The service failed (5xx); usually transient."""
