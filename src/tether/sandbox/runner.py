"""``Sandbox``: the combined emulator app served by uvicorn on a background thread.

Invariants:
- Importing this module imports only the standard library and ``tether.core.errors``;
  Starlette and uvicorn load in ``start()``.
- Every control method goes through the HTTP control API (``/_sandbox/...``) rather than
  touching the app's objects: the state is only ever mutated on the server's loop thread.
- Nothing here knows a service's own control routes: helpers such as ``approve_flickr`` are
  thin calls into ``services/<name>/sandbox/remote.py``, imported when first called.
- ``stop()`` returns only once the server thread has finished (or raises if it would not),
  and closes the listening socket; a stopped Sandbox can be started again (on a new port if
  it was created with ``port=0``).
- ``tls=True`` serves HTTPS with a certificate of a throwaway CA kept in ``tls_dir`` (default:
  a private temporary folder, removed by ``stop()``); ``ca_path`` names the CA file clients
  must trust, and control requests trust exactly that CA.
"""

from __future__ import annotations

import http.client
import json
import shutil
import ssl
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from tether.core.errors import TetherError
from tether.sandbox.registry import spec_for

if TYPE_CHECKING:
    import socket

    import uvicorn

_START_TIMEOUT = 10.0
_STOP_TIMEOUT = 5.0


class SandboxError(TetherError):
    """The sandbox could not start, stop, or answer a control request."""


