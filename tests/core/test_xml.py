"""tether.core.xml: the hardened parser refuses every DTD however it is dressed and every tree
nested deeper than the limit, and parses ordinary answers exactly as ElementTree does."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from tether.core.errors import ProtocolError, TetherError
from tether.core.xml import MAX_DEPTH, HostileXML, MalformedXML, XMLTooDeep, fromstring

BOMB = (
    b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">'
    b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    b"<rsp>&c;</rsp>"
)
UTF16_BOMB = (
    BOMB.decode().replace('version="1.0"', 'version="1.0" encoding="utf-16"').encode("utf-16")
)
EXTERNAL = b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><rsp>&x;</rsp>'


def test_ordinary_answer_parses_like_elementtree() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok"><photos page="1">'
        '<photo id="1" title="Caf\u00e9 &amp; &#x1F431;"/><photo id="2"><![CDATA[<raw>]]></photo>'
        "<!-- a comment --></photos></rsp>"
    ).encode()
    ours, stdlib = fromstring(body), ET.fromstring(body)
    assert ET.tostring(ours) == ET.tostring(stdlib)
    assert ours.find("photos/photo").get("title") == "Caf\u00e9 & \U0001f431"
    assert ours.findall("photos/photo")[1].text == "<raw>"


@pytest.mark.parametrize(
    "body",
    [
        BOMB,
        EXTERNAL,
        b'<!DOCTYPE rsp SYSTEM "http://127.0.0.1:9/evil.dtd"><rsp/>',
        b"<!DOCTYPE rsp><rsp/>",  # even a harmless DTD: none is ever expected
        # The bomb in UTF-16, with and without a byte order mark: the bytes "<!DOCTYPE" do
        # not appear, and expat detects UTF-16 whatever it is told.
        UTF16_BOMB,
        BOMB.decode().encode("utf-16-le"),
        b"\xfe\xff" + BOMB.decode().encode("utf-16-be"),
    ],
    ids=[
        "billion-laughs",
        "external-entity",
        "external-dtd",
        "plain-doctype",
        "utf16-bom",
        "utf16le-no-bom",
        "utf16be-bom",
    ],
)
def test_any_dtd_is_refused(body: bytes) -> None:
    with pytest.raises(HostileXML, match="DTDs and entities are not allowed"):
        fromstring(body)


@pytest.mark.parametrize(
    "body",
    [
        # An ASCII-looking declaration switching to EBCDIC for the rest.
        b'<?xml version="1.0" encoding="cp500"?>' + EXTERNAL.decode().encode("cp500"),
        b"<rsp>&undeclared;</rsp>",
        b"<rsp><a></rsp>",
        b"",
        b"\xff\xfe<rsp/>",
    ],
    ids=["ebcdic-dtd", "undeclared-entity", "unclosed", "empty", "bad-utf8"],
)
def test_disguised_or_broken_documents_fail_to_parse(body: bytes) -> None:
    with pytest.raises(MalformedXML, match="not well-formed XML") as info:
        fromstring(body)
    assert isinstance(info.value, TetherError)


def test_declared_encoding_is_ignored_for_utf8_bytes() -> None:
    body = '<?xml version="1.0" encoding="iso-8859-1"?><rsp t="\u00e9"/>'.encode()
    assert fromstring(body).get("t") == "\u00e9"


def test_utf16_without_dtd_still_parses() -> None:
    body = '<?xml version="1.0" encoding="utf-16"?><rsp stat="ok" t="\u00e9"/>'.encode("utf-16")
    assert fromstring(body).get("t") == "\u00e9"


class Tagged(ET.Element):
    __slots__ = ()

    def shout(self) -> str:
        return self.tag.upper()


@pytest.mark.parametrize(
    "body",
    [b'<rsp stat="ok"><a><b/></a></rsp>', '<rsp stat="ok"><a><b/></a></rsp>'.encode("utf-16")],
    ids=["fast-path", "utf16-path"],
)
def test_element_factory_builds_every_element(body: bytes) -> None:
    root = fromstring(body, Tagged)
    assert [type(e) for e in root.iter()] == [Tagged, Tagged, Tagged]
    assert root.find("a/b").shout() == "B"  # type: ignore[union-attr]


def _deep(depth: int, name: str = "a") -> str:
    return f"<{name}>" * depth + f"</{name}>" * depth


@pytest.mark.parametrize(
    "body",
    [
        _deep(100_000).encode(),
        ("<rsp>" + _deep(600) + "</rsp>").encode(),
        ('<?xml version="1.0" encoding="utf-16"?>' + _deep(2000)).encode("utf-16"),
    ],
    ids=["very-deep", "just-too-deep", "utf16-path"],
)
def test_deep_trees_are_refused(body: bytes) -> None:
    with pytest.raises(XMLTooDeep, match=f"deeper than {MAX_DEPTH} levels") as info:
        fromstring(body)
    # Callers that map HostileXML (Flickr's parser) and ProtocolError both see it.
    assert isinstance(info.value, HostileXML) and isinstance(info.value, ProtocolError)


def test_depth_limit_is_exact() -> None:
    assert fromstring(_deep(MAX_DEPTH).encode()).tag == "a"
    with pytest.raises(XMLTooDeep):
        fromstring(_deep(MAX_DEPTH + 1).encode())
    # Self-closing leaves, comments and attributes with "<"-free text count as they are.
    wide = "<rsp>" + '<photo id="1" title="x &lt; y"/><!-- c -->' * 3000 + "</rsp>"
    assert len(fromstring(wide.encode())) == 3000
