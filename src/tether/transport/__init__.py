"""Transports: the only code that touches sockets.

A transport turns a ``Request`` into a ``Response`` or raises a ``TransportError`` subclass.
Sync: ``HttpClientTransport`` (default, ``stdlib.py``), ``Urllib3Transport`` (``sync.py``, used
when a proxy is set). Async: ``AsyncioTransport`` (default, ``aioproto.py``: asyncio's
protocols and httptools' parser), which hands a proxy or a streamed body to
``AiohttpTransport`` (``aio.py``); aiohttp is imported only when an async client is built. Anything with ``send``/``close`` (sync) or ``send``/``aclose`` (async)
can be plugged in instead — see ``tether.runtime``. The choices are measured in bench/.

Guarantees every built-in transport keeps (each module says how):
- Every attempt ends: connect, headers and body fit in ``deadline`` seconds (per attempt; a
  streamed upload is bounded by progress while it is sent, the deadline runs once it is sent).
- An answer is never read past ``max_response_bytes`` (after decompression): the excess is
  refused while reading with ``ResponseTooLarge``.
- A malformed answer (bad status line, oversized or too many headers) is a ``ProtocolError``,
  never "connection lost".
- A pooled connection is checked before reuse and dropped after ``max_idle`` seconds idle.
"""

from __future__ import annotations

from typing import Any

from tether.transport.base import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_IDLE,
    DEFAULT_MAX_RESPONSE_BYTES,
    DEFAULT_TIMEOUT,
    USER_AGENT,
    Timeout,
    TransportOptions,
    deadline_exceeded,
    malformed,
    tls_failure,
    too_large,
    transport_options,
    where,
)

__all__ = [
    "DEFAULT_DEADLINE",
    "DEFAULT_MAX_IDLE",
    "DEFAULT_MAX_RESPONSE_BYTES",
    "DEFAULT_TIMEOUT",
    "USER_AGENT",
    "Timeout",
    "TransportOptions",
    "deadline_exceeded",
    "default_async_transport",
    "default_sync_transport",
    "malformed",
    "tls_failure",
    "too_large",
    "transport_options",
    "where",
]


def default_sync_transport(options: TransportOptions) -> Any:
    """The measured-fastest sync transport that supports ``options``."""
    if options.proxy:
        from tether.transport.sync import Urllib3Transport

        return Urllib3Transport(options)
    from tether.transport.stdlib import HttpClientTransport

    return HttpClientTransport(options)


def default_async_transport(options: TransportOptions) -> Any:
    from tether.transport.aioproto import AsyncioTransport

    return AsyncioTransport(options)
