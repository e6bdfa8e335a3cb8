"""The RPC kit driven by hand (method proxy, encoding, cache access, polls), and the one read
rule per service (retries and caching) through the real Flickr client and sandbox."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest

from tests.flowdriver import Driver
from tether.core.cache import ReadRule, SimpleCache
from tether.core.flow import Flow
from tether.flickr import AsyncFlickrAPI
from tether.services.flickr.spec import READS
from tether.services.kit.rpc import MethodProxy, cache_get, cache_set, encode_value, poll


def _no_sends(request: Any) -> Any:
    raise AssertionError("nothing is sent")


def test_method_proxy_builds_the_dotted_name_and_calls_with_it() -> None:
    calls: list[tuple[str, dict[str, Any]]] = []
    api = MethodProxy(lambda name, **kw: calls.append((name, kw)) or "answer", "vk", "VK")
    assert api.users.get(user_ids=1) == "answer"
    assert calls == [("vk.users.get", {"user_ids": 1})]
    assert repr(api.wall.post) == "<VK method vk.wall.post>"
    with pytest.raises(AttributeError):
        _ = api.users._private  # dunder and private lookups are not methods (copy, pickle)


@pytest.mark.parametrize(
    ("value", "text"),
    [(True, "1"), (False, "0"), (b"caf\xc3\xa9", "café"), ([1, "a", True], "1,a,1"), (7, "7")],
)
def test_encode_value(value: Any, text: str) -> None:
    assert encode_value(value) == text


def test_encode_value_with_another_separator() -> None:
    assert encode_value(("a", "b"), sep=" ") == "a b"


class DjangoLikeCache:
    """A cache that may block (as a memcached or database cache does): no ``nonblocking``."""

    def __init__(self) -> None:
        self.data: dict[Any, Any] = {}
        self.threads: list[int] = []

    def get(self, key: Any, default: Any = None) -> Any:
        self.threads.append(threading.get_ident())
        return self.data.get(key, default)

    def set(self, key: Any, value: Any, timeout: Any = None) -> None:
        self.threads.append(threading.get_ident())
        self.data[key] = value


def test_a_cache_that_may_block_is_reached_through_blocking_effects() -> None:
    cache = DjangoLikeCache()
    d = Driver(_no_sends)
    d.run(cache_set(cache, "k", b"v"))
    assert d.run(cache_get(cache, "k")) == b"v"
    assert d.blocking == 2


def test_a_nonblocking_cache_is_called_inline() -> None:
    cache = SimpleCache()
    d = Driver(_no_sends)
    d.run(cache_set(cache, "k", b"v"))
    assert d.run(cache_get(cache, "k")) == b"v"
    assert d.blocking == 0  # no thread hop for a dict under a lock


def test_poll_sleeps_between_checks_and_returns_the_first_value() -> None:
    answers = iter([None, None, "photo-1"])

    def check() -> Flow[str | None]:
        return next(answers)
        yield  # a flow

    d = Driver(_no_sends)
    assert d.run(poll(check, interval=0.5, max_polls=5, what="ticket 1")) == "photo-1"
    assert d.slept == [0.5, 0.5]


def test_poll_gives_up_with_the_services_error() -> None:
    class Pending(Exception):
        pass

    def check() -> Flow[None]:
        return None
        yield

    d = Driver(_no_sends)
    with pytest.raises(Pending, match="ticket 9 still pending after 3 polls"):
        d.run(poll(check, interval=1, max_polls=3, what="ticket 9", pending=Pending))
    assert d.slept == [1, 1]


# --- one read rule ---------------------------------------------------------------------------

VK_LIKE = ReadRule(extra_reads={"newsfeed.recommended"}, volatile={"messages.getLongPollServer"})


@pytest.mark.parametrize(
    ("method", "read", "cacheable"),
    [
        ("users.get", True, True),
        ("newsfeed.recommended", True, True),  # a read its verb does not tell
        ("messages.getLongPollServer", True, False),  # volatile: retried, never cached
        ("auth.checkPhone", True, False),  # credentials and checks are never cached
        ("secure.checkToken", True, False),
        ("wall.post", False, False),
        ("execute", False, False),
        ("photos.getawayCar", False, False),  # "get" must be a whole word
    ],
)
def test_read_rule(method: str, read: bool, cacheable: bool) -> None:
    assert VK_LIKE.is_read(method) is read
    assert VK_LIKE.cacheable(method) is cacheable


def test_flickr_rule_makes_reads_its_verbs_hide_idempotent() -> None:
    # Before one rule, recentlyUpdated was cached as a read but not retried as one.
    assert READS.is_read("flickr.photos.recentlyUpdated")
    assert READS.is_read("photos.recentlyUpdated")  # the prefix may be left out
    assert READS.is_read("flickr.auth.oauth.checkToken")  # retried ...
    assert not READS.cacheable("flickr.auth.oauth.checkToken")  # ... never cached
    assert not READS.is_read("flickr.photos.delete")


def test_async_client_reaches_a_blocking_cache_off_the_event_loop(tether_sandbox) -> None:
    cache = DjangoLikeCache()
    env = {"TETHER_SANDBOX": tether_sandbox.url}

    async def main() -> tuple[int, list[Any]]:
        loop_thread = threading.get_ident()
        async with AsyncFlickrAPI("", environ=env, cache=cache, format="parsed-json") as api:
            first = await api.photos.search(user_id="me")
            second = await api.photos.search(user_id="me")  # from the cache
        return loop_thread, [first["photos"]["total"], second["photos"]["total"]]

    loop_thread, nsids = asyncio.run(main())
    assert nsids[0] == nsids[1] and int(nsids[0]) > 0
    assert len(cache.data) == 1
    assert cache.threads and loop_thread not in cache.threads
    # One call reached the sandbox; the second was served from the cache.
    assert tether_sandbox.stats("flickr")["calls"]["flickr.photos.search"] == 1
