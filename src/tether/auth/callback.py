"""The loopback callback server: where the user's browser lands after approving a login.

Invariants:
- Listens on 127.0.0.1 only, on a port the OS picks; ``url`` is where to redirect.
- Takes exactly one answer: the first request whose ``match`` parameter (OAuth 1.0a's
  ``oauth_token``, OAuth 2's ``state``) equals the value ``expect()`` was given, compared in
  constant time, and which carries one of the ``require`` parameters (a verifier, a code, an
  error). Every other request — before ``expect()``, for another login, a stray tab, a
  favicon — gets a small page saying it is not the awaited answer and is ignored: the server
  keeps waiting. A request that is taken is answered only once its parameters are recorded.
- Captures every query parameter of the answer it takes, whatever its name.
- Nothing is logged (the query carries the verifier or code), and the repr shows no captured
  value. Each request runs on its own daemon thread with a short socket timeout, so a
  browser's speculative connection that never sends a request cannot block the answer.
- ``wait`` blocks (the flow runs it through ``Blocking``, so the async driver moves it to a
  worker thread); ``close`` stops the server and may be called more than once.
"""

from __future__ import annotations

import hmac
import threading
from collections.abc import Callable, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tether.core.errors import AuthError

__all__ = ["CallbackServer"]

_TAKEN = b"<html><body><h1>tether: you can close this page.</h1></body></html>"
_IGNORED = (
    b"<html><body><h1>tether: this is not the answer this login is waiting for.</h1>"
    b"<p>It was ignored. Finish the login in the page the application opened.</p>"
    b"</body></html>"
)


class CallbackServer:
    """Waits for the one browser redirect that answers the pending login.

    Args:
        match: the query parameter tying the answer to the request (``oauth_token``,
            ``state``).
        require: the answer carries at least one of these (``oauth_verifier``; ``code`` or
            ``error`` for OAuth 2).
        path: the path the answer comes to; requests for any other path are ignored.
        error: builds the exception ``wait`` raises on timeout (the service's ``AuthError``).
        what: who is expected to answer, for the timeout message.
    """

    def __init__(
        self,
        match: str = "oauth_token",
        require: Sequence[str] = ("oauth_verifier",),
        *,
        path: str = "/",
        error: Callable[[str], Exception] = AuthError,
        what: str = "the browser",
    ) -> None:
        self._match = match
        self._require = tuple(require)
        self._path = path
        self._error = error
        self._what = what
        self._expected: str | None = None
        self._got: dict[str, str] | None = None
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._closed = False
        owner = self

        class Handler(BaseHTTPRequestHandler):
            timeout = 10  # a connection that never sends a request gives up its thread

            def do_GET(self) -> None:
                taken = owner._offer(self.path)
                body = _TAKEN if taken else _IGNORED
                self.send_response(200 if taken else 400)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Cache-Control", "no-store")
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass  # the query carries the verifier or code: never log it

        server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        server.daemon_threads = True
        self._server = server
        # A short poll: close() waits for the loop to notice, and a login should end at once.
        self._thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
        self._thread.start()
        self.url = f"http://127.0.0.1:{server.server_address[1]}{path}"

    def __repr__(self) -> str:
        state = "answered" if self._done.is_set() else "waiting"
        return f"CallbackServer({self.url!r}, match={self._match!r}, {state})"

    def expect(self, value: str) -> None:
        """Await the answer whose ``match`` parameter is ``value`` (the request token, the
        state); until this is called every request is ignored."""
        with self._lock:
            self._expected = value

    def _offer(self, target: str) -> bool:
        parts = urlsplit(target)
        if parts.path != self._path:
            return False
        query = dict(parse_qsl(parts.query, keep_blank_values=True))
        with self._lock:
            expected = self._expected
            if self._got is not None or expected is None:
                return False
            value = query.get(self._match, "")
            if not hmac.compare_digest(value.encode(), expected.encode()):
                return False
            if self._require and not any(query.get(name) for name in self._require):
                return False
            self._got = query
        self._done.set()
        return True

    def wait(self, timeout: float) -> dict[str, str]:
        """The awaited answer's query parameters.

        Raises:
            error: no such answer within ``timeout`` seconds.
        """
        if not self._done.wait(timeout):
            raise self._error(
                f"no answer from {self._what} within {timeout:.0f} s; run the login again"
            )
        got = self._got
        assert got is not None
        return dict(got)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> CallbackServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
