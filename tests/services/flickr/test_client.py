"""The FlickrAPI seed's behaviours against the sandbox over loopback, sync and async."""

from __future__ import annotations

import hashlib
import os
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pytest

from tests.services.flickr.conftest import urls
from tether import flickr as flickrapi


def stats(sb: Any) -> dict[str, Any]:
    s: dict[str, Any] = sb.control("GET", "/_sandbox/flickr/stats")
    return s


def calls_to(sb: Any, method: str) -> int:
    return int(stats(sb).get("calls", {}).get(method, 0))


def test_dynamic_method_names_and_unicode(anon: Any) -> None:
    rsp = anon.test_echo(boo="baah", title="Around \u20ac30,-")
    assert rsp.attrib["stat"] == "ok"
    assert rsp.find("boo").text == "baah"
    assert rsp.find("title").text == "Around \u20ac30,-"
    assert anon.test.echo(x="1").find("x").text == "1"
    assert anon.call("flickr.test.echo", y="2").find("y").text == "2"


def test_seed_photosets_example_in_each_parsed_format(authed: Any, fcreds: dict[str, Any]) -> None:
    user = fcreds["user"]["nsid"]
    sets = authed.photosets_getList(user_id=user)
    set0 = sets.find("photosets").findall("photoset")[0]
    assert set0.attrib["id"] and set0.find("title").text is not None
    node = authed.photosets_getList(user_id=user, format="xmlnode")
    assert node["stat"] == "ok"
    assert node.photosets[0].photoset[0]["id"] == set0.attrib["id"]
    assert node.photosets[0].photoset[0].title[0].text == set0.find("title").text
    js = authed.photosets_getList(user_id=user, format="parsed-json")
    assert js["photosets"]["photoset"][0]["id"] == set0.attrib["id"]


def test_unparsed_formats_are_raw_and_unchecked(anon: Any) -> None:
    raw = anon.test_echo(boo="baah", format="json")
    assert raw.startswith("jsonFlickrApi(") and '"boo":{"_content":"baah"}' in raw.replace(" ", "")
    err = anon.call("flickr.photos.doesNotExist", format="json")
    assert '"stat":"fail"' in err.replace(" ", "")  # no exception: the seed's promise
    rest = anon.test_echo(boo="x", format="rest")
    assert rest.lstrip().startswith("<?xml") or rest.lstrip().startswith("<rsp")


def test_unknown_method_is_112(anon: Any) -> None:
    with pytest.raises(flickrapi.FlickrError) as e:
        anon.photos_doesNotExist()
    assert e.value.code == 112
    assert isinstance(e.value, flickrapi.FlickrNotFound)


def test_wrong_secret(make_flickr: Any, fcreds: dict[str, Any]) -> None:
    f = make_flickr(fcreds["api_key"], "0" * 16, token=fcreds["token"], **urls(fcreds))
    with pytest.raises(flickrapi.FlickrError) as e:
        f.test_login()
    assert e.value.code == 96
    assert "0" * 16 not in str(e.value)


def test_wrong_secret_with_oauth_is_a_401(make_flickr: Any, fcreds: dict[str, Any]) -> None:
    token = flickrapi.OAuthToken(fcreds["oauth_token"], fcreds["oauth_token_secret"], "delete")
    f = make_flickr(fcreds["api_key"], "1" * 16, token=token, **urls(fcreds))
    with pytest.raises(flickrapi.FlickrAuthError) as e:
        f.test_login()
    assert e.value.status == 401 and "signature_invalid" in str(e.value)


def test_invalid_key(make_flickr: Any, fcreds: dict[str, Any]) -> None:
    f = make_flickr("f" * 32, store_token=False, **urls(fcreds))
    with pytest.raises(flickrapi.FlickrError) as e:
        f.photos_search(tags="cat")
    assert e.value.code == 100


def test_legacy_token_calls_and_check(legacy: Any, fcreds: dict[str, Any]) -> None:
    assert legacy.test_login().find("user").get("id") == fcreds["user"]["nsid"]
    assert legacy.auth_checkToken().findtext("auth/perms") == "delete"


