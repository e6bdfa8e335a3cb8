"""Flickr's pure pieces: value encoding, XML/JSON parsing (hostile input included), XMLNode,
and lazy sliceable walks, driven without a socket."""

from __future__ import annotations

from typing import Any

import pytest

from tether.core.flow import Flow, Send
from tether.core.messages import Request, Response
from tether.runtime import SyncRuntime, Walk
from tether.services.flickr.api import encode_value
from tether.services.flickr.errors import (
    FlickrAuthError,
    FlickrError,
    FlickrNotFound,
    FlickrProtocolError,
)
from tether.services.flickr.parse import error_code, parse_etree, parse_json, parse_xmlnode

SETS = b"""<?xml version="1.0" encoding="utf-8" ?>
<rsp stat='ok'>
    <photosets cancreate="1">
        <photoset id="5" primary="2483" secret="abcdef" server="8" photos="4">
            <title>Test</title>
            <description>foo</description>
        </photoset>
        <photoset id="4" primary="1234" secret="832659" server="3" photos="12">
            <title>My Set</title>
            <description>bar</description>
        </photoset>
    </photosets>
</rsp>"""


def test_seed_etree_example() -> None:
    sets = parse_etree(SETS, "flickr.photosets.getList")
    assert sets.attrib["stat"] == "ok"
    assert sets.find("photosets").attrib["cancreate"] == "1"
    set0 = sets.find("photosets").findall("photoset")[0]
    assert (set0.attrib["id"], set0.attrib["secret"], set0.find("title").text) == (
        "5",
        "abcdef",
        "Test",
    )


def test_seed_xmlnode_example() -> None:
    sets = parse_xmlnode(SETS, "flickr.photosets.getList")
    assert sets["stat"] == "ok"
    assert sets.photosets[0]["cancreate"] == "1"
    set0, set1 = sets.photosets[0].photoset
    assert set0["id"] == "5" and set0.title[0].text == "Test" and set0.description[0].text == "foo"
    assert set1["photos"] == "12" and set1.title[0].text == "My Set"
    assert sets.name == "rsp" and "photosets" in sets.xml


def test_xmlnode_keeps_repeated_children_even_named_name() -> None:
    node = parse_xmlnode(b'<rsp stat="ok"><p><name>a</name><name>b</name></p></rsp>', "m")
    assert [n.text for n in node.p[0].children("name")] == ["a", "b"]
    assert node.p[0].name == "p"


@pytest.mark.parametrize(
    ("body", "cls", "code"),
    [
        (b'<rsp stat="fail"><err code="96" msg="Invalid signature"/></rsp>', FlickrAuthError, 96),
        (
            b'<rsp stat="fail"><err code="112" msg="Method &quot;x&quot; not found"/></rsp>',
            FlickrNotFound,
            112,
        ),
        (b'<rsp stat="fail">\n\t<err code="1" msg="Photo not found" />\n</rsp>\n', FlickrError, 1),
    ],
)
def test_failures_raise_with_code(body: bytes, cls: type, code: int) -> None:
    with pytest.raises(cls) as e:
        parse_etree(body, "flickr.x")
    assert e.value.code == code
    assert str(e.value).startswith(f"Error: {code}: ")


@pytest.mark.parametrize(
    "body",
    [
        # billion laughs
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><rsp stat="ok">&c;</rsp>',
        # external entity reading a local file
        b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rsp stat="ok">&x;</rsp>',
        b'<rsp stat="ok"><unclosed></rsp>',
        b"",
        b"<html><body>502 Bad Gateway</body></html>",
        b'<rsp stat="fail"></rsp>',
    ],
    ids=["entity-bomb", "external-entity", "malformed", "empty", "html", "fail-without-err"],
)
def test_hostile_or_broken_xml_is_a_protocol_error(body: bytes) -> None:
    with pytest.raises(FlickrProtocolError):
        parse_etree(body, "flickr.x")


