"""``proxy=`` really sends every request through the given HTTP proxy (sync and async)."""

from __future__ import annotations

import http.client
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import pytest

from tests.support.serve import serving


class _Proxy(BaseHTTPRequestHandler):
    """A minimal forward proxy for plain-HTTP absolute-form requests; records what it relayed."""

    protocol_version = "HTTP/1.1"
    seen: list[str]

    def _relay(self) -> None:
        self.seen.append(f"{self.command} {self.path}")
        target = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        headers = {
            k: v
            for k, v in self.headers.items()
            if k.lower() not in ("proxy-connection", "connection")
        }
        conn = http.client.HTTPConnection(target.hostname, target.port, timeout=10)
        path = target.path + (f"?{target.query}" if target.query else "")
        conn.request(self.command, path, body=body, headers=headers)
        r = conn.getresponse()
        data = r.read()
        self.send_response(r.status)
        for k, v in r.getheaders():
            if k.lower() not in ("transfer-encoding", "connection", "content-length"):
                self.send_header(k, v)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)
        conn.close()

    do_GET = do_POST = do_PUT = do_DELETE = _relay

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def proxy() -> Iterator[tuple[str, list[str]]]:
    seen: list[str] = []
    handler = type("P", (_Proxy,), {"seen": seen})
    with serving(handler) as root:
        yield root, seen


def test_calls_go_through_the_proxy(
    make_client: Any, ovh_creds: dict[str, Any], proxy: tuple[str, list[str]]
) -> None:
    url, seen = proxy
    c = make_client(
        endpoint=ovh_creds["base_url"],
        application_key=ovh_creds["application_key"],
        application_secret=ovh_creds["application_secret"],
        consumer_key=ovh_creds["consumer_key"],
        proxy=url,
    )
    assert c.get("/me")["firstname"]
    # The signature covers the absolute URL, which the proxy forwards untouched.
    assert seen == [f"GET {ovh_creds['base_url']}/auth/time", f"GET {ovh_creds['base_url']}/me"]