def test_expired_token(legacy: Any, tether_sandbox: Any, fcreds: dict[str, Any]) -> None:
    tether_sandbox.control("POST", "/_sandbox/flickr/revoke", {"token": fcreds["token"]})
    with pytest.raises(flickrapi.FlickrError) as e:
        legacy.test_login()
    assert e.value.code == 98


def test_frob_flow_with_token_cache(
    make_flickr: Any, fcreds: dict[str, Any], tether_sandbox: Any, tmp_path: Path
) -> None:
    f = make_flickr(fcreds["api_key"], fcreds["secret"], **urls(fcreds))
    f.token.path = str(tmp_path / "seed-path")  # the seed's spelling works
    seen: list[tuple[str, str]] = []
    token, frob = f.get_token_part_one(
        perms="write", auth_callback=lambda fr, p: seen.append((fr, p))
    )
    assert token is None and seen == [(frob, "write")]
    tether_sandbox.control("POST", "/_sandbox/flickr/approve", {"frob": frob})
    token = f.get_token_part_two((token, frob))
    assert token and f.token_cache.token == token
    assert (tmp_path / "seed-path").exists()
    assert f.test_login().find("user") is not None
    # A second part one finds the cached token good enough: no frob, no prompt.
    again = f.get_token_part_one(perms="read", auth_callback=False)
    assert again == (token, None)


def test_frob_flow_default_opens_the_login_page(make_flickr: Any, fcreds: dict[str, Any]) -> None:
    opened: list[str] = []
    f = make_flickr(
        fcreds["api_key"],
        fcreds["secret"],
        store_token=False,
        browser=lambda b: opened.append(b.url),
        **urls(fcreds),
    )
    _, frob = f.get_token_part_one(perms="read")
    assert (
        len(opened) == 1
        and opened[0].startswith(fcreds["auth_url"])
        and f"frob={frob}" in opened[0]
    )
    assert "api_sig=" in opened[0]


def test_auth_callback_false_raises(anon: Any) -> None:
    with pytest.raises(flickrapi.FlickrError):
        anon.get_token_part_one(perms="read", auth_callback=False)


def test_denied_frob(make_flickr: Any, fcreds: dict[str, Any], tether_sandbox: Any) -> None:
    f = make_flickr(fcreds["api_key"], fcreds["secret"], store_token=False, **urls(fcreds))
    _, frob = f.get_token_part_one(perms="read", auth_callback=lambda *a: None)
    tether_sandbox.control("POST", "/_sandbox/flickr/approve", {"frob": frob, "deny": True})
    with pytest.raises(flickrapi.FlickrError) as e:
        f.get_token(frob)
    assert e.value.code == 108


def test_oauth_console_flow(make_flickr: Any, fcreds: dict[str, Any], tether_sandbox: Any) -> None:
    def prompt(p: Any) -> str:
        from urllib.parse import parse_qs, urlsplit

        oauth_token = parse_qs(urlsplit(p.data["url"]).query)["oauth_token"][0]
        answer = tether_sandbox.control(
            "POST", "/_sandbox/flickr/approve", {"oauth_token": oauth_token, "perms": "write"}
        )
        return str(answer["oauth_verifier"])

    f = make_flickr(fcreds["api_key"], fcreds["secret"], prompt=prompt, **urls(fcreds))
    token = f.authenticate_console("write")
    assert token.access_level == "write" and token.user_nsid == fcreds["user"]["nsid"]
    assert f.token_valid("write") is True
    assert f.token_valid("delete") is False
    assert f.test_login().find("user").get("id") == fcreds["user"]["nsid"]


def test_oauth_browser_flow_through_the_real_pages(
    make_flickr: Any, fcreds: dict[str, Any]
) -> None:
    """A 'browser' that signs in on the authorize page and follows the redirect to the local
    callback server, as a person would."""
    import urllib3

    http = urllib3.PoolManager()

    def browser(b: Any) -> None:
        page = http.request("GET", b.url)
        assert page.status == 200 and b"write" in page.data
        from urllib.parse import parse_qs, urlsplit

        q = parse_qs(urlsplit(b.url).query)
        form = {
            "oauth_token": q["oauth_token"][0],
            "perms": q["perms"][0],
            "login": fcreds["user"]["login"],
            "password": fcreds["user"]["password"],
            "action": "approve",
        }
        r = http.request(
            "POST", b.url.split("?")[0], fields=form, encode_multipart=False, redirect=False
        )
        assert r.status in (302, 303), r.status
        http.request("GET", r.headers["Location"])  # the redirect lands on tether's local server

    f = make_flickr(fcreds["api_key"], fcreds["secret"], browser=browser, **urls(fcreds))
    token = f.authenticate_via_browser("write", timeout=20)
    assert token.access_level == "write"
    assert f.token_valid("write") is True


