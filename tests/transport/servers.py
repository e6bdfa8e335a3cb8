"""Small raw-socket HTTP/1.1 servers on 127.0.0.1 that misbehave on purpose.

Each connection runs ``handler(conn, server)`` in its own daemon thread; ``server.requests``
records every request read whole (head and body), ``server.connections`` counts accepts. The
server stops (listening socket closed, live connections shut down) when its context exits.
"""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from collections.abc import Callable
from types import TracebackType

Handler = Callable[["Conn", "RawServer"], None]


class Conn:
    """A server-side connection with a read buffer."""

    def __init__(self, sock: socket.socket) -> None:
        self.sock = sock
        self.buf = bytearray()

    def _fill(self) -> bool:
        data = self.sock.recv(65536)
        if not data:
            return False
        self.buf += data
        return True

    def read_until(self, mark: bytes) -> bytes | None:
        while (i := self.buf.find(mark)) < 0:
            if not self._fill():
                return None
        out = bytes(self.buf[: i + len(mark)])
        del self.buf[: i + len(mark)]
        return out

    def read_exact(self, n: int) -> bytes | None:
        while len(self.buf) < n:
            if not self._fill():
                return None
        out = bytes(self.buf[:n])
        del self.buf[:n]
        return out

    def read_request(self) -> bytes | None:
        """One whole request (head + decoded body), or None if the client closed first."""
        head = self.read_until(b"\r\n\r\n")
        if head is None:
            return None
        low = head.lower()
        body = b""
        if b"transfer-encoding: chunked" in low:
            while True:
                size_line = self.read_until(b"\r\n")
                if size_line is None:
                    return None
                size = int(size_line.strip(), 16)
                chunk = self.read_exact(size + 2)
                if chunk is None:
                    return None
                if size == 0:
                    break
                body += chunk[:-2]
        elif b"content-length:" in low:
            i = low.index(b"content-length:")
            n = int(low[i + 15 : low.index(b"\r\n", i)])
            got = self.read_exact(n)
            if got is None:
                return None
            body = got
        return head + body

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def reset(self) -> None:
        """Close with a RST (SO_LINGER 0), as a server dropping a connection hard does."""
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.sock.close()


def answer(body: bytes, *, extra: bytes = b"") -> bytes:
    return (
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
        + extra
        + b"Content-Length: %d\r\n\r\n" % len(body)
        + body
    )


class RawServer:
    def __init__(self, handler: Handler, *, tls: ssl.SSLContext | None = None) -> None:
        self.handler = handler
        self.tls = tls
        self.requests: list[bytes] = []
        self.connections = 0
        self._lock = threading.Lock()
        self._live: list[socket.socket] = []
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        scheme = "https" if tls else "http"
        self.url = f"{scheme}://127.0.0.1:{self.port}"
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def record(self, request: bytes) -> int:
        with self._lock:
            self.requests.append(request)
            return len(self.requests)

    def _accept(self) -> None:
        while True:
            try:
                sock, _ = self._listener.accept()
            except OSError:
                return
            with self._lock:
                self.connections += 1
                self._live.append(sock)
            threading.Thread(target=self._serve, args=(sock,), daemon=True).start()

    def _serve(self, sock: socket.socket) -> None:
        try:
            if self.tls is not None:
                sock = self.tls.wrap_socket(sock, server_side=True)
            self.handler(Conn(sock), self)
        except (OSError, ValueError):
            pass  # the client went away or the test stopped us: nothing to report
        finally:
            sock.close()

    def __enter__(self) -> RawServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        with contextlib.suppress(OSError):
            self._listener.shutdown(socket.SHUT_RDWR)  # wakes the blocked accept()
        self._listener.close()
        with self._lock:
            live = list(self._live)
        for s in live:
            with contextlib.suppress(OSError):
                s.shutdown(socket.SHUT_RDWR)
        self._thread.join(5)


# -- handlers ---------------------------------------------------------------------------------


def keepalive(idle_close: float | None = 0.5, *, rst: bool = False) -> Handler:
    """Answers every request, keeps the connection, closes it after ``idle_close`` s idle
    (uvicorn closes after 5 s): with a RST if ``rst``."""

    def handle(c: Conn, server: RawServer) -> None:
        c.sock.settimeout(idle_close)
        while True:
            try:
                req = c.read_request()
            except TimeoutError:
                if rst:
                    c.reset()
                return
            if req is None:
                return
            n = server.record(req)
            c.send(answer(b'{"n": %d}' % n))

    return handle


def read_then_close() -> Handler:
    """Answers the first request of a connection; reads the next whole, then closes without
    answering (a server that died after reading: the ambiguous case)."""

    def handle(c: Conn, server: RawServer) -> None:
        req = c.read_request()
        if req is None:
            return
        n = server.record(req)
        c.send(answer(b'{"n": %d}' % n))
        req = c.read_request()
        if req is not None:
            server.record(req)

    return handle


def reply(raw: bytes | Callable[[Conn], None]) -> Handler:
    """Reads one request and sends ``raw`` (bytes, or a function writing to the connection)."""

    def handle(c: Conn, server: RawServer) -> None:
        req = c.read_request()
        if req is None:
            return
        server.record(req)
        if callable(raw):
            raw(c)
        else:
            c.send(raw)

    return handle


def trickle(
    head: bytes, drip: bytes, every: float = 0.2, count: int = 40
) -> Callable[[Conn], None]:
    """Sends ``head``, then ``drip`` one byte every ``every`` s, ``count`` times, then closes:
    bounded, so a client without a deadline ends (late, with the wrong error) instead of
    hanging the suite."""

    def write(c: Conn) -> None:
        c.send(head)
        for i in range(count):
            time.sleep(every)
            c.send(drip[i % len(drip) : i % len(drip) + 1])

    return write


def stream(head: bytes, total: int, *, chunked: bool) -> Callable[[Conn], None]:
    """Sends ``head`` then ``total`` bytes of zeros (``-1``: endless), chunked or raw."""
    block = b"\0" * (1 << 20)

    def write(c: Conn) -> None:
        c.send(head)
        sent = 0
        while total < 0 or sent < total:
            piece = block if total < 0 else block[: min(len(block), total - sent)]
            if chunked:
                c.send(b"%x\r\n" % len(piece) + piece + b"\r\n")
            else:
                c.send(piece)
            sent += len(piece)
        if chunked:
            c.send(b"0\r\n\r\n")

    return write
