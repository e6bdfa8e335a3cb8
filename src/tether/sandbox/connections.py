"""Access to a request's TCP connection, so a fault can drop it without any HTTP answer.

ASGI gives an application no handle on its connection: if an app returns or raises before
starting a response, uvicorn answers 500. To emulate "the server closed the connection without
answering" we run uvicorn with a thin subclass of its HTTP protocol that records every
connection's transport in a ``ConnectionRegistry`` keyed by the peer address, which is exactly
``scope["client"]``. The fault layer looks the transport up and closes it.

Invariants:
- The registry is only touched on the server's event-loop thread (protocol callbacks and the
  ASGI app both run there), so it needs no lock.
- A transport is registered from ``connection_made`` to ``connection_lost``; the key is captured
  at ``connection_made`` because the peer address can no longer be read once the socket closed.
- ``uvicorn.Config(proxy_headers=False)`` is required: proxy headers would rewrite
  ``scope["client"]`` and break the lookup.
"""

from __future__ import annotations

import asyncio
from typing import Any


class ConnectionRegistry:
    """Peer address -> live transport, for the connections of one server."""

    def __init__(self) -> None:
        self._by_peer: dict[tuple[str, int], asyncio.BaseTransport] = {}

    def add(self, peer: tuple[str, int], transport: asyncio.BaseTransport) -> None:
        self._by_peer[peer] = transport

    def discard(self, peer: tuple[str, int], transport: asyncio.BaseTransport) -> None:
        if self._by_peer.get(peer) is transport:
            del self._by_peer[peer]

    def get(self, client: Any) -> asyncio.BaseTransport | None:
        """The transport serving ``scope["client"]``, if this server owns it."""
        if not client:
            return None
        return self._by_peer.get((str(client[0]), int(client[1])))

    def __len__(self) -> int:
        return len(self._by_peer)


def protocol_class(registry: ConnectionRegistry) -> type[asyncio.Protocol]:
    """uvicorn's default HTTP protocol (httptools if installed, else h11), recording its
    transports in ``registry``. Pass the result as ``uvicorn.Config(http=...)``."""
    from uvicorn.protocols.http.auto import AutoHTTPProtocol
    from uvicorn.protocols.utils import get_remote_addr

    base: Any = AutoHTTPProtocol

    def connection_made(self: Any, transport: asyncio.Transport) -> None:
        peer = get_remote_addr(transport)
        self._tether_peer = peer
        if peer is not None:
            registry.add(peer, transport)
        base.connection_made(self, transport)

    def connection_lost(self: Any, exc: Exception | None) -> None:
        peer = getattr(self, "_tether_peer", None)
        if peer is not None:
            registry.discard(peer, self.transport)
        base.connection_lost(self, exc)

    cls = type(
        "TetherHTTPProtocol",
        (base,),
        {"connection_made": connection_made, "connection_lost": connection_lost},
    )
    return cls