def test_walk_set_slice_costs_two_calls(
    authed: Any, fcreds: dict[str, Any], tether_sandbox: Any
) -> None:
    sets = authed.photosets_getList(user_id=fcreds["user"]["nsid"])
    big = max(sets.find("photosets").findall("photoset"), key=lambda s: int(s.get("photos")))
    assert int(big.get("photos")) >= 25
    before = calls_to(tether_sandbox, "flickr.photosets.getPhotos")
    photos = authed.collect(authed.client.walk_set(big.get("id"), per_page=15)[:25])
    assert len(photos) == 25 and all(p.get("id") for p in photos)
    assert calls_to(tether_sandbox, "flickr.photosets.getPhotos") - before == 2


def test_walk_search_stops_at_last_page(authed: Any, tether_sandbox: Any) -> None:
    first = authed.photos_search(tags="cat", per_page=100)
    total = int(first.find("photos").get("total"))
    pages = int(first.find("photos").get("pages"))
    assert total > 100
    before = calls_to(tether_sandbox, "flickr.photos.search")
    photos = authed.collect(authed.client.walk(tags="cat", per_page=100))
    assert len(photos) == total
    assert len({p.get("id") for p in photos}) == total
    assert calls_to(tether_sandbox, "flickr.photos.search") - before == pages


def test_response_cache_serves_reads_never_writes(
    make_flickr: Any, fcreds: dict[str, Any], tether_sandbox: Any
) -> None:
    token = flickrapi.OAuthToken(fcreds["oauth_token"], fcreds["oauth_token_secret"], "delete")
    f = make_flickr(fcreds["api_key"], fcreds["secret"], token=token, cache=True, **urls(fcreds))
    before = calls_to(tether_sandbox, "flickr.photos.search")
    a = f.photos_search(tags="dog", user_id="me", per_page=5)
    b = f.photos_search(tags="dog", user_id="me", per_page=5)
    assert ET.tostring(a) == ET.tostring(b)
    assert calls_to(tether_sandbox, "flickr.photos.search") - before == 1
    photo = a.find("photos/photo").get("id")
    f.photos_setMeta(photo_id=photo, title="one")
    f.photos_setMeta(photo_id=photo, title="two")
    assert calls_to(tether_sandbox, "flickr.photos.setMeta") == 2
    assert isinstance(f.client.cache, flickrapi.SimpleCache)


def test_transient_105_is_retried(authed: Any, tether_sandbox: Any) -> None:
    tether_sandbox.control("POST", "/_sandbox/flickr/transient", {"code": 105, "count": 2})
    assert authed.test_login().find("user") is not None


def test_quota_exceeded(authed: Any, tether_sandbox: Any) -> None:
    tether_sandbox.control("POST", "/_sandbox/flickr/quota", {"per_hour": 3})
    with pytest.raises(flickrapi.FlickrError) as e:
        for _ in range(6):
            authed.test_login()
    assert "quota" in str(e.value).lower() or e.value.code is not None


def _photo(tmp_path: Path, size: int = 300_000) -> Path:
    p = tmp_path / "photo.jpg"
    p.write_bytes(os.urandom(size))
    return p


