"""``reqn`` (vk.md §4.2) and ``api.walk`` (a lazy, sliceable ``Walk`` on ``OffsetPacks``)
over scripted listings that answer ``execute`` too: the pages they ask (inside scripts too),
the requests that takes, where they stop, what they merge."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tests.services.vk.scripted import TOKEN, AsyncScripted, Listing, Scripted
from tether.core.errors import UsageError
from tether.services.vk.helpers import UnsupportedMethod
from tether.vk import API, AsyncAPI
from tether.vk.helpers import reqn


def sync_api(listing: Listing, **options: Any) -> API:
    return API(TOKEN, transport=Scripted(listing), environ={}, rate_limit=0, **options)


def test_reqn_asks_pyvks_batches_and_trims_the_last_to_n() -> None:
    listing = Listing(12000)
    result = reqn(sync_api(listing).friends.get, n=7000, user_id=1)
    assert listing.pages == [(0, 5000), (5000, 2000)] and listing.requests == ["execute"]
    assert result["count"] == 12000 and result["items"] == list(range(7000))
    assert all(p["user_id"] == "1" for p in listing.asked)


def test_reqn_without_n_stops_at_the_count_vk_announced() -> None:
    listing = Listing(2500)
    result = reqn(sync_api(listing).groups.getMembers, group_id=1)
    assert listing.pages == [(0, 1000), (1000, 1000), (2000, 1000)]
    assert result["items"] == list(range(2500))


def test_reqn_stops_on_a_page_with_no_new_items() -> None:
    # A count that lies: only 3 items exist. The pages one script asked beyond are dropped.
    listing = Listing(serve=lambda offset, size: {"count": 99, "items": [1, 2, 3][offset:]})
    api = sync_api(listing)
    assert reqn(api.wall.get, batch_size=3, owner_id=1) == {"count": 99, "items": [1, 2, 3]}
    assert listing.pages[:2] == [(0, 3), (3, 3)] and listing.requests == ["execute"]


def test_reqn_merges_profiles_and_groups_without_duplicates() -> None:
    def extended(offset: int, size: int) -> Any:
        return {
            "count": 4,
            "items": [offset, offset + 1],
            "profiles": [{"id": 1}, {"id": 10 + offset}],
            "groups": [{"id": -1}],
        }

    api = sync_api(Listing(serve=extended))
    result = reqn(api.wall.get, batch_size=2, owner_id=1, extended=1)
    assert result["items"] == [0, 1, 2, 3]
    assert result["profiles"] == [{"id": 1}, {"id": 10}, {"id": 12}]
    assert result["groups"] == [{"id": -1}]


def test_reqn_of_an_unknown_method_is_a_key_error_unless_batch_size_is_given() -> None:
    listing = Listing(5)
    api = sync_api(listing)
    with pytest.raises(KeyError) as e:
        reqn(api.video.getSomething)
    assert isinstance(e.value, UnsupportedMethod) and "batch_size" in str(e.value)
    assert reqn(api.video.getSomething, batch_size=2)["items"] == [0, 1, 2, 3, 4]
    with pytest.raises(UsageError):
        reqn(api.friends.get, n=0)
    assert listing.pages == [(0, 2), (2, 2), (4, 2)] and listing.requests == ["execute"]


def test_reqn_on_the_async_client_is_awaited() -> None:
    listing = Listing(12000)
    transport = AsyncScripted(listing)

    async def go() -> Any:
        api = AsyncAPI(TOKEN, transport=transport, environ={}, rate_limit=0)
        return await reqn(api.friends.get, n=6000)

    result = asyncio.run(go())
    assert result["items"] == list(range(6000)) and len(transport.sent) == 1
    assert listing.pages == [(0, 5000), (5000, 1000)]


def test_reqn_works_on_any_callable_with_a_method_name() -> None:
    calls: list[dict[str, Any]] = []

    class Partial:
        method = "friends.get"

        def __call__(self, **kw: Any) -> Any:
            calls.append(kw)
            return {"count": 3, "items": [1, 2, 3][kw["offset"] : kw["offset"] + kw["count"]]}

    assert reqn(Partial(), batch_size=2) == {"count": 3, "items": [1, 2, 3]}
    assert calls == [{"offset": 0, "count": 2}, {"offset": 2, "count": 2}]


def test_walk_stops_exactly_at_count() -> None:
    # The server answers whole pages past the count: the walk still yields 23 items.
    listing = Listing(
        serve=lambda offset, size: {"count": 23, "items": list(range(offset, offset + 10))}
    )
    api = sync_api(listing)
    assert list(api.walk("wall.get", owner_id=-5, count=10)) == list(range(23))
    assert listing.pages == [(0, 10), (10, 10), (20, 10)] and listing.requests == ["execute"]
    assert all(p["owner_id"] == "-5" for p in listing.asked)


def test_a_walk_slice_costs_only_the_pages_it_needs() -> None:
    listing = Listing(12000)
    api = sync_api(listing)
    assert list(api.walk("friends.get", count=10)[:15]) == list(range(15))
    assert listing.pages == [(0, 10), (10, 10)]
    listing.asked.clear()
    assert list(api.walk("friends.get")[:3]) == [0, 1, 2]
    assert listing.pages == [(0, 5000)]  # the method's page size
    assert listing.requests == ["execute", "friends.get"]  # one page: a plain call


def test_walk_from_an_offset_and_of_an_empty_listing() -> None:
    listing = Listing(7)
    assert list(sync_api(listing).walk("photos.get", offset=5, count=2)) == [5, 6]
    assert listing.pages == [(5, 2)]
    listing = Listing(0)
    assert list(sync_api(listing).walk("photos.get")) == [] and listing.pages == [(0, 1000)]


def test_async_walk() -> None:
    listing = Listing(25)
    transport = AsyncScripted(listing)

    async def go() -> list[Any]:
        api = AsyncAPI(TOKEN, transport=transport, environ={}, rate_limit=0)
        return [x async for x in api.walk("wall.get", owner_id=1, count=10)]

    assert asyncio.run(go()) == list(range(25))
    assert listing.pages == [(0, 10), (10, 10), (20, 10)] and len(transport.sent) == 1
