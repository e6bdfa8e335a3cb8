"""SimpleCache (fake clock: expiry, culling, membership, Django's interface, threads), cache keys
and the read-only rule."""

from __future__ import annotations

import math
import sys
import threading

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tether.core.cache import (
    CREDENTIAL_PARAMS,
    VOLATILE_PARAMS,
    SimpleCache,
    cache_key,
)
from tether.services.flickr.spec import is_cacheable


class Clock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


@pytest.fixture
def clock() -> Clock:
    return Clock()


# --- expiry ---------------------------------------------------------------------------------


def test_entries_expire_at_their_timeout(clock: Clock) -> None:
    c = SimpleCache(timeout=10, clock=clock)
    c.set("a", 1)
    c.set("b", 2, timeout=100)
    clock.t += 9.999
    assert c.get("a") == 1 and "a" in c
    clock.t += 0.001  # exactly at the deadline: gone
    assert c.get("a") is None and c.get("a", "gone") == "gone" and "a" not in c
    assert c.get("b") == 2 and len(c) == 1


def test_default_timeout_is_300_seconds(clock: Clock) -> None:
    c = SimpleCache(clock=clock)
    assert c.default_timeout == 300 and c.max_entries == 200
    c.set("k", "v")
    clock.t += 299
    assert c.get("k") == "v"
    clock.t += 1
    assert c.get("k") is None


def test_zero_or_negative_timeout_stores_nothing_and_removes(clock: Clock) -> None:
    c = SimpleCache(clock=clock)
    c.set("k", "v")
    c.set("k", "w", timeout=0)
    assert "k" not in c
    assert c.add("k", "x", timeout=-1) is False and "k" not in c


def test_forever(clock: Clock) -> None:
    c = SimpleCache(timeout=None, clock=clock)
    c.set("a", 1)
    c.set("b", 2, timeout=math.inf)
    clock.t += 1e12
    assert c.get("a") == 1 and c.get("b") == 2


def test_a_falsy_value_is_still_a_hit(clock: Clock) -> None:
    c = SimpleCache(clock=clock)
    c.set("k", None)
    c.set("z", 0)
    assert "k" in c and c.get("k", "default") is None and c.get("z") == 0


# --- Django's interface ----------------------------------------------------------------------


def test_add_only_when_absent_or_expired(clock: Clock) -> None:
    c = SimpleCache(clock=clock)
    assert c.add("k", 1, timeout=5) is True
    assert c.add("k", 2) is False and c.get("k") == 1
    clock.t += 5
    assert c.add("k", 3) is True and c.get("k") == 3


def test_get_or_set_and_touch(clock: Clock) -> None:
    c = SimpleCache(timeout=10, clock=clock)
    calls: list[int] = []

    def make() -> str:
        calls.append(1)
        return "made"

    assert c.get_or_set("k", make) == "made" and c.get_or_set("k", make) == "made"
    assert calls == [1]
    assert c.get_or_set("plain", 5) == 5
    clock.t += 8
    assert c.touch("k", timeout=10) is True and c.touch("absent") is False
    clock.t += 8  # 16 s after set, 8 after touch
    assert c.get("k") == "made" and c.get("plain") is None


def test_delete_and_many(clock: Clock) -> None:
    c = SimpleCache(clock=clock)
    assert c.set_many({"x": 1, "y": 2, "z": 3}, timeout=5) == []
    assert c.get_many(["x", "y", "nope"]) == {"x": 1, "y": 2}
    assert c.delete("x") is True and c.delete("x") is False
    c.delete_many(["y", "nope"])
    assert c.get_many(["x", "y", "z"]) == {"z": 3}
    clock.t += 5
    assert c.get_many(["z"]) == {} and c.delete("z") is False
    c.set("a", 1)
    c.clear()
    assert len(c) == 0 and "a" not in c
    c.close()


