"""Running the combined sandbox app under uvicorn: in the foreground (``serve``, used by the
``tether sandbox`` command) or in a background thread (``tether.sandbox.Sandbox``).

Invariants:
- We bind the listening socket ourselves, so ``port=0`` yields a known free port before uvicorn
  starts, and the URL can be printed/returned without races.
- uvicorn runs with our connection-recording protocol (``connections.protocol_class``), without
  proxy-header rewriting, lifespan or websockets, and with access logs off (requests carry
  signatures and tokens that must not end up in logs).
- With TLS, the server certificate is loaded (``Config.load``) before ``build_server`` returns,
  so its key file can be removed at once (``tether.sandbox.tls``); a TLS server's URLs say
  ``https``.
"""

from __future__ import annotations

import contextlib
import socket
from collections.abc import Callable, Iterator
from pathlib import Path
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


def url_for(sock: socket.socket, scheme: str = "http") -> str:
    """Root URL (no trailing slash) of a bound socket, for clients on this machine."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", ""):
        host = "127.0.0.1"
    elif host == "::":
        host = "::1"
    return f"{scheme}://[{host}]:{port}" if ":" in host else f"{scheme}://{host}:{port}"


def build_server(
    app: Starlette, *, log_config: Any = _UVICORN_DEFAULT, ssl_certfile: str | None = None
) -> uvicorn.Server:
    """A uvicorn server for ``app`` (made by ``tether.sandbox.app.create_app``).

    Args:
        app: the combined app.
        log_config: passed to uvicorn; ``None`` leaves the process's logging untouched.
        ssl_certfile: serve HTTPS with the key and certificate chain in this file (read
            before this returns: the file may be removed afterwards).
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
        ssl_certfile=ssl_certfile,
        **extra,
    )
    if ssl_certfile is not None:
        config.load()
    return uvicorn.Server(config)


@contextlib.contextmanager
def tls_server_file(host: str, folder: Path | None) -> Iterator[tuple[str, Path]]:
    """``(key and chain file, CA file)`` for a TLS sandbox on ``host``: the CA of ``folder``
    (default: the per-user one), made if needed; the key file is removed when the block ends."""
    from tether.sandbox import tls

    folder = tls.default_dir() if folder is None else folder
    ca = tls.load_ca(folder)
    with tls.server_cert_file(ca, folder, [host]) as certfile:
        yield certfile, folder / tls.CA_FILE


def serve(
    host: str = "127.0.0.1",
    port: int = 8765,
    out: Callable[[str], object] = print,
    *,
    tls: bool = False,
    tls_dir: Path | None = None,
) -> None:
    """Run the sandbox in the foreground until Ctrl-C.

    Args:
        host: address to listen on (loopback by default; the sandbox hands out its secrets).
        port: TCP port (0: any free port).
        out: where the base URLs and the credentials endpoint are reported.
        tls: serve HTTPS with a certificate of the sandbox's own CA (``tether.sandbox.tls``).
        tls_dir: where that CA is kept (default: the per-user folder).

    Raises:
        OSError: the address cannot be bound (port in use …).
        ConfigError: the TLS folder cannot be used.
    """
    from tether.sandbox.app import create_app

    app = create_app()
    sock = bind(host, port)
    try:
        with contextlib.ExitStack() as stack:
            ca_file = None
            certfile = None
            if tls:
                certfile, ca_file = stack.enter_context(tls_server_file(host, tls_dir))
            root = url_for(sock, "https" if tls else "http")
            server = build_server(app, ssl_certfile=certfile)
        for spec in SERVICES:
            out(f"{spec.name}: {root}{spec.mount}{spec.api_path}")
        out(f"credentials: {root}/_sandbox/credentials")
        out("Send tether clients here with:")
        out(f"  export TETHER_SANDBOX={root}")
        if ca_file is not None:
            out(f"  export TETHER_SANDBOX_CA={ca_file}")
        out("Press Ctrl-C to stop.")
        # uvicorn re-raises the SIGINT it handled once it has shut down cleanly.
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=[sock])
    finally:
        sock.close()
