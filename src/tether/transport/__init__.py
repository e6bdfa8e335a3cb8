"""Transports: the only code that touches sockets.

A transport turns a ``Request`` into a ``Response`` or raises a ``TransportError`` subclass.
Sync: ``HttpClientTransport`` (default, ``stdlib.py``), ``Urllib3Transport`` (``sync.py``, used
when a proxy is set). Async: ``AiohttpTransport`` (``aio.py``; aiohttp is imported only when an
async client is built). Anything with ``send``/``close`` (sync) or ``send``/``aclose`` (async)
can be plugged in instead — see ``tether.runtime``. The choices are measured in bench/.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from tether.core.errors import UsageError

Timeout = float | tuple[float | None, float | None] | None

DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 180.0)
USER_AGENT = "tether/0.1"


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
    """

    timeout: Timeout = DEFAULT_TIMEOUT
    proxy: str | None = None
    verify: bool = True
    ca_certs: str | None = None
    max_connections: int = 20

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


def default_sync_transport(options: TransportOptions) -> Any:
    """The measured-fastest sync transport that supports ``options``."""
    if options.proxy:
        from tether.transport.sync import Urllib3Transport

        return Urllib3Transport(options)
    from tether.transport.stdlib import HttpClientTransport

    return HttpClientTransport(options)


def default_async_transport(options: TransportOptions) -> Any:
    from tether.transport.aio import AiohttpTransport

    return AiohttpTransport(options)
