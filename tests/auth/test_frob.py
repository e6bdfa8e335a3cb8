"""Frob flows: the api_sig recipe as data (Flickr's and Ipernity's known answers), and the
login steps driven by hand."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.flowdriver import Driver
from tether.auth.flickr import legacy_signature
from tether.auth.frob import (
    FLICKR,
    FLICKR_RECIPE,
    IPERNITY,
    IPERNITY_RECIPE,
    check_token,
    confirm_login,
    get_frob,
    get_token,
)
from tether.core.errors import ProtocolError
from tether.core.flow import Flow, Prompt

KEY, SECRET = "0123456789abcdef0123456789abcdef", "fedcba9876543210"
FROB = "72157600000000000-abcdef0123456789-123456"

# ipernity.md §5.1: the official worked example (verified) and the authorisation link.
IP_KEY, IP_SECRET = "6fa87ba500002712bd4eed6020f3bd72", "e9a599f0cf6ce193"


def test_flickr_recipe_known_answers() -> None:
    # flickr.md §13 F1, F2 (the desktop auth URL) and F6 (an upload: photo not signed).
    assert (
        FLICKR_RECIPE.signature(
            "000005fab4534d05",
            {"api_key": "9a0554259914a86fb9e7eb014e4e5d52", "method": "flickr.auth.getFrob"},
        )
        == "8ad70cd3888ce493c8dde4931f7d6bd0"
    )
    url = FLICKR.authorize_url(
        "http://api.flickr.com/services/auth/", KEY, SECRET, {"perms": "write", "frob": FROB}
    )
    assert url == (
        "http://api.flickr.com/services/auth/?api_key=0123456789abcdef0123456789abcdef"
        "&api_sig=118ec72624a3081f43a2735f9233fd45&frob=72157600000000000-abcdef0123456789"
        "-123456&perms=write"
    )
    upload = {
        "api_key": KEY,
        "auth_token": "72157600000000001-0123456789abcdef",
        "is_public": "0",
        "tags": 'Amsterdam "central station"',
        "title": "Test",
        "photo": "<file bytes>",
    }
    assert FLICKR_RECIPE.signature(SECRET, upload, upload=True) == (
        "a6f6dbbe0450cc469a5fe7ea3557759e"
    )
    assert FLICKR_RECIPE.signature(SECRET, upload) != "a6f6dbbe0450cc469a5fe7ea3557759e"


def test_ipernity_recipe_known_answers() -> None:
    params = {"api_key": IP_KEY, "doc_id": "1234", "keywords": "easy"}
    assert IPERNITY_RECIPE.text(IP_SECRET, params, method="doc.tags.add") == (
        "api_key6fa87ba500002712bd4eed6020f3bd72doc_id1234keywordseasydoc.tags.adde9a599f0cf6ce193"
    )
    assert IPERNITY_RECIPE.signature(IP_SECRET, params, method="doc.tags.add") == (
        "a269b218feb341ef03bc093a0f2c8078"
    )
    # The authorisation link is signed without a method name.
    link = {"api_key": IP_KEY, "perm_network": "read"}
    assert IPERNITY_RECIPE.signature(IP_SECRET, link) == "da183021cd39461108770b822fcd9398"
    url = IPERNITY.authorize_url(
        "https://www.ipernity.com/apps/authorize", IP_KEY, IP_SECRET, {"perm_network": "read"}
    )
    assert dict(parse_qsl(urlsplit(url).query))["api_sig"] == "da183021cd39461108770b822fcd9398"


def test_the_two_orders_of_ipernity_s_own_pages() -> None:
    """ipernity.md §5.2: a page example made secret first (Flickr's order) and its canonical
    value: the recipes tell them apart, as the data says."""
    p = {"api_key": KEY, "perm_doc": "write"}
    assert FLICKR_RECIPE.signature("0a2b3c4d5e6a7b8d", p) == "d1ec59737e69c31f7a65ac3cf73c61d0"
    assert IPERNITY_RECIPE.signature("0a2b3c4d5e6a7b8d", p) == "ae2fb75b3753d1e2376d24b33247019c"
    frob = {"api_key": KEY, "frob": "123456789-0ad5e2a80ad5e2a8"}
    assert IPERNITY_RECIPE.signature("0a2b3c4d5e6a7b8d", frob, method="auth.getToken") == (
        "4b857aa5c8f11bcd302b34b8637f782e"
    )


def test_ipernity_skips_its_file_field_on_uploads_only() -> None:
    p = {"api_key": IP_KEY, "file": "/tmp/x.jpg", "title": "t"}
    assert IPERNITY_RECIPE.signature(IP_SECRET, p, method="upload.file", upload=True) == (
        IPERNITY_RECIPE.signature(
            IP_SECRET, {"api_key": IP_KEY, "title": "t"}, method="upload.file"
        )
    )
    signed = IPERNITY_RECIPE.sign(IP_SECRET, p, method="upload.file", upload=True)
    assert signed["api_sig"] and "api_sig" not in p  # a copy; the input is untouched


_text = st.text(alphabet=st.characters(exclude_categories=["Cs"]), max_size=12)


@given(st.dictionaries(_text, _text, max_size=6), _text, st.booleans())
def test_flickrs_fast_path_is_the_recipe(params: dict[str, str], secret: str, upload: bool) -> None:
    assert legacy_signature(secret, params, upload=upload) == FLICKR_RECIPE.signature(
        secret, params, upload=upload
    )


# --- the login steps, over a fake ``call`` ---------------------------------------------------


class FakeFlickr:
    """``call(method, params, with_token)`` answering as Flickr's decoded XML would."""

    def __init__(self, answers: dict[str, str]) -> None:
        self.answers = answers
        self.calls: list[tuple[str, dict[str, str], bool]] = []

    def __call__(self, method: str, params: dict[str, str], with_token: bool) -> Flow[Any]:
        self.calls.append((method, params, with_token))
        if False:
            yield
        return ET.fromstring(self.answers[method])


def test_flickr_login_steps() -> None:
    call = FakeFlickr(
        {
            "flickr.auth.getFrob": "<rsp stat='ok'><frob>F-1</frob></rsp>",
            "flickr.auth.getToken": "<rsp stat='ok'><auth><token>T-1</token><perms>write</perms></auth></rsp>",
            "flickr.auth.checkToken": "<rsp stat='ok'><auth><token>T-1</token><perms>write</perms></auth></rsp>",
        }
    )
    d = Driver(lambda r: pytest.fail("no HTTP here"), prompt=lambda p: "")
    token = d.run(confirm_login(call, FLICKR, lambda frob: f"https://login/?frob={frob}"))
    assert token == "T-1"
    assert d.browsed == ["https://login/?frob=F-1"]
    assert [p.kind for p in d.prompts] == ["confirm"]
    assert call.calls == [
        ("flickr.auth.getFrob", {}, False),  # never with a token
        ("flickr.auth.getToken", {"frob": "F-1"}, False),
    ]
    assert d.run(check_token(call, FLICKR)) == "write"
    assert call.calls[-1] == ("flickr.auth.checkToken", {}, True)


def test_an_answer_without_frob_or_token_is_the_services_error() -> None:
    class Mine(ProtocolError):
        def __init__(self, message: str, method: str = "") -> None:
            super().__init__(message)
            self.method = method

    call = FakeFlickr({"flickr.auth.getFrob": "<rsp/>", "flickr.auth.getToken": "<rsp/>"})
    d = Driver(lambda r: pytest.fail("no HTTP here"))
    with pytest.raises(Mine, match=r"flickr\.auth\.getFrob answered without a frob"):
        d.run(get_frob(call, FLICKR, Mine))
    with pytest.raises(Mine, match="start the login again") as e:
        d.run(get_token(call, FLICKR, "F", Mine))
    assert e.value.method == "flickr.auth.getToken"


def test_ipernity_reads_its_json_answers() -> None:
    answers = {
        "auth.getFrob": {"api": {"status": "ok"}, "auth": {"frob": "12345-a0b1"}},
        "auth.getToken": {
            "auth": {"token": "987-e5a5", "permissions": {"doc": "write"}, "user": {"user_id": "1"}}
        },
    }

    def call(method: str, params: dict[str, str], with_token: bool) -> Flow[Any]:
        if False:
            yield
        return answers[method]

    d = Driver(lambda r: pytest.fail("no HTTP here"), prompt=lambda p: "")
    assert d.run(confirm_login(call, IPERNITY, lambda f: f)) == "987-e5a5"
    assert IPERNITY.perms_of(answers["auth.getToken"]) == "write"
    assert IPERNITY.frob_of({"auth": []}) is None  # an odd shape reads as absent, no crash
    assert isinstance(d.prompts[0], Prompt)
