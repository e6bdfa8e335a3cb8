"""The seed's ElementTree table (``set0.title[0].text``) on ``etree`` answers, without
changing what a standard ``Element`` does."""

from __future__ import annotations

from typing import Any

import pytest

from tether.services.flickr import parse as P

SETS = (
    b'<rsp stat="ok"><photosets cancreate="1">'
    b'<photoset id="5" primary="2483" secret="abcdef" server="8" photos="4">'
    b"<title>Test</title><description>foo</description></photoset>"
    b'<photoset id="4" primary="1234" secret="832659" server="3" photos="12">'
    b"<title>My Set</title><description>bar</description></photoset>"
    b"</photosets></rsp>"
)


def test_the_seed_table_navigates_children_by_tag() -> None:
    sets = P.parse_etree(SETS, "flickr.photosets.getList")
    set0 = sets.find("photosets").findall("photoset")[0]
    assert set0.attrib["id"] == "5"
    assert set0.title[0].text == "Test"
    assert set0.description[0].text == "foo"
    assert set0.find("title").text == "Test"
    assert [s.title[0].text for s in sets.photosets[0].photoset] == ["Test", "My Set"]


def test_element_names_keep_their_meaning_and_unknown_names_raise() -> None:
    root = P.parse_etree(b'<rsp stat="ok"><text>child</text><tag/></rsp>', "m")
    assert root.tag == "rsp" and root.text is None  # Element's own, not the children
    assert root.find("text").text == "child"
    with pytest.raises(AttributeError, match="nope"):
        root.nope  # noqa: B018
    assert not hasattr(root, "nope") and not hasattr(root, "_private")


def test_the_seed_table_against_the_sandbox(authed: Any, fcreds: dict[str, Any]) -> None:
    sets = authed.photosets_getList(user_id=fcreds["user"]["nsid"])
    set0 = sets.find("photosets").findall("photoset")[0]
    assert set0.title[0].text == set0.find("title").text
    assert set0.description[0].text == set0.find("description").text
