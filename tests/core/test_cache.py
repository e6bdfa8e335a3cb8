from __future__ import annotations

import pytest

from tether.core.cache import SimpleCache, cache_key, is_cacheable


class Clock:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def test_expiry_and_membership() -> None:
    clock = Clock()
    c = SimpleCache(timeout=10, clock=clock)
    c.set("a", 1)
    c.set("b", 2, timeout=100)
    assert "a" in c and c.has_key("a") and c.get("a") == 1
    clock.t = 11
    assert "a" not in c and c.get("a", "gone") == "gone"
    assert c.get("b") == 2 and len(c) == 1


def test_django_interface() -> None:
    c = SimpleCache()
    assert c.add("k", 1) is True and c.add("k", 2) is False and c.get("k") == 1
    c.set_many({"x": 1, "y": 2})
    assert c.get_many(["x", "y", "z"]) == {"x": 1, "y": 2}
    c.delete_many(["x"])
    c.delete("y")
    assert c.get_many(["x", "y"]) == {}
    c.clear()
    assert len(c) == 0


def test_culling_drops_expired_then_oldest() -> None:
    clock = Clock()
    c = SimpleCache(timeout=5, max_entries=6, clock=clock)
    c.set("old1", 1, timeout=1)
    c.set("old2", 2, timeout=1)
    for i in range(4):
        c.set(f"k{i}", i)
    clock.t = 2  # old1, old2 expired
    c.set("new", 9)
    assert "new" in c and all(f"k{i}" in c for i in range(4))
    c.set("n2", 1)
    c.set("n3", 1)  # full with live entries: the oldest third goes
    assert "k0" not in c and "k1" not in c and "n3" in c and "new" in c
    assert len(c) <= 6


def test_bad_size() -> None:
    with pytest.raises(ValueError):
        SimpleCache(max_entries=0)


@pytest.mark.parametrize(
    ("method", "ok"),
    [
        ("flickr.photos.search", True),
        ("flickr.photosets.getList", True),
        ("flickr.photos.getInfo", True),
        ("flickr.test.echo", True),
        ("flickr.photos.setMeta", False),
        ("flickr.photos.delete", False),
        ("flickr.photosets.addPhoto", False),
        ("flickr.auth.getToken", False),
        ("flickr.auth.checkToken", False),
        ("flickr.auth.oauth.checkToken", False),
        ("flickr.photos.upload.checkTickets", True),
    ],
)
def test_only_reads_are_cacheable(method: str, ok: bool) -> None:
    assert is_cacheable(method) is ok


def test_keys_ignore_secrets_and_separate_users() -> None:
    a = cache_key("flickr", "m", {"tags": "cat", "api_sig": "1", "oauth_nonce": "x"}, "user1")
    b = cache_key("flickr", "m", {"oauth_nonce": "y", "tags": "cat", "api_sig": "2"}, "user1")
    assert a == b
    assert a != cache_key("flickr", "m", {"tags": "cat"}, "user2")
    assert a != cache_key("flickr", "m", {"tags": "dog"}, "user1")
    assert "cat" not in a
