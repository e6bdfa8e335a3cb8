"""Calls differing only in an id list merged into one (``coalesce.py``): the pure plan and
spread by hand, then ``api.many``, ``api.batch()`` and ``AsyncAPI(auto_batch=True)`` on the VK
emulator, where each call must get exactly what it would have got alone."""

from __future__ import annotations

import asyncio
from typing import Any

from tests.services.vk.sandbox.wire import Wire
from tether.services.vk.batch import items
from tether.services.vk.coalesce import plan, spread
from tether.vk import API, AsyncAPI
from tether.vk.exceptions import APIError

# -- by hand ------------------------------------------------------------------------------------


def test_one_id_calls_of_one_method_and_fields_make_one_unit() -> None:
    calls = items([("users.get", {"user_ids": i, "fields": "bdate"}) for i in (3, 1, 3, 2)])
    units, slots = plan(calls)
    assert units == [("users.get", {"user_ids": "3,1,2", "fields": "bdate"})]  # each id once
    assert slots == [(0, ("3",)), (0, ("1",)), (0, ("3",)), (0, ("2",))]


def test_what_does_not_merge_stays_a_call_of_its_own() -> None:
    calls = items(
        [
            ("users.get", {"user_ids": 1}),
            ("users.get", {"user_ids": 2, "fields": "bdate"}),  # other fields
            ("users.get", {"user_ids": "durov"}),  # a screen name: its answer's id differs
            ("users.get", {}),  # the caller
            ("friends.get", {"user_id": 1}),  # not a mergeable method
            ("users.get", {"user_ids": 3}),
        ]
    )
    units, slots = plan(calls)
    assert units == [
        ("users.get", {"user_ids": "1,3"}),
        ("users.get", {"user_ids": "2", "fields": "bdate"}),
        ("users.get", {"user_ids": "durov"}),
        ("users.get", {}),
        ("friends.get", {"user_id": "1"}),
    ]
    assert [index for index, _ in slots] == [0, 1, 2, 3, 4, 0]


def test_a_unit_holds_at_most_the_methods_limit_of_ids() -> None:
    calls = items(
        [("users.get", {"user_ids": list(range(i * 300, i * 300 + 300))}) for i in range(4)]
    )
    units, slots = plan(calls)
    assert [len(p["user_ids"].split(",")) for _, p in units] == [900, 300]
    assert [index for index, _ in slots] == [0, 0, 0, 1]


def test_spread_gives_each_call_its_own_objects_and_vks_113_for_a_lone_unknown_id() -> None:
    calls = items(
        [
            ("users.get", {"user_ids": [2, 1]}),
            ("users.get", {"user_ids": 9}),  # unknown: left out of the merged answer
            ("users.get", {"user_ids": [9, 8]}),  # unknown ids of a longer list: []
            ("users.get", {"user_ids": [1, 1]}),  # asked twice, answered twice
            ("friends.get", {}),
        ]
    )
    units, slots = plan(calls)
    assert units[0] == ("users.get", {"user_ids": "2,1,9,8"}) and len(units) == 2
    merged = [{"id": 1, "first_name": "A"}, {"id": 2, "first_name": "B"}]
    out = spread(calls, slots, [merged, {"count": 0, "items": []}])
    assert out[0] == [merged[1], merged[0]]
    assert isinstance(out[1], APIError) and (out[1].error_code, out[1].method) == (113, "users.get")
    assert out[2] == [] and out[3] == [merged[0], merged[0]]
    assert out[4] == {"count": 0, "items": []}


def test_an_error_of_the_merged_unit_is_every_members_error() -> None:
    calls = items([("users.get", {"user_ids": i}) for i in (1, 2)])
    units, slots = plan(calls)
    assert len(units) == 1
    error = APIError(error_code=30, error_msg="private", method="users.get")
    assert spread(calls, slots, [error]) == [error, error]


# -- on the emulator -----------------------------------------------------------------------------


def alone(wire: Wire, ids: list[Any]) -> list[Any]:
    """What each ``users.get(user_ids=i, fields=bdate)`` answers when sent by itself."""
    out: list[Any] = []
    with API(**wire.client_options()) as api:
        for i in ids:
            try:
                out.append(api.users.get(user_ids=i, fields="bdate"))
            except APIError as e:
                out.append(("error", e.error_code))
    return out


def shown(results: list[Any]) -> list[Any]:
    return [("error", r.error_code) if isinstance(r, APIError) else r for r in results]


IDS: list[Any] = [*range(1, 40), 999_999_999, [5, 6], [7, 999_999_998], 3]


def test_many_one_id_calls_are_one_plain_users_get_each_answered_as_alone(wire: Wire) -> None:
    expected = alone(wire, IDS)
    assert ("error", 113) in expected  # the unknown id, asked alone
    wire.set("/reset", {})
    wire.set("/rate", {"per_second": 0, "group_per_second": 0})
    with API(**wire.client_options()) as api:
        results = api.many([("users.get", {"user_ids": i, "fields": "bdate"}) for i in IDS])
    assert shown(results) == expected
    assert wire.calls() == {"users.get": 1}  # 43 calls, one request


def test_merged_units_share_executes_with_other_calls(wire: Wire) -> None:
    with API(**wire.client_options()) as api, api.batch() as b:
        people = [b.users.get(user_ids=i) for i in range(1, 601)]
        wall = b.wall.get(owner_id=1, count=1)
    assert [p.result[0]["id"] for p in people] == list(range(1, 601))
    assert wall.result["count"] >= 0
    assert wire.calls() == {"execute": 1}  # one users.get of 600 ids and one wall.get inside


def test_auto_batch_merges_concurrent_awaits(wire: Wire) -> None:
    async def main() -> list[Any]:
        async with AsyncAPI(**wire.client_options(auto_batch=True)) as api:
            awaits = [api.users.get(user_ids=i, fields="bdate") for i in IDS]
            return list(await asyncio.gather(*awaits, return_exceptions=True))

    expected = alone(wire, IDS)
    wire.set("/reset", {})
    wire.set("/rate", {"per_second": 0, "group_per_second": 0})
    assert shown(asyncio.run(main())) == expected
    assert wire.calls() == {"users.get": 1}
