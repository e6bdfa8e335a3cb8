"""FlickrAPI's manual, example by example, with only the import line changed and
TETHER_SANDBOX set (the manual's placeholder key and secret are a sandbox application)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from tether import flickr as flickrapi  # was: import flickrapi

api_key = "XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX"
api_secret = "YYYYYYYYYYYYYYYY"


@pytest.fixture(autouse=True)
def _env(tether_sandbox: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TETHER_SANDBOX", tether_sandbox.url)
    monkeypatch.setenv("HOME", str(tmp_path))  # the default token cache, ~/.flickr


def test_calling_api_functions() -> None:
    flickr = flickrapi.FlickrAPI(api_key)
    photos = flickr.photos_search(user_id="73509078@N00", per_page="10")
    sets = flickr.photosets_getList(user_id="73509078@N00")
    assert len(photos.find("photos").findall("photo")) == 10
    assert sets.attrib["stat"] == "ok"
    assert sets.find("photosets").attrib["cancreate"] == "1"
    set0 = sets.find("photosets").findall("photoset")[0]
    assert set0.attrib["id"] == "2b640a3efc262f03567ee93cfd544e14"
    assert set0.find("title").text == set0.getchildren()[0].text
    # "to list all title elements, you only need to do sets.getiterator('title')"
    titles = sets.getiterator("title")
    assert len(titles) == len(sets.find("photosets")) >= 1
    assert [t.text for t in titles] == [s.find("title").text for s in sets.iter("photoset")]
    node = flickrapi.FlickrAPI(api_key, format="xmlnode").photosets_getList(user_id="73509078@N00")
    assert node.photosets[0].photoset[0]["id"] == set0.attrib["id"]


def test_unparsed_json_format() -> None:
    f = flickrapi.FlickrAPI(api_key)
    assert f.test_echo(boo="baah", format="json").startswith("jsonFlickrApi(")
    f = flickrapi.FlickrAPI(api_key, format="json")
    assert '"boo":{"_content":"baah"}' in f.test_echo(boo="baah")


def _approve_next_frob(tether_sandbox: Any) -> Any:
    def auth(frob: str, perms: str) -> None:
        # The user approving on Flickr's page, as the sandbox's control API does it.
        tether_sandbox.control("POST", "/_sandbox/flickr/approve", {"frob": frob, "perms": perms})

    return auth


def test_two_phase_authentication_and_token_path(tether_sandbox: Any, tmp_path: Path) -> None:
    flickr = flickrapi.FlickrAPI(api_key, api_secret)
    flickr.token.path = str(tmp_path / "flickrtokens")
    (token, frob) = flickr.get_token_part_one(
        perms="write", auth_callback=_approve_next_frob(tether_sandbox)
    )
    assert not token
    flickr.get_token_part_two((token, frob))
    assert (tmp_path / "flickrtokens" / api_key / "auth.token").exists()
    # A new object finds the cached token; part one then needs no frob.
    again = flickrapi.FlickrAPI(api_key, api_secret)
    again.token.path = str(tmp_path / "flickrtokens")
    assert again.get_token_part_one(perms="write")[1] is None


def test_locking_token_cache(tether_sandbox: Any) -> None:
    from tether.store import LockingTokenCache

    flickr = flickrapi.FlickrAPI(api_key, api_secret)
    flickr.token_cache = LockingTokenCache(api_key)
    token, frob = flickr.get_token_part_one(
        perms="read", auth_callback=_approve_next_frob(tether_sandbox)
    )
    flickr.get_token_part_two((token, frob))
    assert LockingTokenCache(api_key).token
    assert flickr.auth_checkToken().findtext("auth/perms") == "read"


def test_django_web_flow(tether_sandbox: Any) -> None:
    import urllib3

    f = flickrapi.FlickrAPI(api_key, api_secret, store_token=False)
    url = f.web_login_url(perms="read")
    http = urllib3.PoolManager()
    creds = tether_sandbox.credentials()["flickr"]["user"]
    from urllib.parse import parse_qs, urlsplit

    form = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    page = http.request(
        "POST",
        url.split("?")[0],
        fields={
            **form,
            "login": creds["login"],
            "password": creds["password"],
            "action": "approve",
        },
        encode_multipart=False,
    )
    frob = page.data.split(b"<code>")[1].split(b"</code>")[0].decode()  # the callback's ?frob=
    token = f.get_token(frob)
    g = flickrapi.FlickrAPI(api_key, api_secret, token=token, store_token=False)
    assert g.auth_checkToken().findtext("auth/token") == token
    assert not os.path.exists(os.path.expanduser("~/.flickr"))  # never stored


def test_walking_a_set_and_a_search() -> None:
    flickr = flickrapi.FlickrAPI(api_key)
    titles = [photo.get("title") for photo in flickr.walk_set("2b640a3efc262f03567ee93cfd544e14")]
    assert len(titles) == 30
    found = list(
        flickr.walk(
            tag_mode="all",
            tags="sybren,365,threesixtyfive",
            min_taken_date="2008-08-20",
            max_taken_date="2008-08-30",
        )
    )
    assert found == []
    first25 = list(flickr.walk_set("2b640a3efc262f03567ee93cfd544e14", per_page=15)[:25])
    assert [p.get("title") for p in first25] == titles[:25]
    middle = list(flickr.walk_set("2b640a3efc262f03567ee93cfd544e14", per_page=20)[5:21])
    assert [p.get("title") for p in middle] == titles[5:21]


def test_upload_unicode_and_caching(tether_sandbox: Any, tmp_path: Path) -> None:
    flickr = flickrapi.FlickrAPI(api_key, api_secret)
    token, frob = flickr.get_token_part_one(
        perms="write", auth_callback=_approve_next_frob(tether_sandbox)
    )
    flickr.get_token_part_two((token, frob))
    (tmp_path / "test.jpg").write_bytes(os.urandom(50_000))
    seen: list[str] = []

    def func(progress: float, done: bool) -> None:
        seen.append("Done uploading" if done else f"At {progress}%")

    os.chdir(tmp_path)
    rsp = flickr.upload(filename="test.jpg", callback=func)
    assert seen[-1] == "Done uploading"
    photo_id = rsp.findtext("photoid")
    flickr.photos_setMeta(photo_id=photo_id, title="Money", description="Around \u20ac30,-")
    info = flickr.photos_getInfo(photo_id=photo_id)
    assert info.findtext("photo/description") == "Around \u20ac30,-"
    flickr.replace(filename="test.jpg", photo_id=photo_id)
    cached = flickrapi.FlickrAPI(api_key, cache=True)
    cached.cache = flickrapi.SimpleCache(timeout=300, max_entries=200)
    assert cached.photos_search(tags="cat", per_page=1) is not None


def test_short_urls() -> None:
    assert flickrapi.shorturl.url("3687986439") == "http://flic.kr/p/6BTTT6"
    assert flickrapi.shorturl.decode("6BTTT6") == "3687986439"
