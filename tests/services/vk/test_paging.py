"""``reqn`` (vk.md §4.2) and ``api.walk`` (a lazy, sliceable ``Walk`` on ``OffsetCount``)
over scripted answers: the calls they make, where they stop, what they merge."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.services.vk.scripted import TOKEN, AsyncScripted, Scripted, form, listing
from tether.core.errors import UsageError
from tether.core.messages import Request, Response
from tether.services.vk.helpers import UnsupportedMethod
from tether.vk import API, AsyncAPI
from tether.vk.helpers import reqn


def sync_api(responder: Any, **options: Any) -> tuple[API, Scripted]:
    transport = Scripted(responder)
    return API(TOKEN, transport=transport, environ={}, rate_limit=0, **options), transport


def windows(transport: Scripted) -> list[tuple[int, int]]:
    return [(int(form(r)["offset"]), int(form(r)["count"])) for r in transport.sent]


def test_reqn_asks_pyvks_batches_and_trims_the_last_to_n() -> None:
    api, t = sync_api(listing(12000))
    result = reqn(api.friends.get, n=7000, user_id=1)
    assert windows(t) == [(0, 5000), (5000, 2000)]
    assert result["count"] == 12000 and result["items"] == list(range(7000))
    assert all(form(r)["user_id"] == "1" for r in t.sent)


def test_reqn_without_n_stops_at_the_count_vk_announced() -> None:
    api, t = sync_api(listing(2500))
    result = reqn(api.groups.getMembers, group_id=1)
    assert windows(t) == [(0, 1000), (1000, 1000), (2000, 1000)]
    assert result["items"] == list(range(2500))


def test_reqn_stops_on_a_page_with_no_new_items() -> None:
    def short(request: Request) -> Response:
        # A count that lies: only 3 items exist.
        offset = int(form(request)["offset"])
        items = [1, 2, 3] if offset == 0 else []
        return Response(200, (), json.dumps({"response": {"count": 99, "items": items}}).encode())

    api, t = sync_api(short)
    assert reqn(api.wall.get, batch_size=3, owner_id=1) == {"count": 99, "items": [1, 2, 3]}
    assert windows(t) == [(0, 3), (3, 3)]


def test_reqn_merges_profiles_and_groups_without_duplicates() -> None:
    def extended(request: Request) -> Response:
        offset = int(form(request)["offset"])
        body = {
            "count": 4,
            "items": [offset, offset + 1],
            "profiles": [{"id": 1}, {"id": 10 + offset}],
            "groups": [{"id": -1}],
        }
        return Response(200, (), json.dumps({"response": body}).encode())

    api, _ = sync_api(extended)
    result = reqn(api.wall.get, batch_size=2, owner_id=1, extended=1)
    assert result["items"] == [0, 1, 2, 3]
    assert result["profiles"] == [{"id": 1}, {"id": 10}, {"id": 12}]
    assert result["groups"] == [{"id": -1}]


def test_reqn_of_an_unknown_method_is_a_key_error_unless_batch_size_is_given() -> None:
    api, t = sync_api(listing(5))
    with pytest.raises(KeyError) as e:
        reqn(api.video.getSomething)
    assert isinstance(e.value, UnsupportedMethod) and "batch_size" in str(e.value)
    assert reqn(api.video.getSomething, batch_size=2)["items"] == [0, 1, 2, 3, 4]
    with pytest.raises(UsageError):
        reqn(api.friends.get, n=0)
    assert len(t.sent) == 3


def test_reqn_on_the_async_client_is_awaited() -> None:
    transport = AsyncScripted(listing(12000))

    async def go() -> Any:
        api = AsyncAPI(TOKEN, transport=transport, environ={}, rate_limit=0)
        return await reqn(api.friends.get, n=6000)

    result = asyncio.run(go())
    assert len(result["items"]) == 6000 and len(transport.sent) == 2


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
    def generous(request: Request) -> Response:
        offset = int(form(request)["offset"])
        body = {"count": 23, "items": list(range(offset, offset + 10))}
        return Response(200, (), json.dumps({"response": body}).encode())

    api, t = sync_api(generous)
    assert list(api.walk("wall.get", owner_id=-5, count=10)) == list(range(23))
    assert windows(t) == [(0, 10), (10, 10), (20, 10)]
    assert all(form(r)["owner_id"] == "-5" for r in t.sent)


def test_a_walk_slice_costs_only_the_pages_it_needs() -> None:
    api, t = sync_api(listing(12000))
    assert list(api.walk("friends.get", count=10)[:15]) == list(range(15))
    assert windows(t) == [(0, 10), (10, 10)]
    t.sent.clear()
    assert list(api.walk("friends.get")[:3]) == [0, 1, 2]
    assert windows(t) == [(0, 5000)]  # the method's page size


def test_walk_from_an_offset_and_of_an_empty_listing() -> None:
    api, t = sync_api(listing(7))
    assert list(api.walk("photos.get", offset=5, count=2)) == [5, 6]
    assert windows(t) == [(5, 2)]
    api, t = sync_api(listing(0))
    assert list(api.walk("photos.get")) == [] and len(t.sent) == 1


def test_async_walk() -> None:
    transport = AsyncScripted(listing(25))

    async def go() -> list[Any]:
        api = AsyncAPI(TOKEN, transport=transport, environ={}, rate_limit=0)
        return [x async for x in api.walk("wall.get", owner_id=1, count=10)]

    assert asyncio.run(go()) == list(range(25))
    assert len(transport.sent) == 3
