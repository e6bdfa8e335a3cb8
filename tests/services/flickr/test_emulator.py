"""The Flickr emulator over loopback HTTP, driven by hand (no tether client): envelopes and
formats, the common error codes, the gates (service off, transient codes, quota), the control
API, stats and reset. See emu.py for how requests are made and signed."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from typing import Any

import pytest
import urllib3

from tests.services.flickr.emu import (
    FORM,
    HTTP,
    Flickr,
    err,
    get,
    jsonp,
    ok,
    post,
    signed,
    upload,
)

XML_HEAD = b'<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok">'


@pytest.fixture
def fl(fcreds: dict[str, Any]) -> Flickr:
    return Flickr(fcreds)


# -- envelopes ---------------------------------------------------------------------------------


def test_xml_envelope_and_echo(fl: Flickr) -> None:
    r = fl.anon("flickr.test.echo", boo="baah", title="Around \u20ac30,-", odd='a\x01b<&>"')
    assert r.status == 200 and r.headers["Content-Type"] == "text/xml; charset=utf-8"
    assert r.data.startswith(XML_HEAD) and r.data.endswith(b"\n</rsp>\n")
    root = ET.fromstring(r.data)  # well-formed although a control character was sent
    assert [(e.tag, e.text) for e in root] == [
        ("method", "flickr.test.echo"),
        ("api_key", fl.key),
        ("boo", "baah"),
        ("title", "Around \u20ac30,-"),
        ("odd", 'ab<&>"'),
    ]


def test_echo_leaves_out_names_that_cannot_be_tags(fl: Flickr) -> None:
    odd = {"a<b": "1", "1x": "2", "a b": "3", "": "4", 'q"': "5", "a:b": "6", "x-1.y_": "7"}
    r = fl.anon("flickr.test.echo", **odd, ok="\ufffev\uffff")
    root = ET.fromstring(r.data)  # well-formed: every parameter above would break it as a tag
    assert [(e.tag, e.text) for e in root] == [
        ("method", "flickr.test.echo"),
        ("api_key", fl.key),
        ("x-1.y_", "7"),
        ("ok", "v"),  # U+FFFE and U+FFFF are no XML characters
    ]
    js = fl.anon("flickr.test.echo", **odd, format="json", nojsoncallback="1")
    assert set(json.loads(js.data)) == {
        "method",
        "api_key",
        "x-1.y_",
        "format",
        "nojsoncallback",
        "stat",
    }


def test_json_wrappers_and_conversion(fl: Flickr) -> None:
    r = fl.anon("flickr.test.echo", boo="baah", format="json")
    assert r.headers["Content-Type"] == "text/javascript; charset=utf-8"
    body = jsonp(r.data)  # the seed's shape: no trailing semicolon
    assert body == {
        "method": {"_content": "flickr.test.echo"},
        "api_key": {"_content": fl.key},
        "boo": {"_content": "baah"},
        "format": {"_content": "json"},
        "stat": "ok",
    }
    assert list(body)[-1] == "stat"
    r = fl.anon("flickr.test.echo", format="json", jsoncallback="cb")
    assert jsonp(r.data, "cb")["stat"] == "ok"
    # A callback name cannot smuggle script into the JSONP answer.
    r = fl.anon("flickr.test.echo", format="json", jsoncallback="x);alert(1)//")
    assert r.data.startswith(b"xalert1(")
    r = fl.anon("flickr.test.echo", format="json", nojsoncallback="1")
    assert r.headers["Content-Type"].startswith("application/json")
    assert json.loads(r.data)["stat"] == "ok"


def test_json_lists_numbers_and_empty_lists(fl: Flickr) -> None:
    sets = json.loads(
        fl.anon(
            "flickr.photosets.getList",
            user_id="73509078@N00",
            format="json",
            nojsoncallback="1",
        ).data
    )["photosets"]
    # One set, still an array; element text becomes _content; counts are numbers.
    assert isinstance(sets["photoset"], list) and len(sets["photoset"]) == 1
    assert sets["photoset"][0]["title"] == {"_content": "365"}
    assert sets["cancreate"] == 1 and sets["photoset"][0]["photos"] == 30
    found = json.loads(
        fl.anon(
            "flickr.photos.search", tags="cat", per_page="2", format="json", nojsoncallback="1"
        ).data
    )["photos"]
    assert isinstance(found["page"], int) and isinstance(found["total"], int)
    photo = found["photo"][0]
    assert (
        isinstance(photo["farm"], int) and photo["ispublic"] == 1 and isinstance(photo["id"], str)
    )
    none = json.loads(
        fl.anon("flickr.photos.search", tags="nosuchtag", format="json", nojsoncallback="1").data
    )
    assert none == {
        "photos": {"page": 1, "pages": 0, "perpage": 100, "total": 0, "photo": []},
        "stat": "ok",
    }


def test_php_serial(fl: Flickr) -> None:
    r = fl.anon("flickr.test.echo", boo="\u20ac", format="php_serial")
    text = r.data.decode()
    assert text.startswith("a:5:{") and text.endswith('s:4:"stat";s:2:"ok";}')
    assert 's:3:"boo";a:1:{s:8:"_content";s:3:"\u20ac";}' in text  # lengths in UTF-8 bytes


def test_error_envelopes(fl: Flickr) -> None:
    r = fl.anon("flickr.photos.doesNotExist")
    assert r.status == 200
    assert r.data == (
        b'<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="fail">\n'
        b'\t<err code="112" msg="Method &quot;flickr.photos.doesNotExist&quot; not found" />\n'
        b"</rsp>\n"
    )
    r = fl.anon("flickr.photos.doesNotExist", format="json", nojsoncallback="1")
    assert json.loads(r.data) == {
        "stat": "fail",
        "code": 112,
        "message": 'Method "flickr.photos.doesNotExist" not found',
    }
    assert jsonp(fl.anon("flickr.nope", format="json").data)["code"] == 112


def test_get_and_post_answer_alike(fl: Flickr) -> None:
    fields = {"method": "flickr.photos.search", "api_key": fl.key, "tags": "dog", "per_page": "7"}
    assert get(fl.rest, fields).data == post(fl.rest, fields).data
    # Multipart REST bodies are read too.
    r = upload(fl.rest, fields, None)
    assert r.data == post(fl.rest, fields).data


# -- common error codes ------------------------------------------------------------------------


def test_common_error_codes(fl: Flickr, fcreds: dict[str, Any]) -> None:
    token = fcreds["token"]
    assert err(fl.anon("flickr.test.echo", format="xmlrpc")) == (111, 'Format "xmlrpc" not found')
    assert err(post(fl.rest, {"method": "flickr.test.echo", "api_key": "0" * 32})) == (
        100,
        "Invalid API Key (Key not found)",
    )
    assert err(post(fl.rest, {"method": "flickr.test.echo", "api_key": "nope"}))[0] == 100
    assert err(post(fl.rest, {"method": "flickr.test.echo"}))[0] == 100
    assert err(fl.anon("flickr.test.echo", api_sig="0" * 32)) == (96, "Invalid signature")
    assert err(fl.anon("flickr.auth.getFrob")) == (97, "Missing signature")
    assert err(fl.anon("flickr.test.login", auth_token=token)) == (97, "Missing signature")
    assert err(fl.legacy("flickr.test.login", token="72157600000000009-0000000000000000")) == (
        98,
        "Invalid auth token",
    )
    assert err(fl.anon("flickr.test.login")) == (
        99,
        "User not logged in / Insufficient permissions",
    )
    assert err(fl.anon("flickr.test.echo", link="see http://www.SPAM.example/x")) == (
        116,
        "Bad URL found",
    )
    assert err(fl.anon("flickr.photos.getInfo", photo_id="1")) == (
        1,
        'Photo "1" not found (invalid ID)',
    )
    assert err(fl.anon("flickr.photos.search", per_page="5"))[0] == 3  # parameterless search


def test_photo_is_signed_on_rest_calls(fl: Flickr) -> None:
    """Only an upload's file field is left out of ``api_sig`` (flickr.md §5.1): on a REST call
    ``photo`` is a parameter like any other, and tampering with it is caught."""
    fields = signed(fl.secret, method="flickr.test.echo", api_key=fl.key, photo="orig")
    assert ok(post(fl.rest, fields)).findtext("photo") == "orig"
    assert err(post(fl.rest, {**fields, "photo": "tampered"})) == (96, "Invalid signature")
    assert err(post(fl.rest, {k: v for k, v in fields.items() if k != "photo"}))[0] == 96


def test_a_good_url_is_not_116(fl: Flickr) -> None:
    root = ok(fl.anon("flickr.test.echo", link="https://example.org/notspam.example"))
    assert root.findtext("link") == "https://example.org/notspam.example"


# -- gates -------------------------------------------------------------------------------------


def test_service_off_is_code_0_everywhere(tether_sandbox: Any, fl: Flickr) -> None:
    tether_sandbox.control("POST", "/_sandbox/flickr/service", {"available": False})
    code, msg = err(fl.anon("flickr.test.echo"))
    assert code == 0 and "not currently available" in msg
    up = upload(fl.c["upload_url"], {"api_key": fl.key}, b"x")
    assert err(up)[0] == 0
    tether_sandbox.control("POST", "/_sandbox/flickr/service", {"available": True})
    ok(fl.anon("flickr.test.echo"))


def test_transient_code_for_the_next_n_calls(tether_sandbox: Any, fl: Flickr) -> None:
    answer = tether_sandbox.control("POST", "/_sandbox/flickr/transient", {"code": 105, "count": 2})
    assert answer == {"code": 105, "count": 2}
    assert err(fl.anon("flickr.test.echo")) == (105, "Service currently unavailable")
    r = fl.anon("flickr.test.echo", format="json", nojsoncallback="1")
    assert json.loads(r.data)["code"] == 105
    ok(fl.anon("flickr.test.echo"))
    tether_sandbox.control("POST", "/_sandbox/flickr/transient", {"code": 106, "count": 1})
    assert err(fl.anon("flickr.test.echo")) == (106, "Write operation failed")


def test_hourly_quota_per_key(tether_sandbox: Any, fl: Flickr) -> None:
    assert tether_sandbox.control("GET", "/_sandbox/flickr/quota")["per_hour"] == 3600
    tether_sandbox.control("POST", "/_sandbox/flickr/quota", {"per_hour": 3})
    for _ in range(3):
        ok(fl.anon("flickr.test.echo"))
    r = fl.anon("flickr.test.echo")
    assert r.status == 429 and b"429 Too Many Requests" in r.data
    assert r.headers["Content-Type"].startswith("text/html")
    assert 3500 < int(r.headers["Retry-After"]) <= 3600
    # Another key has its own quota.
    ok(post(fl.rest, {"method": "flickr.test.echo", "api_key": "X" * 32}))
    assert tether_sandbox.control("GET", "/_sandbox/flickr/quota")["used"][fl.key] == 3
    # The quota window rolls: an hour later the key may call again.
    tether_sandbox.control("POST", "/_sandbox/flickr/time", {"skew": 3601})
    ok(fl.anon("flickr.test.echo"))


def test_injected_faults_use_flickr_pages_and_the_api_key(tether_sandbox: Any, fl: Flickr) -> None:
    tether_sandbox.set_faults(service="flickr", status=502, count=1)
    r = fl.anon("flickr.test.echo")
    assert r.status == 502 and r.data.startswith(b"<html>")
    tether_sandbox.set_faults(service="flickr", rate_limit={"per_second": 0.001, "burst": 1})
    ok(get(fl.rest, {"method": "flickr.test.echo", "api_key": fl.key}))
    limited = get(fl.rest, {"method": "flickr.test.echo", "api_key": fl.key})
    assert limited.status == 429 and b"Too Many Requests" in limited.data
    # The rate key is the API key: another key still passes.
    ok(get(fl.rest, {"method": "flickr.test.echo", "api_key": "X" * 32}))


_BIG = 1024 * 1024  # the most an urlencoded body may carry


def _too_large(r: urllib3.BaseHTTPResponse) -> bool:
    return r.status == 413 and r.data.startswith(b"<html><body><h1>413 ")


def _chunked(head: bytes, size: int) -> Iterator[bytes]:
    """A body of unknown length (urllib3 sends it chunked): only its bytes can give it away."""
    yield head
    for _ in range(size // 65536):
        yield b"x" * 65536


def test_an_oversized_form_is_refused_everywhere(fl: Flickr) -> None:
    """Every endpoint reading an urlencoded body stops at 1 MiB and answers 413 with Flickr's
    front-end page, before any check (the key below is good, the signature absent)."""
    head = f"method=flickr.test.echo&api_key={fl.key}&pad=".encode()
    just = head + b"x" * (_BIG - len(head))
    r = HTTP.request("POST", fl.rest, body=just, headers=dict(FORM))
    assert len(ok(r).findtext("pad") or "") == _BIG - len(head)  # 1 MiB exactly still passes
    over = just + b"x"
    oauth = fl.c["oauth_url"]
    for url in (
        fl.rest,
        fl.c["upload_url"],
        fl.c["replace_url"],
        fl.c["auth_url"],
        oauth + "request_token",
        oauth + "authorize",
        oauth + "access_token",
    ):
        assert _too_large(HTTP.request("POST", url, body=over, headers=dict(FORM))), url
        # No content type at all is read as a form too.
        assert _too_large(HTTP.request("POST", url, body=over)), url
    for size in (2 * _BIG, 64 * _BIG):
        r = HTTP.request("POST", fl.rest, body=_chunked(head, size), headers=dict(FORM))
        assert _too_large(r)
    ok(fl.anon("flickr.test.echo"))  # and the sandbox answers on


def test_multipart_text_is_capped_in_all(fl: Flickr) -> None:
    """At most 1 MiB of part headers and text fields per body, however they are split."""
    fields = {"method": "flickr.test.echo", "api_key": fl.key}
    third = "x" * (_BIG // 3)
    assert ok(upload(fl.rest, {**fields, "a": third, "b": third}, None)).findtext("b") == third
    assert err(upload(fl.rest, {**fields, "a": third, "b": third, "c": third, "d": "y"}, None)) == (
        3,
        "General upload failure",
    )
    many = {f"f{n}": "x" * 4096 for n in range(255)}  # under the part limit, over the bytes
    assert err(upload(fl.rest, {**fields, **many}, None))[0] == 3
    up = signed(fl.secret, api_key=fl.key, auth_token=fl.c["token"], title=third, tags=third)
    assert ok(upload(fl.c["upload_url"], up, b"photo")).findtext("photoid")
    up = signed(fl.secret, api_key=fl.key, auth_token=fl.c["token"], title=third, a=third, b=third)
    assert err(upload(fl.c["upload_url"], up, b"photo")) == (3, "General upload failure")
    # A part header is text kept too.
    boundary = "capBoundary"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="method"\r\n'
        f"X-Pad: {'p' * _BIG}\r\n\r\nflickr.test.echo\r\n--{boundary}--\r\n"
    ).encode()
    r = HTTP.request(
        "POST",
        fl.rest,
        body=body,
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert err(r) == (3, "General upload failure")


def test_unknown_paths_and_methods(fl: Flickr) -> None:
    base = fl.c["base_url"]
    r = HTTP.request("GET", base + "/services/nope/")
    assert r.status == 404 and b"<html>" in r.data
    assert HTTP.request("GET", fl.c["upload_url"]).status == 405


# -- control, stats, reset, credentials --------------------------------------------------------


def test_credentials_block(fcreds: dict[str, Any], tether_sandbox: Any) -> None:
    root = tether_sandbox.url
    assert set(fcreds) == {
        "base_url",
        "rest_url",
        "upload_url",
        "replace_url",
        "auth_url",
        "oauth_url",
        "api_key",
        "secret",
        "user",
        "token",
        "oauth_token",
        "oauth_token_secret",
    }
    assert fcreds["base_url"] == f"{root}/flickr"
    assert fcreds["rest_url"] == f"{root}/flickr/services/rest/"
    assert fcreds["upload_url"] == f"{root}/flickr/services/upload/"
    assert fcreds["replace_url"] == f"{root}/flickr/services/replace/"
    assert fcreds["auth_url"] == f"{root}/flickr/services/auth/"
    assert fcreds["oauth_url"] == f"{root}/flickr/services/oauth/"
    assert re.fullmatch(r"[0-9a-f]{32}", fcreds["api_key"])
    assert re.fullmatch(r"[0-9a-f]{16}", fcreds["secret"])
    assert set(fcreds["user"]) == {"nsid", "username", "login", "password"}
    assert fcreds["user"]["nsid"].endswith("@N01")
    assert tether_sandbox.credentials()["flickr"] == fcreds  # fixed values


def test_stats_count_calls_uploads_and_bytes(tether_sandbox: Any, fl: Flickr) -> None:
    for _ in range(3):
        fl.anon("flickr.test.echo")
    fl.anon("flickr.nope")
    fields = signed(fl.secret, api_key=fl.key, auth_token=fl.c["token"], title="t")
    ok(upload(fl.c["upload_url"], fields, b"12345"))
    stats = tether_sandbox.control("GET", "/_sandbox/flickr/stats")
    assert stats["calls"] == {"flickr.test.echo": 3, "<unknown>": 1}
    assert stats["uploads"] == 1 and stats["replaces"] == 0 and stats["bytes_received"] == 5


def test_stats_count_unknown_method_names_under_one_key(tether_sandbox: Any, fl: Flickr) -> None:
    for n in range(40):
        assert err(fl.anon(f"flickr.junk{n}"))[0] == 112
    post(fl.rest, {"api_key": fl.key})  # no method at all
    assert err(fl.anon("flickr.test.echo", format="xmlrpc"))[0] == 111  # known, though refused
    stats = tether_sandbox.control("GET", "/_sandbox/flickr/stats")
    assert stats["calls"] == {"<unknown>": 41, "flickr.test.echo": 1}


def test_reset_restores_seeded_state(tether_sandbox: Any, fl: Flickr) -> None:
    fields = {"method": "flickr.photos.search", "api_key": fl.key, "tags": "cat", "per_page": "3"}
    before = post(fl.rest, fields).data
    first = ET.fromstring(before).find("photos/photo")
    assert first is not None
    mine = ok(fl.oauth("flickr.photos.search", user_id="me", per_page="1")).find("photos/photo")
    assert mine is not None
    ok(fl.oauth("flickr.photos.delete", photo_id=mine.get("id", "")))
    tether_sandbox.control("POST", "/_sandbox/flickr/revoke", {"token": fl.c["token"]})
    tether_sandbox.control("POST", "/_sandbox/flickr/quota", {"per_hour": 1})
    tether_sandbox.control("POST", "/_sandbox/flickr/service", {"available": False})
    tether_sandbox.reset()
    assert post(fl.rest, fields).data == before
    assert (
        ok(fl.legacy("flickr.auth.checkToken", token=fl.c["token"])).findtext("auth/perms")
        == "delete"
    )
    ok(fl.oauth("flickr.photos.getInfo", photo_id=mine.get("id", "")))
    assert tether_sandbox.control("GET", "/_sandbox/flickr/quota")["per_hour"] == 3600


def test_control_refuses_an_unreadable_callback_url(tether_sandbox: Any) -> None:
    from tether.sandbox import SandboxError

    for url in ("http://[::1", "https://[v1.x/cb"):
        with pytest.raises(SandboxError, match=r": 400 callback_url must be"):
            tether_sandbox.control("POST", "/_sandbox/flickr/app", {"callback_url": url})
    assert tether_sandbox.control("GET", "/_sandbox/flickr/app")["callback_url"] is None


def test_control_validation(tether_sandbox: Any) -> None:
    from tether.sandbox import SandboxError

    for path, body in [
        ("/_sandbox/flickr/quota", {"per_hour": "many"}),
        ("/_sandbox/flickr/transient", {"count": -1}),
        ("/_sandbox/flickr/service", {"available": "no"}),
        ("/_sandbox/flickr/time", {"skew": "soon"}),
        ("/_sandbox/flickr/tickets", {"polls": 0}),
        ("/_sandbox/flickr/app", {"callback_url": "javascript:alert(1)"}),
        ("/_sandbox/flickr/approve", {"frob": "nope"}),
        ("/_sandbox/flickr/approve", {}),
        ("/_sandbox/flickr/revoke", {"token": "nope"}),
    ]:
        with pytest.raises(SandboxError):
            tether_sandbox.control("POST", path, body)
