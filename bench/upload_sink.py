"""A minimal HTTP upload sink for the client-bound upload benchmark (``flickr_bench.py``).

It reads a request's headers, discards exactly ``Content-Length`` body bytes into one reused
buffer (no parsing, no hashing), and answers a fixed Flickr upload success. On loopback the
sandbox, which parses and hashes every byte in Python, is slower than either client; this
sink is not, so the clients' own throughput shows. One connection at a time, by design.

Usage: ``python bench/upload_sink.py PORT`` (listens on 127.0.0.1 until killed).
"""

from __future__ import annotations

import socket
import sys

ANSWER = b'<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok">\n<photoid>1</photoid>\n</rsp>\n'
RESPONSE = (
    b"HTTP/1.1 200 OK\r\nContent-Type: text/xml; charset=utf-8\r\n"
    b"Content-Length: %d\r\nConnection: close\r\n\r\n" % len(ANSWER) + ANSWER
)


def serve_one(conn: socket.socket, buf: bytearray) -> None:
    head = b""
    while b"\r\n\r\n" not in head:
        chunk = conn.recv(65536)
        if not chunk:
            return
        head += chunk
    header, _, rest = head.partition(b"\r\n\r\n")
    length = 0
    for line in header.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    left = length - len(rest)
    view = memoryview(buf)
    while left > 0:
        n = conn.recv_into(view, min(left, len(buf)))
        if n == 0:
            return
        left -= n
    conn.sendall(RESPONSE)


def main() -> None:
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", int(sys.argv[1])))
    srv.listen(8)
    buf = bytearray(1 << 20)
    while True:
        conn, _ = srv.accept()
        with conn:
            serve_one(conn, buf)


if __name__ == "__main__":
    main()
