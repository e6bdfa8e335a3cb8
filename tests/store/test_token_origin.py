"""Where ``TokenCache`` puts tokens of servers other than real Flickr (the sandbox, a proxy):
apart from real ones under the default ``~/.flickr``, keyed by the server's host and port."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tether.store import LockingTokenCache, TokenCache

KEY = "7f3c2a9e5b1d4c8fa0e6b2d9c4f1a8e3"


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HOME", str(tmp_path))  # the default ~/.flickr, never the real one
    return tmp_path


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        ("https://api.flickr.com/services/rest/", None),
        ("http://api.flickr.com/services/rest/", None),  # FlickrAPI 1.x's plain-HTTP endpoint
        ("https://www.flickr.com/services/rest/", None),
        ("https://API.Flickr.COM:443/services/rest/", None),
        ("https://flickr.com/services/rest/", None),
        ("http://127.0.0.1:8765/flickr/services/rest/", "127.0.0.1:8765"),
        ("http://LocalHost:9/flickr/services/rest/", "localhost:9"),
        ("https://proxy.example/services/rest/", "proxy.example:443"),
        ("http://proxy.example/services/rest/", "proxy.example:80"),
        ("http://[::1]:8765/flickr/services/rest/", "[::1]:8765"),
        ("https://notflickr.com/services/rest/", "notflickr.com:443"),
        ("https://api.flickr.com.evil.example/services/rest/", "api.flickr.com.evil.example:443"),
    ],
)
def test_origin_of_a_rest_endpoint(url: str, origin: str | None) -> None:
    assert TokenCache.origin_of(url) == origin


def test_real_flickr_tokens_keep_their_path(home: Path) -> None:
    cache = TokenCache(KEY)
    assert cache.token_path() == str(home / ".flickr" / KEY / "auth.token")
    assert TokenCache(KEY, origin=None).token_path() == cache.token_path()


def test_tokens_of_another_server_sit_apart_under_the_default_path(home: Path) -> None:
    real = TokenCache(KEY)
    sandbox = TokenCache(KEY, origin="127.0.0.1:8765")
    other = TokenCache(KEY, origin="127.0.0.1:8766")
    assert sandbox.token_path() == str(home / ".flickr" / f"{KEY}@127.0.0.1%3A8765" / "auth.token")
    sandbox.token = "72157600000000001-sandbox"
    assert real.token is None and other.token is None
    real.token = "72157600000000002-real"
    assert sandbox.token == "72157600000000001-sandbox"
    assert sorted(os.listdir(home / ".flickr")) == sorted([KEY, f"{KEY}@127.0.0.1%3A8765"])
    # With a user name: the same folder, the seed's per-user file name.
    bob = TokenCache(KEY, "bob", origin="127.0.0.1:8765")
    assert bob.token_path() == str(home / ".flickr" / f"{KEY}@127.0.0.1%3A8765" / "auth-bob.token")


def test_a_chosen_path_is_laid_out_as_flickrapi_does(home: Path, tmp_path: Path) -> None:
    chosen = tmp_path / "mine"
    at_start = TokenCache(KEY, path=str(chosen), origin="127.0.0.1:8765")
    assert at_start.token_path() == str(chosen / KEY / "auth.token")
    later = TokenCache(KEY, origin="127.0.0.1:8765")
    later.path = str(chosen)  # the seed's flickr.token.path = ...
    assert later.token_path() == str(chosen / KEY / "auth.token")
    assert later.origin == "127.0.0.1:8765"


def test_the_origin_cannot_name_a_file_elsewhere(home: Path) -> None:
    cache = TokenCache(KEY, origin="../../x/y")
    path = Path(cache.token_path())
    assert path.parent.parent == home / ".flickr"
    cache.token = "t"
    assert [p.name for p in (home / ".flickr").iterdir()] == [path.parent.name]


def test_the_locking_cache_keeps_its_lock_beside_the_token(home: Path) -> None:
    cache = LockingTokenCache(KEY, origin="127.0.0.1:8765", timeout=1)
    with cache:
        cache.token = "t"
    assert cache.lock_path() == cache.token_path() + ".lock"
    assert Path(cache.token_path()).parent.name == f"{KEY}@127.0.0.1%3A8765"
    assert "127.0.0.1%3A8765" in repr(cache) and "'t'" not in repr(cache)


def _escape_by_loop(text: str) -> str:
    """The escaping rule written out plainly, character by character."""
    out = []
    for i, ch in enumerate(text):
        if ch in "%/\\:" or ord(ch) < 0x20 or ord(ch) == 0x7F or (i == 0 and ch == "."):
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


@given(st.text(min_size=1))
def test_escaping_fast_path_matches_the_rule(text: str) -> None:
    from tether.store.tokens import _escape_name

    assert _escape_name(text, "a name") == _escape_by_loop(text)
