"""Request and Response: frozen values that cross the line between the pure core and transports.

Invariants:
- Headers are a tuple of (name, value) pairs in send order; names keep their case on the wire
  and are compared case-insensitively through ``header()``.
- ``body`` is ``bytes`` (possibly empty) or an iterable of byte chunks for streamed uploads; a
  streamed body is never buffered by the core.
- ``idempotent`` tells the retry policy whether re-sending after an unknown outcome is safe.
- ``repr`` redacts secrets: a Request may be printed or logged anywhere.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from tether.core.redact import redact_headers, redact_url

Headers = tuple[tuple[str, str], ...]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


def _find(headers: Headers, name: str) -> str | None:
    lname = name.lower()
    for k, v in headers:
        if k.lower() == lname:
            return v
    return None


@dataclass(frozen=True, slots=True, repr=False)
class Request:
    method: str
    url: str
    headers: Headers = ()
    body: bytes | Iterable[bytes] = b""
    timeout: float | None = None
    idempotent: bool | None = None  # None: derived from the method
    # Free-form tag for logs and errors: "ovh GET /me", never secret.
    label: str = ""
    # Per-request overrides of the transport's TransportOptions (None: the transport's value):
    # the whole-attempt deadline in seconds, and the largest answer read, in bytes (a method
    # that streams large answers raises it).
    deadline: float | None = None
    max_response_bytes: int | None = None

    @property
    def is_idempotent(self) -> bool:
        if self.idempotent is not None:
            return self.idempotent
        return self.method.upper() in IDEMPOTENT_METHODS

    def header(self, name: str) -> str | None:
        return _find(self.headers, name)

    def __repr__(self) -> str:
        return (
            f"Request({self.method} {redact_url(self.url)}, "
            f"headers={redact_headers(self.headers)!r})"
        )


@dataclass(frozen=True, slots=True, repr=False)
class Response:
    status: int
    headers: Headers = ()
    body: bytes = b""
    request: Request | None = field(default=None, compare=False)

    def header(self, name: str) -> str | None:
        return _find(self.headers, name)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    def text(self, encoding: str = "utf-8") -> str:
        return self.body.decode(encoding, errors="replace")

    def __repr__(self) -> str:
        return f"Response({self.status}, {len(self.body)} bytes)"