def test_json_wrappers_and_errors() -> None:
    assert parse_json(b'jsonFlickrApi({"stat":"ok","a":{"_content":"b"}})', "m")["a"] == {
        "_content": "b"
    }
    assert parse_json(b'jsonFlickrApi({"stat":"ok"});', "m")["stat"] == "ok"
    assert parse_json(b'cb({"stat":"ok"})', "m")["stat"] == "ok"
    with pytest.raises(FlickrAuthError) as e:
        parse_json(b'{"stat":"fail","code":98,"message":"Invalid auth token"}', "m")
    assert e.value.code == 98
    with pytest.raises(FlickrProtocolError):
        parse_json(b"jsonFlickrApi({broken", "m")
    assert error_code(b'{"stat":"fail","code":"105","message":"x"}') == 105


@pytest.mark.parametrize(
    ("name", "value", "wire"),
    [
        ("is_public", True, "1"),
        ("is_public", False, "0"),
        ("photo_ids", [1, 2, 3], "1,2,3"),
        ("extras", ("date_upload", "owner_name"), "date_upload,owner_name"),
        ("tags", ["Amsterdam", "central station"], 'Amsterdam "central station"'),
        ("tags", 'Amsterdam "central station"', 'Amsterdam "central station"'),
        ("per_page", 15, "15"),
        ("title", "Around \u20ac30,-", "Around \u20ac30,-"),
        ("title", "Zo\u00eb".encode(), "Zo\u00eb"),
    ],
)
def test_value_encoding(name: str, value: Any, wire: str) -> None:
    assert encode_value(name, value) == wire


class CountingTransport:
    def __init__(self, per_page: int, total: int) -> None:
        self.calls: list[int] = []
        self.per_page, self.total = per_page, total

    def send(self, request: Request) -> Response:
        page = int(request.url.rsplit("=", 1)[1])
        self.calls.append(page)
        return Response(200, body=str(page).encode())

    def close(self) -> None:
        pass


def _fetcher(per_page: int, total: int):
    pages = -(-total // per_page)

    def fetch(page: int) -> Flow[tuple[list[int], int]]:
        yield Send(Request("GET", f"http://x/?page={page}"))
        # Like Flickr, a page past the end still answers items: the walk must stop on pages.
        first = (min(page, pages) - 1) * per_page
        return list(range(first, min(first + per_page, total))), pages

    return fetch


def test_walk_slice_fetches_only_needed_pages() -> None:
    t = CountingTransport(15, 100)
    walk = Walk(SyncRuntime(t), _fetcher(15, 100))
    assert list(walk[:25]) == list(range(25))
    assert t.calls == [1, 2]  # the seed's promise: two calls for [:25] at 15 per page
    t.calls.clear()
    assert list(walk[5:21]) == list(range(5, 21))
    assert t.calls == [1, 2]


def test_walk_stops_on_page_count_not_on_empty_page() -> None:
    t = CountingTransport(10, 35)
    assert list(Walk(SyncRuntime(t), _fetcher(10, 35))) == list(range(35))
    assert t.calls == [1, 2, 3, 4]


async def test_async_walk_with_prefetch_keeps_order() -> None:
    import asyncio

    from tether.runtime import AsyncRuntime

    class AT:
        def __init__(self) -> None:
            self.inflight = self.peak = 0

        async def send(self, request: Request) -> Response:
            self.inflight += 1
            self.peak = max(self.peak, self.inflight)
            await asyncio.sleep(0.005 * (7 - int(request.url.rsplit("=", 1)[1]) % 7))
            self.inflight -= 1
            return Response(200)

        async def aclose(self) -> None:
            pass

    t = AT()
    walk = Walk(AsyncRuntime(t), _fetcher(10, 95), prefetch=4)
    assert [x async for x in walk] == list(range(95))
    assert t.peak == 4
    assert [x async for x in walk[:12]] == list(range(12))