def test_incr_decr_keep_expiry_and_refuse_missing_keys(clock: Clock) -> None:
    c = SimpleCache(clock=clock)
    c.set("n", 10, timeout=5)
    assert c.incr("n") == 11 and c.incr("n", 5) == 16 and c.decr("n", 6) == 10
    clock.t += 5
    with pytest.raises(ValueError, match="not in the cache"):
        c.incr("n")
    with pytest.raises(ValueError):
        c.decr("never")
    with pytest.raises(ValueError) as e:
        c.incr({"method": "m", "auth_token": "SECRET-TOKEN"})
    assert "SECRET-TOKEN" not in str(e.value)  # FlickrAPI-style keys carry the token


def test_membership_works_unlike_flickrapi(clock: Clock) -> None:
    # FlickrAPI's has_key/in applied repr twice and were always false (flickr.md §8.6).
    c = SimpleCache(clock=clock)
    c.set("k", 1)
    c.set(("tuple", 1), 2)
    assert "k" in c and c.has_key("k") and ("tuple", 1) in c
    assert "other" not in c and not c.has_key("other")


def test_unhashable_keys_work_by_value(clock: Clock) -> None:
    c = SimpleCache(clock=clock)
    c.set({"method": "m", "page": 1}, "body")  # FlickrAPI 2.4 keyed by the params dict
    assert c.get({"method": "m", "page": 1}) == "body" and {"method": "m", "page": 1} in c
    assert c.get({"method": "m", "page": 2}) is None
    assert c.get({"page": 1, "method": "m"}) == "body"  # the same dict, built in another order
    many = c.get_many([{"method": "m", "page": 1}, {"method": "m", "page": 3}])
    assert list(many.values()) == ["body"]  # no TypeError for an unhashable key
    c.delete({"method": "m", "page": 1})
    assert len(c) == 0


def test_get_or_set_computes_outside_the_lock(clock: Clock) -> None:
    c = SimpleCache(clock=clock)
    seen: list[object] = []

    def slow_default() -> str:
        # Another thread's read while the default is being computed must not wait for it.
        t = threading.Thread(target=lambda: seen.append(c.get("other", "free")))
        t.start()
        t.join(timeout=5)
        return "computed"

    assert c.get_or_set("k", slow_default) == "computed"
    assert seen == ["free"] and c.get("k") == "computed"
    assert c.get_or_set("k", lambda: "again") == "computed"  # present: not recomputed


def test_repr_and_bad_arguments(clock: Clock) -> None:
    c = SimpleCache(timeout=7, max_entries=3, clock=clock)
    c.set("a", "secret value")
    assert repr(c) == "SimpleCache(1/3 entries, timeout=7)"
    with pytest.raises(ValueError):
        SimpleCache(max_entries=0)
    with pytest.raises(ValueError):
        SimpleCache(cull_frequency=-1)


# --- culling ----------------------------------------------------------------------------------


def test_culling_drops_expired_first(clock: Clock) -> None:
    c = SimpleCache(timeout=100, max_entries=6, clock=clock)
    c.set("old1", 1, timeout=1)
    c.set("old2", 2, timeout=1)
    for i in range(4):
        c.set(f"k{i}", i)
    clock.t += 2  # old1, old2 expired; nothing live needs to go
    c.set("new", 9)
    assert all(f"k{i}" in c for i in range(4)) and "new" in c and len(c) == 5


def test_culling_then_drops_the_oldest_third(clock: Clock) -> None:
    c = SimpleCache(timeout=100, max_entries=6, clock=clock)
    for i in range(6):
        c.set(f"k{i}", i)
        clock.t += 1
    c.set("k0", "re-set")  # re-setting makes k0 the newest; a known key never culls
    assert len(c) == 6
    c.set("n1", 1)  # full of live entries: the oldest 6 // 3 = 2 go (k1, k2)
    assert "k1" not in c and "k2" not in c
    assert all(k in c for k in ("k0", "k3", "k4", "k5", "n1")) and len(c) == 5


def test_cull_frequency_zero_empties(clock: Clock) -> None:
    c = SimpleCache(max_entries=3, clock=clock, cull_frequency=0)
    for k in "abc":
        c.set(k, 1)
    c.set("d", 1)
    assert len(c) == 1 and "d" in c