def test_upload_with_progress_then_replace(authed: Any, tmp_path: Path) -> None:
    path = _photo(tmp_path)
    progress: list[tuple[float, bool]] = []
    rsp = authed.upload(
        str(path),
        callback=lambda p, d: progress.append((p, d)),
        title="Test",
        tags='Amsterdam "central station"',
        is_public=0,
    )
    photo_id = rsp.findtext("photoid")
    assert photo_id
    assert progress and progress[-1] == (100.0, True)
    assert [p for p, _ in progress] == sorted(p for p, _ in progress)
    info = authed.photos_getInfo(photo_id=photo_id)
    text = ET.tostring(info, encoding="unicode")
    assert str(path.stat().st_size) in text
    assert hashlib.sha1(path.read_bytes()).hexdigest() in text
    new = _photo(tmp_path / "..", 1000)
    rsp = authed.replace(str(new), photo_id)
    assert rsp.findtext("photoid") == photo_id


def test_upload_async_ticket_is_polled(authed: Any, tmp_path: Path) -> None:
    rsp = authed.upload(str(_photo(tmp_path, 5000)), title="later", **{"async": 1})
    assert rsp.findtext("photoid")


def test_upload_from_file_object(authed: Any, tmp_path: Path) -> None:
    path = _photo(tmp_path, 2000)
    with open(path, "rb") as f:
        rsp = authed.upload(fileobj=f, filename="photo.jpg", title="from fileobj")
    assert rsp.findtext("photoid")


def test_upload_missing_file_fails_before_network(
    authed: Any, tether_sandbox: Any, tmp_path: Path
) -> None:
    before = stats(tether_sandbox).get("uploads", 0)
    with pytest.raises(flickrapi.IllegalArgumentException):
        authed.upload(str(tmp_path / "nope.jpg"))
    assert stats(tether_sandbox).get("uploads", 0) == before


def test_upload_needs_authentication(anon: Any, tmp_path: Path) -> None:
    with pytest.raises(flickrapi.FlickrError, match="Authentication"):
        anon.upload(str(_photo(tmp_path, 100)))


def test_tether_sandbox_env(make_flickr: Any, tether_sandbox: Any) -> None:
    f = make_flickr("", environ={"TETHER_SANDBOX": tether_sandbox.url}, store_token=False)
    assert f.test_echo(a="b").find("a").text == "b"


def test_connection_dropped_mid_upload(authed: Any, tether_sandbox: Any, tmp_path: Path) -> None:
    # The sandbox closes the connection before reading the upload: the write fails, so the
    # server provably did not act on it and tether sends it again (once), sync and async.
    before = stats(tether_sandbox)["uploads"]
    tether_sandbox.set_faults(path_prefix="/flickr/services/upload/", drop="before", count=1)
    # 16 MB: more than loopback socket buffers hold, so the write itself must fail (with a
    # small body the write can land in buffers and the loss be seen only on reading).
    rsp = authed.upload(str(_photo(tmp_path, 16_000_000)), title="dropped")
    assert rsp.findtext("photoid")
    assert stats(tether_sandbox)["uploads"] == before + 1


def test_upload_cut_after_it_was_received_is_not_resent(
    authed: Any, tether_sandbox: Any, tmp_path: Path
) -> None:
    # drop "mid": the sandbox stores the photo, then loses the answer half-way. That is
    # ambiguous, so an upload (not idempotent) is reported, never sent twice.
    before = stats(tether_sandbox)["uploads"]
    tether_sandbox.set_faults(path_prefix="/flickr/services/upload/", drop="mid", count=1)
    with pytest.raises(flickrapi.FlickrError) as e:
        authed.upload(str(_photo(tmp_path, 200_000)), title="dropped")
    assert "may have acted" in str(e.value)
    from tether import TransportError

    assert isinstance(e.value.__cause__, TransportError)
    assert stats(tether_sandbox)["uploads"] == before + 1
    assert authed.upload(str(_photo(tmp_path, 1000)), title="again").findtext("photoid")


def test_async_walk_with_prefetch_matches_sync(fcreds: dict[str, Any], tether_sandbox: Any) -> None:
    import asyncio

    token = flickrapi.OAuthToken(fcreds["oauth_token"], fcreds["oauth_token_secret"], "delete")
    with flickrapi.FlickrAPI(
        fcreds["api_key"], fcreds["secret"], token=token, environ={}, **urls(fcreds)
    ) as f:
        expected = [p.get("id") for p in f.walk(tags="sunset", per_page=50)]

    async def main() -> list[str]:
        async with flickrapi.AsyncFlickrAPI(
            fcreds["api_key"], fcreds["secret"], token=token, environ={}, **urls(fcreds)
        ) as af:
            return [p.get("id") async for p in af.walk(tags="sunset", per_page=50, prefetch=4)]

    got = asyncio.run(main())
    assert got == expected and len(got) > 200


