"""Running the combined sandbox app under uvicorn: in the foreground (``serve``, used by the
``tether sandbox`` command) or in a background thread (``tether.sandbox.Sandbox``).

Invariants:
- We bind the listening socket ourselves, so ``port=0`` yields a known free port before uvicorn
  starts, and the URL can be printed/returned without races.
- uvicorn runs with our connection-recording protocol (``connections.protocol_class``), without
  proxy-header rewriting, lifespan or websockets, and with access logs off (requests carry
  signatures and tokens that must not end up in logs).
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from tether.sandbox.registry import SERVICES

if TYPE_CHECKING:
    import uvicorn
    from starlette.applications import Starlette


_UVICORN_DEFAULT: Any = object()


def bind(host: str, port: int) -> socket.socket:
    """A listening TCP socket on ``host:port`` (``port=0``: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto must be IPPROTO_TCP explicitly: asyncio only sets TCP_NODELAY on accepted sockets
    # whose proto says TCP, and without it Nagle + delayed ACKs cost ~40 ms per response.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(128)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def url_for(sock: socket.socket) -> str:
    """Root URL (no trailing slash) of a bound socket, for clients on this machine."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"http://[{host}]:{port}" if ":" in host else f"http://{host}:{port}"


def build_server(app: Starlette, *, log_config: Any = _UVICORN_DEFAULT) -> uvicorn.Server:
    """A uvicorn server for ``app`` (made by ``tether.sandbox.app.create_app``).

    Args:
        app: the combined app.
        log_config: passed to uvicorn; ``None`` leaves the process's logging untouched.
    """
    import uvicorn

    extra: dict[str, Any] = {} if log_config is _UVICORN_DEFAULT else {"log_config": log_config}

    from tether.sandbox.connections import protocol_class

    config = uvicorn.Config(
        app,
        http=protocol_class(app.state.connections),
        ws="none",
        lifespan="off",
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        timeout_graceful_shutdown=1,
        **extra,
    )
    return uvicorn.Server(config)


def serve(host: str = "127.0.0.1", port: int = 8765, out: Callable[[str], object] = print) -> None:
    """Run the sandbox in the foreground until Ctrl-C.

    Args:
        host: address to listen on (loopback by default; the sandbox hands out its secrets).
        port: TCP port (0: any free port).
        out: where the base URLs and the credentials endpoint are reported.

    Raises:
        OSError: the address cannot be bound (port in use …).
    """
    from tether.sandbox.app import create_app

    app = create_app()
    sock = bind(host, port)
    try:
        root = url_for(sock)
        server = build_server(app)
        for spec in SERVICES:
            out(f"{spec.name}: {root}{spec.mount}{spec.api_path}")
        out(f"credentials: {root}/_sandbox/credentials")
        out("Press Ctrl-C to stop.")
        # uvicorn re-raises the SIGINT it handled once it has shut down cleanly.
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        sock.close()