def test_max_entries_one(clock: Clock) -> None:
    c = SimpleCache(max_entries=1, clock=clock)
    c.set("a", 1)
    c.set("b", 2)
    assert "a" not in c and c.get("b") == 2


@given(
    st.lists(
        st.tuples(st.integers(0, 30), st.sampled_from([None, 0, 1, 5, 50]), st.floats(0, 3)),
        max_size=200,
    ),
    st.integers(1, 12),
)
def test_never_more_than_max_entries_and_the_newest_is_kept(
    ops: list[tuple[int, float | None, float]], max_entries: int
) -> None:
    clock = Clock()
    c = SimpleCache(timeout=10, max_entries=max_entries, clock=clock)
    for key, timeout, dt in ops:
        clock.t += dt
        c.set(key, key, timeout)
        assert len(c._data) <= max_entries
        if timeout != 0:
            assert c.get(key) == key


# --- threads -----------------------------------------------------------------------------------


def test_threads_share_one_cache_safely() -> None:
    c = SimpleCache()
    c.set("count", 0, timeout=math.inf)
    small = SimpleCache(max_entries=50)  # constantly culling while others read
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(500):
                c.incr("count")
                small.set((n, i), i)
                small.get((n, i - 1))
                small.get_many([(n, i), (n, i - 2)])
                small.add(("shared", i % 7), n)
                assert len(small._data) <= 50
        except BaseException as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads often, so races would actually happen
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == [] and c.get("count") == 8 * 500  # no increment lost
    assert len(small) <= 50


# --- the rule ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "method",
    [
        "flickr.photos.search",
        "flickr.photos.getInfo",
        "flickr.photos.getSizes",
        "flickr.photosets.getList",
        "flickr.photosets.getPhotos",
        "flickr.people.findByEmail",
        "flickr.people.findByUsername",
        "flickr.urls.lookupUser",
        "flickr.test.echo",
        "flickr.reflection.getMethods",
        "flickr.interestingness.getList",
        "flickr.photos.recentlyUpdated",
        "flickr.places.placesForUser",
        "flickr.places.find",
        "photos.search",  # without the prefix
        "users.get",  # VK names follow the same habit
        "wall.get",
    ],
)
def test_reads_are_cacheable(method: str) -> None:
    assert is_cacheable(method) is True


@pytest.mark.parametrize(
    "method",
    [
        "flickr.photos.delete",
        "flickr.photos.setMeta",
        "flickr.photos.setTags",
        "flickr.photos.addTags",
        "flickr.photos.removeTag",
        "flickr.photosets.addPhoto",
        "flickr.photosets.create",
        "flickr.photosets.editPhotos",
        "flickr.favorites.add",
        "flickr.groups.join",
        "flickr.photos.transform.rotate",
        "flickr.auth.getToken",
        "flickr.auth.getFrob",
        "flickr.auth.checkToken",
        "flickr.auth.getFullToken",
        "flickr.auth.oauth.checkToken",
        "flickr.auth.oauth.getAccessToken",
        "auth.getToken",
        "flickr.photos.upload.checkTickets",  # polled until it changes
        "flickr.test.login",
        "flickr.photos.getawayDriver",  # "get" must be a whole word
        "flickr.photos.searchlight",
        "upload",
        "replace",
        "wall.post",
        "execute",
        "",
    ],
)
def test_writes_auth_and_polls_are_never_cacheable(method: str) -> None:
    assert is_cacheable(method) is False


# --- keys --------------------------------------------------------------------------------------


def test_keys_ignore_order_nonces_timestamps_and_signatures() -> None:
    a = cache_key(
        "flickr",
        "flickr.photos.search",
        {"tags": "cat", "api_sig": "1", "oauth_nonce": "x", "oauth_timestamp": "1"},
        "user1",
    )
    b = cache_key(
        "flickr",
        "flickr.photos.search",
        {"oauth_timestamp": "2", "oauth_signature": "s", "tags": "cat", "api_sig": "2"},
        "user1",
    )
    assert a == b == cache_key("flickr", "flickr.photos.search", {"tags": "cat"}, "user1")
    assert a.startswith("tether:flickr:flickr.photos.search:")


