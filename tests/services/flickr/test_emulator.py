"""The Flickr emulator driven with raw urllib3 and hand-made signatures (no tether client)."""

from __future__ import annotations

import json
import time
from typing import Any
from urllib.parse import parse_qs, urlencode

import pytest
import urllib3

from tether.auth.flickr import legacy_signature, oauth_header

http = urllib3.PoolManager()


def post(
    url: str, fields: dict[str, str], headers: dict[str, str] | None = None
) -> urllib3.BaseHTTPResponse:
    return http.request(
        "POST",
        url,
        body=urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
    )


def signed(c: dict[str, Any], **params: str) -> dict[str, str]:
    p = {"api_key": c["api_key"], **params}
    p["api_sig"] = legacy_signature(c["secret"], p)
    return p


def test_xml_and_json_envelopes(fcreds: dict[str, Any]) -> None:
    r = post(
        fcreds["rest_url"],
        {"api_key": fcreds["api_key"], "method": "flickr.test.echo", "boo": "baah"},
    )
    assert r.status == 200 and r.data.startswith(
        b'<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok">'
    )
    assert b"<boo>baah</boo>" in r.data
    r = post(
        fcreds["rest_url"],
        {
            "api_key": fcreds["api_key"],
            "method": "flickr.test.echo",
            "boo": "baah",
            "format": "json",
        },
    )
    assert r.data.startswith(b"jsonFlickrApi(") and r.data.endswith(b")")
    body = json.loads(r.data[len(b"jsonFlickrApi(") : -1])
    assert body["boo"] == {"_content": "baah"} and body["stat"] == "ok"
    r = post(
        fcreds["rest_url"],
        {
            "api_key": fcreds["api_key"],
            "method": "flickr.nope",
            "format": "json",
            "nojsoncallback": "1",
        },
    )
    assert json.loads(r.data) == {
        "stat": "fail",
        "code": 112,
        "message": 'Method "flickr.nope" not found',
    }
    r = post(
        fcreds["rest_url"],
        {
            "api_key": fcreds["api_key"],
            "method": "flickr.test.echo",
            "format": "json",
            "jsoncallback": "cb",
        },
    )
    assert r.data.startswith(b"cb(")


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"method": "flickr.test.echo", "format": "xmlrpc"}, 111),
        ({"method": "flickr.auth.getFrob"}, 97),  # auth calls must be signed
        ({"method": "flickr.test.echo", "api_sig": "0" * 32}, 96),
        ({"method": "flickr.test.echo", "link": "http://spam.example/x"}, 116),
        ({"method": "flickr.photos.getInfo", "photo_id": "1"}, 1),
    ],
)
def test_error_codes(fcreds: dict[str, Any], fields: dict[str, str], code: int) -> None:
    r = post(fcreds["rest_url"], {"api_key": fcreds["api_key"], **fields})
    assert r.status == 200
    assert f'<err code="{code}"'.encode() in r.data


def test_unknown_key_is_100_and_permissions_enforced(fcreds: dict[str, Any]) -> None:
    r = post(fcreds["rest_url"], {"api_key": "0" * 32, "method": "flickr.test.echo"})
    assert b'<err code="100"' in r.data
    r = post(fcreds["rest_url"], {"api_key": fcreds["api_key"], "method": "flickr.test.login"})
    assert b'<err code="99"' in r.data


def test_frob_login_page_is_real_html(fcreds: dict[str, Any]) -> None:
    r = post(fcreds["rest_url"], signed(fcreds, method="flickr.auth.getFrob"))
    frob = r.data.split(b"<frob>")[1].split(b"</frob>")[0].decode()
    q = signed(fcreds, perms="write", frob=frob)
    page = http.request("GET", fcreds["auth_url"] + "?" + urlencode(q))
    assert page.status == 200 and b"<form" in page.data and b"write" in page.data
    bad = post(fcreds["auth_url"], {**q, "login": "x", "password": "y", "action": "approve"})
    assert bad.status == 401 and b'role="alert"' in bad.data
    ok = post(
        fcreds["auth_url"],
        {
            **q,
            "login": fcreds["user"]["login"],
            "password": fcreds["user"]["password"],
            "action": "approve",
        },
    )
    assert ok.status == 200
    r = post(fcreds["rest_url"], signed(fcreds, method="flickr.auth.getToken", frob=frob))
    assert b"<perms>write</perms>" in r.data
    again = post(fcreds["rest_url"], signed(fcreds, method="flickr.auth.getToken", frob=frob))
    assert b'<err code="108"' in again.data  # a frob is single-use
    tampered = http.request("GET", fcreds["auth_url"] + "?" + urlencode({**q, "perms": "delete"}))
    assert tampered.status == 400


def _oauth(
    fcreds: dict[str, Any], fields: dict[str, str], ts: int | None = None, nonce: str = "n1"
) -> dict[str, str]:
    return {
        "Authorization": oauth_header(
            "POST",
            fcreds["rest_url"],
            fields,
            api_key=fcreds["api_key"],
            secret=fcreds["secret"],
            nonce=nonce,
            timestamp=ts or int(time.time()),
            token=fcreds["oauth_token"],
            token_secret=fcreds["oauth_token_secret"],
        )
    }


def test_oauth_checks(fcreds: dict[str, Any]) -> None:
    fields = {"method": "flickr.test.login"}
    r = post(fcreds["rest_url"], fields, _oauth(fcreds, fields, nonce="a"))
    assert r.status == 200 and fcreds["user"]["nsid"].encode() in r.data
    replay = post(
        fcreds["rest_url"], fields, _oauth(fcreds, fields, ts=int(time.time()), nonce="a")
    )
    assert replay.status == 401 and b"oauth_problem=nonce_used" in replay.data
    stale = post(
        fcreds["rest_url"], fields, _oauth(fcreds, fields, ts=int(time.time()) - 3600, nonce="b")
    )
    assert b"timestamp_refused" in stale.data
    forged = post(fcreds["rest_url"], {**fields, "extra": "1"}, _oauth(fcreds, fields, nonce="c"))
    assert forged.status == 401
    problem = parse_qs(forged.data.decode())
    assert problem["oauth_problem"] == ["signature_invalid"] and "debug_sbs" in problem
    assert fcreds["secret"] not in forged.data.decode()


def test_reset_restores_seeded_state(tether_sandbox: Any, fcreds: dict[str, Any]) -> None:
    fields = {
        "api_key": fcreds["api_key"],
        "method": "flickr.photos.search",
        "tags": "cat",
        "per_page": "3",
    }
    before = post(fcreds["rest_url"], fields).data
    tether_sandbox.control("POST", "/_sandbox/flickr/revoke", {"token": fcreds["token"]})
    tether_sandbox.reset()
    assert post(fcreds["rest_url"], fields).data == before
    r = post(
        fcreds["rest_url"],
        signed(fcreds, method="flickr.auth.checkToken", auth_token=fcreds["token"]),
    )
    assert b"<perms>delete</perms>" in r.data