def test_oauth_token_file_is_saved_under_the_locking_caches_lock(
    fcreds: dict[str, Any], tether_sandbox: Any, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from tether.store import LockingError, LockingTokenCache

    def prompt(p: Any) -> str:
        from urllib.parse import parse_qs, urlsplit

        oauth_token = parse_qs(urlsplit(p.data["url"]).query)["oauth_token"][0]
        answer = tether_sandbox.approve_flickr(oauth_token=oauth_token, perms="write")
        return str(answer["oauth_verifier"])

    f = flickrapi.FlickrAPI(
        fcreds["api_key"], fcreds["secret"], prompt=prompt, environ={}, **urls(fcreds)
    )
    cache = LockingTokenCache(fcreds["api_key"], path=str(tmp_path), timeout=0.3)
    f.token_cache = cache
    oauth_file = tmp_path / fcreds["api_key"] / "oauth.token"
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import filelock, sys, time\n"
            "lock = filelock.FileLock(sys.argv[1]); lock.acquire()\n"
            "print('held', flush=True); sys.stdin.read()",
            cache.lock_path(),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        # Another process holds the cache: the new token is not written behind its back.
        with pytest.raises(LockingError, match="works in this session"):
            f.authenticate_console("write")
        assert not oauth_file.exists()
    finally:
        holder.communicate("")  # closing stdin ends it, and its lock with it
    token = f.authenticate_console("write")
    assert oauth_file.read_text().strip() == token.dumps()
    assert oct(oauth_file.stat().st_mode & 0o777) == "0o600"


def test_a_shared_cache_never_answers_one_user_with_anothers_entry(
    make_flickr: Any, fcreds: dict[str, Any]
) -> None:
    from tether.core.cache import SimpleCache

    shared = SimpleCache()
    real = fcreds["token"]
    a = make_flickr(fcreds["api_key"], fcreds["secret"], token=real, cache=True, **urls(fcreds))
    a.cache = shared
    mine = a.people_getPhotos(user_id="me", per_page=5)
    assert len(mine.find("photos")) == 5
    # Every Flickr token starts with the same digits; this one differs only at the end.
    other = real[:-4] + ("0000" if not real.endswith("0000") else "1111")
    b = make_flickr(fcreds["api_key"], fcreds["secret"], token=other, cache=True, **urls(fcreds))
    b.cache = shared
    with pytest.raises(flickrapi.FlickrError) as e:
        b.people_getPhotos(user_id="me", per_page=5)
    assert e.value.code == 98  # asked Flickr, which refused the token: not served a's answer


def test_an_empty_cache_object_given_to_the_constructor_is_used(
    make_flickr: Any, fcreds: dict[str, Any], tether_sandbox: Any
) -> None:
    from tether.core.cache import SimpleCache

    mine = SimpleCache()
    assert len(mine) == 0  # falsy: `cache or None` would have dropped it
    f = make_flickr(fcreds["api_key"], fcreds["secret"], cache=mine, **urls(fcreds))
    before = calls_to(tether_sandbox, "flickr.photos.getInfo")
    pid = "90000000000"
    for _ in range(3):
        with pytest.raises(flickrapi.FlickrError):
            f.photos_getInfo(photo_id=pid)  # errors are never cached
    first = f.people_getInfo(user_id=fcreds["user"]["nsid"])
    again = f.people_getInfo(user_id=fcreds["user"]["nsid"])
    assert ET.tostring(first) == ET.tostring(again) and len(mine) == 1
    assert calls_to(tether_sandbox, "flickr.people.getInfo") == 1
    assert calls_to(tether_sandbox, "flickr.photos.getInfo") == before + 3


def test_a_rest_parameter_named_photo_is_signed_and_accepted(legacy: Any) -> None:
    # Only an upload's file field is left out of api_sig; the sandbox checks the rest.
    assert legacy.test_echo(photo="x").findtext("photo") == "x"