class Sandbox:
    """Every service emulator on one local port.

    Args:
        host: address to listen on (loopback by default).
        port: TCP port; 0 (default) picks a free one.
        tls: serve HTTPS (``url`` is ``https://…``; trust ``ca_path``).
        tls_dir: folder of the CA for ``tls`` (default: a temporary one, removed on stop).

    Use as a context manager, or call ``start()`` / ``stop()``::

        with Sandbox() as sandbox:
            creds = sandbox.credentials()["ovh"]
            ...
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        tls: bool = False,
        tls_dir: str | Path | None = None,
    ) -> None:
        self.host = host
        self.port = port
        self.tls = tls
        self._tls_dir = None if tls_dir is None else Path(tls_dir)
        self._own_tls_dir: Path | None = None
        self._ca_path: Path | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._sock: socket.socket | None = None
        self._url: str | None = None

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> Sandbox:
        """Start serving (no-op if already running).

        Raises:
            SandboxError: the ``sandbox`` extra is missing or the server did not come up.
            OSError: the address cannot be bound.
        """
        if self._thread is not None:
            return self
        try:
            from tether.sandbox.app import create_app
            from tether.sandbox.server import bind, url_for
        except ImportError as err:  # pragma: no cover - depends on the installed extras
            raise SandboxError(
                f"the sandbox needs Starlette and uvicorn ({err}); "
                "install them with: pip install 'tether[sandbox]'"
            ) from err
        sock = bind(self.host, self.port)
        try:
            server, ca_path = self._build(create_app())
        except BaseException:
            sock.close()
            self._drop_tls_dir()
            raise
        thread = threading.Thread(
            target=server.run,
            kwargs={"sockets": [sock]},
            name=f"tether-sandbox-{sock.getsockname()[1]}",
            daemon=True,
        )
        thread.start()
        deadline = time.monotonic() + _START_TIMEOUT
        while not server.started:
            if not thread.is_alive() or time.monotonic() > deadline:
                server.should_exit = True
                thread.join(_STOP_TIMEOUT)
                sock.close()
                self._drop_tls_dir()
                raise SandboxError("the sandbox server did not start")
            time.sleep(0.002)
        self._server, self._thread, self._sock = server, thread, sock
        self._ca_path = ca_path
        self._url = url_for(sock, "https" if self.tls else "http")
        self._remember()
        return self

    def _remember(self) -> None:
        # Clients of this process learn the credentials without a request (an AsyncClient
        # built inside a running loop must not block it on one): what /_sandbox/credentials
        # would answer at this root, from the same per-service functions.
        from tether.sandbox.client import remember
        from tether.sandbox.registry import SERVICES, load

        url = self.url
        creds = {spec.name: load(spec).credentials(url) for spec in SERVICES}
        remember(url, str(self._ca_path) if self._ca_path else None, creds)

    def _build(self, app: Any) -> tuple[uvicorn.Server, Path | None]:
        from tether.sandbox.server import build_server, tls_server_file

        # log_config=None: a library must not reconfigure its host's logging.
        if not self.tls:
            return build_server(app, log_config=None), None
        folder = self._tls_dir
        if folder is None:
            folder = self._own_tls_dir = Path(tempfile.mkdtemp(prefix="tether-sandbox-tls-"))
        with tls_server_file(self.host, folder) as (certfile, ca_path):
            return build_server(app, log_config=None, ssl_certfile=certfile), ca_path

    def _drop_tls_dir(self) -> None:
        if self._own_tls_dir is not None:
            shutil.rmtree(self._own_tls_dir, ignore_errors=True)
            self._own_tls_dir = None

    def stop(self) -> None:
        """Stop the server and wait for its thread (no-op if not running).

        Raises:
            SandboxError: the server thread did not finish in time.
        """
        server, thread, sock = self._server, self._thread, self._sock
        if server is None or thread is None:
            return
        server.should_exit = True
        thread.join(_STOP_TIMEOUT)
        if thread.is_alive():  # pragma: no cover - a handler stuck beyond the grace period
            server.force_exit = True
            thread.join(_STOP_TIMEOUT)
        if sock is not None:
            sock.close()
        if self._url is not None:
            from tether.sandbox.client import forget

            forget(self._url)
        self._server = self._thread = self._sock = None
        self._url = None
        self._ca_path = None
        self._drop_tls_dir()
        if thread.is_alive():  # pragma: no cover
            raise SandboxError("the sandbox server thread did not stop")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"Sandbox(url={self._url!r})" if self._url else "Sandbox(stopped)"

    # -- addresses ------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:41234`` (no trailing slash).

        Raises:
            SandboxError: the sandbox is not running.
        """
        if self._url is None:
            raise SandboxError("the sandbox is not running; call start() first")
        return self._url

    def base_url(self, service: str) -> str:
        """API base URL of ``service`` (``"ovh"`` -> ``<root>/ovh/1.0``).

        Raises:
            SandboxError: not running, or no emulator for ``service``.
        """
        try:
            spec = spec_for(service)
        except KeyError as err:
            raise SandboxError(str(err.args[0])) from None
        return f"{self.url}{spec.mount}{spec.api_path}"

    @property
    def ca_path(self) -> str:
        """The CA file a client must trust to reach a ``tls=True`` sandbox (its value for
        ``TETHER_SANDBOX_CA`` or a transport's ``ca_certs``).

        Raises:
            SandboxError: not running, or not serving TLS.
        """
        if self._url is None:
            raise SandboxError("the sandbox is not running; call start() first")
        if self._ca_path is None:
            raise SandboxError("this sandbox serves plain HTTP: create it with Sandbox(tls=True)")
        return str(self._ca_path)

    # -- control API ----------------------------------------------------------------------

    def control(self, method: str, path: str, body: Any = None) -> Any:
        """Call a control route (``path`` under the root, e.g. ``/_sandbox/reset``).

        Raises:
            SandboxError: not running, unreachable, or a non-2xx answer.
        """
        root = self.url
        hostport = root.split("://", 1)[1]
        conn: http.client.HTTPConnection
        if self._ca_path is not None:
            context = ssl.create_default_context(cafile=str(self._ca_path))
            conn = http.client.HTTPSConnection(hostport, timeout=10, context=context)
        else:
            conn = http.client.HTTPConnection(hostport, timeout=10)
        payload = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if payload is not None else {}
        try:
            conn.request(method, path, body=payload, headers=headers)
            response = conn.getresponse()
            raw = response.read()
        except OSError as err:
            raise SandboxError(f"sandbox control {method} {path} failed: {err}") from err
        finally:
            conn.close()
        try:
            data = json.loads(raw) if raw else None
        except ValueError:
            data = None
        if not 200 <= response.status < 300:
            detail = data.get("error") if isinstance(data, dict) else raw[:200].decode("replace")
            raise SandboxError(f"sandbox control {method} {path}: {response.status} {detail}")
        return data

    def credentials(self) -> dict[str, Any]:
        """Every service's credentials block (``GET /_sandbox/credentials``)."""
        result: dict[str, Any] = self.control("GET", "/_sandbox/credentials")
        return result

    def reset(self) -> None:
        """Seeded state for every service; faults, clock skews and tunables cleared."""
        self.control("POST", "/_sandbox/reset")

    def set_faults(self, **spec: Any) -> dict[str, Any]:
        """Add one fault spec (see ``tether.sandbox.faults``); returns it with its ``id``.

        Several calls stack several specs; ``clear_faults()`` removes them all.
        """
        result = self.control("POST", "/_sandbox/faults", spec)
        added: dict[str, Any] = result["added"][0]
        return added

    def faults(self) -> list[dict[str, Any]]:
        """The active fault specs, with how often each was applied."""
        result: list[dict[str, Any]] = self.control("GET", "/_sandbox/faults")["faults"]
        return result

    def clear_faults(self) -> None:
        self.control("DELETE", "/_sandbox/faults")

    def validate_consumer_key(
        self, consumer_key: str, *, deny: bool = False, expires_in: float | None = None
    ) -> dict[str, Any]:
        """Approve (or refuse) a pending OVH consumer key as the user would on the web page
        (``tether.services.ovh.sandbox.remote.validate_consumer_key``).

        Args:
            consumer_key: the ``consumerKey`` returned by ``POST /auth/credential``.
            deny: refuse instead of approving.
            expires_in: validity in seconds (default: unlimited).

        Returns:
            The credential (``api.Credential`` shape).
        """
        from tether.services.ovh.sandbox import remote

        return remote.validate_consumer_key(
            self.control, consumer_key, deny=deny, expires_in=expires_in
        )

    def approve_flickr(
        self,
        *,
        frob: str | None = None,
        oauth_token: str | None = None,
        perms: str | None = None,
        deny: bool = False,
    ) -> dict[str, Any]:
        """Approve (or refuse) a pending Flickr frob or OAuth request token, as the user would
        on Flickr's page (``tether.services.flickr.sandbox.remote.approve``).

        Args:
            frob: a frob from ``flickr.auth.getFrob`` (legacy flow), or
            oauth_token: a request token from ``/services/oauth/request_token``.
            perms: read, write or delete (default: what the page asked for, else delete).
            deny: refuse instead of approving.

        Returns:
            The control answer; for a request token it holds ``oauth_verifier``.

        Raises:
            UsageError: not exactly one of ``frob`` and ``oauth_token``.
            SandboxError: unknown, expired or already decided.
        """
        from tether.services.flickr.sandbox import remote

        return remote.approve(
            self.control, frob=frob, oauth_token=oauth_token, perms=perms, deny=deny
        )

    def set_time_skew(self, seconds: float, service: str = "ovh") -> None:
        """Make the service's server clock run ``seconds`` ahead of real time (negative: behind)."""
        self.control("POST", f"/_sandbox/{service}/time", {"skew": seconds})

    def set_oauth2(self, *, expires_in: int, service: str = "ovh") -> None:
        """Lifetime announced (``expires_in``) for OAuth2 tokens granted from now on."""
        self.control("POST", f"/_sandbox/{service}/oauth2", {"expires_in": expires_in})

    def stats(self, service: str = "ovh") -> dict[str, Any]:
        """Request counters of a service (per path, per call, OAuth2 grants …)."""
        result: dict[str, Any] = self.control("GET", f"/_sandbox/{service}/stats")
        return result
