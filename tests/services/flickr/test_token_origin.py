"""Tokens and where they come from, the real client against the real sandbox, sync and async:
a sandbox's tokens are stored apart from real Flickr's and never used against another server;
with TETHER_SANDBOX the sandbox's ready token wins unless the user gave one; a token the
server rejected is forgotten. ``HOME`` is always a temporary folder: never the real ``~``."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.services.flickr.conftest import urls


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    return tmp_path / "home"


def approving(sb: Any, perms: str) -> Callable[[Any], str]:
    """A prompt that approves the pending request token on the sandbox, as the user would."""

    def prompt(p: Any) -> str:
        oauth_token = parse_qs(urlsplit(p.data["url"]).query)["oauth_token"][0]
        return str(sb.approve_flickr(oauth_token=oauth_token, perms=perms)["oauth_verifier"])

    return prompt


def sandbox_folder(home: Path, fcreds: dict[str, Any]) -> Path:
    """The documented place of this sandbox's tokens: ``~/.flickr/<api_key>@<host>%3A<port>``."""
    hostport = urlsplit(fcreds["rest_url"]).netloc
    return home / ".flickr" / f"{fcreds['api_key']}@{hostport.replace(':', '%3A')}"


def test_a_sandbox_login_is_stored_apart_and_never_used_elsewhere(
    make_flickr: Any, fcreds: dict[str, Any], tether_sandbox: Any, home: Path
) -> None:
    key, secret = fcreds["api_key"], fcreds["secret"]
    f = make_flickr(
        key,
        secret,
        prompt=approving(tether_sandbox, "write"),
        token_cache_location=None,  # the default, ~/.flickr
        **urls(fcreds),
    )
    token = f.authenticate_console("write")
    stored = sandbox_folder(home, fcreds) / "oauth.token"
    assert stored.is_file(), sorted(str(p) for p in home.rglob("*"))
    assert stored.read_text().strip() == token.dumps()
    assert not (home / ".flickr" / key).exists()  # real Flickr's folder for this key: untouched
    # A client for real Flickr with the same key finds no token (constructing sends nothing).
    assert make_flickr(key, secret, token_cache_location=None).oauth_token is None
    # Nor does one for another server.
    elsewhere = make_flickr(
        key, secret, token_cache_location=None, rest_url="http://127.0.0.1:9/flickr/services/rest/"
    )
    assert elsewhere.oauth_token is None
    # The same server finds it and it works there.
    again = make_flickr(key, secret, token_cache_location=None, **urls(fcreds))
    assert again.oauth_token is not None and again.oauth_token.token == token.token
    assert again.test_login().find("user").get("id") == fcreds["user"]["nsid"]


def test_with_tether_sandbox_the_ready_token_wins_over_a_stored_one(
    make_flickr: Any, fcreds: dict[str, Any], tether_sandbox: Any, home: Path, tmp_path: Path
) -> None:
    env = {"TETHER_SANDBOX": tether_sandbox.url}
    first = make_flickr(
        "", environ=env, token_cache_location=None, prompt=approving(tether_sandbox, "read")
    )
    first.forget_token()  # then log in for real, with read permission only
    read_only = first.authenticate_console("read")
    assert read_only.access_level == "read" and read_only.token != fcreds["oauth_token"]

    ready = make_flickr("", environ=env, token_cache_location=None)
    assert ready.oauth_token is not None, "no token at all"
    assert ready.oauth_token.token == fcreds["oauth_token"], ready.oauth_token
    assert ready.oauth_token.access_level == "delete"
    photo = tmp_path / "p.jpg"
    photo.write_bytes(b"\xff\xd8" + b"x" * 2000)
    assert ready.upload(str(photo), title="ready").findtext("photoid")
    for p in home.rglob("*"):  # the ready token is never written anywhere
        assert not p.is_file() or fcreds["oauth_token"] not in p.read_text(errors="replace")

    # A token the user gives wins: token=, or a location of their choosing.
    given = make_flickr("", environ=env, token=read_only)
    assert given.oauth_token.token == read_only.token
    chosen = str(tmp_path / "chosen")
    c = make_flickr(
        "", environ=env, token_cache_location=chosen, prompt=approving(tether_sandbox, "read")
    )
    assert c.oauth_token is None  # nothing stored there yet: the user logs in
    mine = c.authenticate_console("read")
    d = make_flickr("", environ=env, token_cache_location=chosen)
    assert d.oauth_token is not None and d.oauth_token.token == mine.token
    assert d.oauth_token.access_level == "read"


def test_a_stored_token_the_server_rejects_is_forgotten(
    make_flickr: Any, fcreds: dict[str, Any], tether_sandbox: Any, tmp_path: Path
) -> None:
    # make_flickr's default location: <tmp>/flickr-tokens, laid out <key>/oauth.token.
    stored = tmp_path / "flickr-tokens" / fcreds["api_key"] / "oauth.token"
    key, secret = fcreds["api_key"], fcreds["secret"]
    f = make_flickr(key, secret, prompt=approving(tether_sandbox, "write"), **urls(fcreds))
    old = f.authenticate_console("write")
    assert stored.read_text().strip() == old.dumps()
    tether_sandbox.control("POST", "/_sandbox/flickr/revoke", {"token": old.token})

    g = make_flickr(key, secret, prompt=approving(tether_sandbox, "write"), **urls(fcreds))
    assert g.oauth_token.token == old.token
    assert g.token_valid("write") is False
    assert not stored.exists(), "a token the server rejected is still stored"
    assert g.oauth_token is None
    new = g.authenticate_console("write")  # logging in again goes through, once
    assert new.token != old.token and stored.read_text().strip() == new.dumps()
    assert make_flickr(key, secret, **urls(fcreds)).token_valid("write") is True


def test_a_token_is_kept_when_only_the_signature_was_refused(
    make_flickr: Any, fcreds: dict[str, Any], tether_sandbox: Any, tmp_path: Path
) -> None:
    """A wrong secret says nothing about the token: forgetting it would lose a good login."""
    stored = tmp_path / "flickr-tokens" / fcreds["api_key"] / "oauth.token"
    key, secret = fcreds["api_key"], fcreds["secret"]
    f = make_flickr(key, secret, prompt=approving(tether_sandbox, "write"), **urls(fcreds))
    token = f.authenticate_console("write")
    wrong = make_flickr(key, "0" * 16, **urls(fcreds))
    assert wrong.token_valid("write") is False
    assert stored.read_text().strip() == token.dumps()
    assert make_flickr(key, secret, **urls(fcreds)).token_valid("write") is True
