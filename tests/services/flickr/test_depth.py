"""An answer nested too deep is a FlickrProtocolError (a TetherError) in every parsed format,
sync and async — never a RecursionError, and never a tree too deep to walk."""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

import tether
from tests.support.serve import serving
from tether import flickr as flickrapi

DEPTH = 100_000
DEEP_JSON = b'{"stat":"ok","photos":' + b"[" * DEPTH + b"]" * DEPTH + b"}"
DEEP_XML = b'<rsp stat="ok">' + b"<a>" * DEPTH + b"</a>" * DEPTH + b"</rsp>"


class _Deep(BaseHTTPRequestHandler):
    """A REST endpoint answering deep JSON to format=json, deep XML otherwise."""

    def _answer(self) -> None:
        body = DEEP_JSON if "format=json" in self._request_text() else DEEP_XML
        self.send_response(200)
        self.send_header("Content-Type", "text/xml" if body is DEEP_XML else "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _request_text(self) -> str:
        length = int(self.headers.get("Content-Length") or 0)
        return self.path + (self.rfile.read(length).decode() if length else "")

    do_GET = do_POST = _answer

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def deep_rest_url() -> Iterator[str]:
    with serving(_Deep) as root:
        yield f"{root}/services/rest/"


@pytest.mark.parametrize("fmt", ["etree", "xmlnode", "parsed-json"])
def test_deep_answer_is_a_protocol_error(make_flickr: Any, deep_rest_url: str, fmt: str) -> None:
    f = make_flickr(
        "key", "secret", store_token=False, rest_url=deep_rest_url, format=fmt, retry=False
    )
    with pytest.raises(flickrapi.FlickrError) as e:
        f.photos_search(tags="cat")
    assert isinstance(e.value, tether.ProtocolError)
    assert "flickr.photos.search" in str(e.value)
    assert "deeper than 512" in str(e.value)
