"""An upload with a token whose permissions are known to be too low is refused before a byte
is sent, with the way out (log in with write permission); unknown permissions are left to
Flickr, as before. The real client against the real sandbox, sync and async."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.services.flickr.conftest import urls
from tether import flickr as flickrapi


def received(sb: Any) -> int:
    return int(sb.control("GET", "/_sandbox/flickr/stats")["bytes_received"])


def photo(tmp_path: Path, size: int = 4_000_000) -> str:
    p = tmp_path / "big.jpg"
    with open(p, "wb") as f:
        f.write(b"\xff\xd8")
        f.truncate(size)  # a sparse file: big for the wire, nothing to generate
    return str(p)


def read_only_oauth(make_flickr: Any, fcreds: dict[str, Any], sb: Any) -> Any:
    def prompt(p: Any) -> str:
        oauth_token = parse_qs(urlsplit(p.data["url"]).query)["oauth_token"][0]
        return str(sb.approve_flickr(oauth_token=oauth_token, perms="read")["oauth_verifier"])

    f = make_flickr(
        fcreds["api_key"], fcreds["secret"], store_token=False, prompt=prompt, **urls(fcreds)
    )
    token = f.authenticate_console("read")
    assert token.access_level == "read"
    return token


def assert_refused_locally(e: pytest.ExceptionInfo[flickrapi.FlickrError], secret: str) -> None:
    assert isinstance(e.value, flickrapi.FlickrAuthError)
    assert e.value.code == 99
    text = str(e.value)
    assert "read" in text and "write" in text
    assert "tether login flickr --perms write" in text
    assert "perms='write'" in text
    assert secret not in text


def test_upload_and_replace_with_a_read_only_oauth_token_send_nothing(
    make_flickr: Any, fcreds: dict[str, Any], tether_sandbox: Any, tmp_path: Path
) -> None:
    token = read_only_oauth(make_flickr, fcreds, tether_sandbox)
    f = make_flickr(fcreds["api_key"], fcreds["secret"], token=token, **urls(fcreds))
    big = photo(tmp_path)
    before = received(tether_sandbox)
    with pytest.raises(flickrapi.FlickrError) as e:
        f.upload(big, title="too big for read")
    assert received(tether_sandbox) == before, "the photo was sent before being refused"
    assert_refused_locally(e, token.token)
    with pytest.raises(flickrapi.FlickrError) as e:
        f.replace(big, "12345")
    assert received(tether_sandbox) == before
    assert_refused_locally(e, token.token)


def test_a_legacy_token_is_refused_once_checktoken_showed_its_perms(
    make_flickr: Any, fcreds: dict[str, Any], tether_sandbox: Any, tmp_path: Path
) -> None:
    key, secret = fcreds["api_key"], fcreds["secret"]
    login = make_flickr(key, secret, store_token=False, **urls(fcreds))
    _, frob = login.get_token_part_one(
        perms="read",
        auth_callback=lambda frob, perms: tether_sandbox.approve_flickr(frob=frob, perms="read"),
    )
    legacy = login.get_token(frob)
    f = make_flickr(key, secret, token=legacy, **urls(fcreds))
    small = photo(tmp_path, 50_000)
    # Its permissions are not known yet: the upload goes out and Flickr refuses it, as before.
    before = received(tether_sandbox)
    with pytest.raises(flickrapi.FlickrError) as e:
        f.upload(small)
    assert e.value.code == 99 and received(tether_sandbox) == before + 50_000
    # checkToken (through get_token_part_one) shows them: now refused before sending.
    assert f.get_token_part_one(perms="read")[0] == legacy
    before = received(tether_sandbox)
    with pytest.raises(flickrapi.FlickrError) as e:
        f.upload(small)
    assert received(tether_sandbox) == before
    assert_refused_locally(e, legacy)


def test_enough_permission_uploads_as_before(
    authed: Any, tether_sandbox: Any, tmp_path: Path
) -> None:
    before = received(tether_sandbox)
    assert authed.upload(photo(tmp_path, 30_000), title="ok").findtext("photoid")
    assert received(tether_sandbox) == before + 30_000
