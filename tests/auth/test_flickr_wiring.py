"""The auth strategies wired into the real Flickr client, against the real sandbox, sync and
async: the browser login takes only the redirect for its own request token."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
import urllib3

from tests.support.both import client_factory
from tether.flickr import AsyncFlickrAPI, FlickrAPI


@pytest.fixture(params=["sync", "async"])
def make_flickr(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from client_factory(
        request.param,
        FlickrAPI,
        AsyncFlickrAPI,
        environ={},
        token_cache_location=str(tmp_path / "flickr-tokens"),
    )


def _urls(c: dict[str, Any]) -> dict[str, str]:
    return {k: c[k] for k in ("rest_url", "upload_url", "replace_url", "auth_url", "oauth_url")}


def test_browser_login_ignores_a_stray_redirect(make_flickr: Any, tether_sandbox: Any) -> None:
    creds = tether_sandbox.credentials()["flickr"]
    http = urllib3.PoolManager()
    strays: list[int] = []

    def browser(b: Any) -> None:
        q = parse_qs(urlsplit(b.url).query)
        form = {
            "oauth_token": q["oauth_token"][0],
            "perms": q["perms"][0],
            "login": creds["user"]["login"],
            "password": creds["user"]["password"],
            "action": "approve",
        }
        r = http.request(
            "POST", b.url.split("?")[0], fields=form, encode_multipart=False, redirect=False
        )
        assert r.status in (302, 303), r.status
        back = r.headers["Location"]
        callback = back.split("?")[0]
        # A stale tab of an earlier login lands first, with another token and a verifier.
        stale = http.request(
            "GET", callback + "?" + urlencode({"oauth_token": "stale", "oauth_verifier": "bad"})
        )
        strays.append(stale.status)
        assert b"not the answer" in stale.data
        assert http.request("GET", back).status == 200

    f = make_flickr(creds["api_key"], creds["secret"], browser=browser, **_urls(creds))
    token = f.authenticate_via_browser("write", timeout=20)
    assert strays == [400]
    assert token.access_level == "write" and token.user_nsid == creds["user"]["nsid"]
    assert f.token_valid("write") is True


def test_legacy_console_login_through_the_frob_strategy(
    make_flickr: Any, tether_sandbox: Any
) -> None:
    creds = tether_sandbox.credentials()["flickr"]
    frobs: list[str] = []

    def browser(b: Any) -> None:
        frob = parse_qs(urlsplit(b.url).query)["frob"][0]
        frobs.append(frob)
        tether_sandbox.control("POST", "/_sandbox/flickr/approve", {"frob": frob, "perms": "write"})

    f = make_flickr(
        creds["api_key"],
        creds["secret"],
        store_token=False,
        browser=browser,
        prompt=lambda p: "",
        **_urls(creds),
    )
    token = f.authenticate_legacy_console("write")
    assert token and len(frobs) == 1
    assert f.get_token_part_one("write", auth_callback=False) == (token, None)