def test_keys_separate_users_methods_params_and_services() -> None:
    base = cache_key("flickr", "m", {"tags": "cat"}, "user1")
    others = {
        cache_key("flickr", "m", {"tags": "cat"}, "user2"),
        cache_key("flickr", "m", {"tags": "dog"}, "user1"),
        cache_key("flickr", "m2", {"tags": "cat"}, "user1"),
        cache_key("vk", "m", {"tags": "cat"}, "user1"),
        cache_key("flickr", "m", {"tags": "cat", "page": "2"}, "user1"),
        cache_key("flickr", "m", {"Tags": "cat"}, "user1"),
    }
    assert base not in others and len(others) == 6


def test_credentials_separate_users_but_never_appear() -> None:
    k1 = cache_key("flickr", "m", {"tags": "cat", "auth_token": "TOKEN-ONE-SECRET"})
    k2 = cache_key("flickr", "m", {"tags": "cat", "auth_token": "TOKEN-TWO-SECRET"})
    anon = cache_key("flickr", "m", {"tags": "cat"})
    assert len({k1, k2, anon}) == 3
    assert k1 == cache_key("flickr", "m", {"auth_token": "TOKEN-ONE-SECRET", "tags": "cat"})
    for k in (k1, k2):
        assert "TOKEN" not in k and "SECRET" not in k and "cat" not in k


def test_separators_in_values_cannot_make_keys_collide() -> None:
    pairs = [
        ({"a": "b\0c=d"}, {"a": "b", "c": "d"}),
        ({"a": "b", "c": ""}, {"a": "b\0c="}),
        ({"a=b": "c"}, {"a": "b=c"}),
        ({"a": '","'}, {"a": "", "": ""}),
    ]
    for p, q in pairs:
        assert cache_key("s", "m", p) != cache_key("s", "m", q)
    assert cache_key("s", "m", {}, "a:b") != cache_key("s:a", "m", {}, "b")


def test_keys_are_printable_short_and_label_only_safe_names() -> None:
    k = cache_key("flickr", "bad method\nname", {"q": "x" * 10_000})
    assert k.startswith("tether:flickr:x:") and len(k) < 100 and k.isprintable() and " " not in k
    assert cache_key("flickr", "m", {"n": 5}) == cache_key("flickr", "m", {"n": "5"})
    assert cache_key("s", "m", {"x": b"bytes"}) == cache_key("s", "m", {"x": "bytes"})


def test_extra_exclusions() -> None:
    assert cache_key("s", "m", {"a": "1", "_ts": "1"}, exclude=["_TS"]) == cache_key(
        "s", "m", {"a": "1", "_ts": "2"}, exclude=["_ts"]
    )


names = st.text(min_size=1, max_size=8).filter(
    lambda n: n.lower() not in VOLATILE_PARAMS | CREDENTIAL_PARAMS
)


@given(
    st.dictionaries(names, st.text(max_size=10), max_size=5),
    st.dictionaries(st.sampled_from(sorted(VOLATILE_PARAMS)), st.text(max_size=10)),
)
def test_volatile_params_never_change_the_key(
    params: dict[str, str], noise: dict[str, str]
) -> None:
    assert cache_key("s", "m", {**params, **noise}) == cache_key("s", "m", params)


@given(
    st.dictionaries(names, st.text(max_size=10), min_size=1, max_size=5),
    st.data(),
)
def test_any_real_param_change_changes_the_key(params: dict[str, str], data: st.DataObject) -> None:
    name = data.draw(st.sampled_from(sorted(params)))
    other = data.draw(st.text(max_size=10).filter(lambda v: v != params[name]))
    assert cache_key("s", "m", params) != cache_key("s", "m", {**params, name: other})
