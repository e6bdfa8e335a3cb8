"""``api.walk`` and ``reqn`` through ``execute``: the pure ``OffsetPacks`` pager by hand, the
pages' script run by the emulator's interpreter, scripted listings that answer ``execute`` (so
each page asked inside a script is seen), then the VK emulator over loopback: 12,000 friends
in one request (the first pack reads the count inside its script), slices that ask less, a
captcha on the ``execute`` answered through ``input``."""

from __future__ import annotations

import asyncio
import json
import math
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.flowdriver import Driver
from tests.services.vk.sandbox.wire import Wire
from tests.services.vk.scripted import TOKEN, AsyncScripted, Listing, Scripted, client, form
from tether.core.errors import UsageError
from tether.core.messages import Request, Response
from tether.core.paging import OffsetPacks, Probe
from tether.services.vk.batch import pages_flow, pages_script, probe_script
from tether.services.vk.sandbox.execute.serve import run
from tether.services.vk.sandbox.methods.base import MethodError
from tether.services.vk.sandbox.methods.users import FRIENDS_MAX
from tether.services.vk.sandbox.model.people import BIG_FRIENDS
from tether.vk import API, AsyncAPI
from tether.vk.exceptions import APIError
from tether.vk.helpers import reqn

# -- the pager, by hand --------------------------------------------------------------------------


def page(offset: int, size: int, total: int) -> dict[str, Any]:
    return {"count": total, "items": list(range(offset, min(total, offset + size)))}


def drain(strategy: OffsetPacks, total: int, limit: int = 1) -> tuple[list[Any], list[Any]]:
    """Every request the pager hands out and every item it yields, over a full listing served
    as VK's scripts serve it: a probe's pages stop at the count its first page gives."""
    pager, asked, got = strategy.start(), [], []
    while requests := pager.requests(limit):
        for offsets in requests:
            asked.append(offsets)
            if isinstance(offsets, Probe):
                offsets = [o for i, o in enumerate(offsets) if i == 0 or o < total]
            got += pager.read([page(o, strategy.page_size, total) for o in offsets])
    return asked, got


def test_the_first_pack_is_a_probe_then_packs_of_at_most_pack() -> None:
    asked, got = drain(OffsetPacks(page_size=10, pack=3), total=75)
    assert asked == [(0, 10, 20), (30, 40, 50), (60, 70)]
    assert [isinstance(a, Probe) for a in asked] == [True, False, False]
    assert got == list(range(75))
    asked, got = drain(OffsetPacks(page_size=5000, pack=25), total=12000)
    assert asked == [tuple(range(0, 125000, 5000))] and got == list(range(12000))  # one request


def test_a_packed_walk_stops_exactly_at_the_first_count() -> None:
    pager = OffsetPacks(page_size=10, pack=25).start()
    (probe,) = pager.requests(5)
    assert probe == tuple(range(0, 250, 10)) and pager.requests(5) == []  # nothing known yet
    # Pages bigger than asked, a later count that grew, pages past the count: all trimmed.
    pages = [
        {"count": 23, "items": list(range(10))},
        {"count": 99, "items": list(range(10, 30))},
        {"count": 99, "items": [20, 21, 22, 23]},
        {"count": 99, "items": [30, 31]},
    ]
    assert pager.read(pages) == list(range(23))
    assert pager.requests(5) == []


def test_a_limit_asks_only_the_windows_its_items_need() -> None:
    asked, got = drain(OffsetPacks(page_size=10, pack=25, limit=35), total=1000)
    assert asked == [(0, 10, 20, 30)] and got == list(range(35))
    asked, got = drain(OffsetPacks(page_size=10, pack=2, limit=35), total=1000)
    assert asked == [(0, 10), (20, 30)] and got == list(range(35))
    asked, got = drain(OffsetPacks(page_size=10, limit=0), total=1000)
    assert asked == [] and got == []
    assert OffsetPacks(10, limit=50).upto(80).limit == 50
    assert OffsetPacks(10).upto(80) == OffsetPacks(10, limit=80)


def test_short_pages_free_room_for_one_more_window() -> None:
    # Deleted items leave pages short: the limit is still met, with one window more.
    pager = OffsetPacks(page_size=10, limit=25).start()
    (probe,) = pager.requests(1)
    assert probe == (0, 10, 20)
    assert len(pager.read([{"count": 100, "items": [0] * 8}] * 3)) == 24
    assert pager.requests(1) == [(30,)]
    assert len(pager.read([{"count": 100, "items": [0] * 10}])) == 1  # 24 + 1 = 25


def test_a_page_missing_from_an_answer_is_empty_and_ends_nothing() -> None:
    pager = OffsetPacks(page_size=2, pack=3, start_at=4).start()
    assert pager.requests(1) == [(4, 6, 8)]
    assert pager.read([{"count": 12, "items": [4, 5]}, "garbage"]) == [4, 5]
    assert pager.requests(1) == [(10,)]
    assert pager.read("garbage") == []
    assert pager.requests(1) == []


def test_bad_packs_are_refused() -> None:
    for bad in ({"page_size": 0}, {"page_size": 1, "pack": 0}, {"page_size": 1, "start_at": -1}):
        with pytest.raises(UsageError):
            OffsetPacks(**bad)
    with pytest.raises(UsageError):
        OffsetPacks(1, limit=-1)
    with pytest.raises(AttributeError):
        OffsetPacks(1).pack = 3  # type: ignore[misc]


# -- the script ----------------------------------------------------------------------------------


def test_even_windows_are_one_small_loop_that_the_interpreter_runs_to_the_right_calls() -> None:
    params = {"owner_id": '-1"});API.wall.post({message:"x"});//', "filter": "all"}
    windows = [(100 + 100 * i, 100) for i in range(24)]
    code = pages_script("wall.get", params, windows)
    assert code.count("r.push(API.wall.get(p))") == 1
    assert len(code) == len(pages_script("wall.get", params, windows[:10]))  # not per page
    seen: list[Any] = []
    run(code, lambda m, p: seen.append((m, p)) or [])
    assert seen == [("wall.get", {**params, "count": "100", "offset": str(o)}) for o, _ in windows]


def test_a_probe_asks_no_page_at_or_past_the_count_its_first_page_gives() -> None:
    params = {"user_id": '1"});API.wall.post({message:"x"});//'}
    windows = [(o, 5000) for o in range(0, 125000, 5000)]
    seen: list[Any] = []

    def friends(total: int) -> Callable[[str, dict[str, str]], Any]:
        def serve(method: str, p: dict[str, str]) -> Any:
            seen.append((method, p))
            return page(int(p["offset"]), int(p["count"]), total)

        return serve

    result = run(probe_script("friends.get", params, windows), friends(12000))
    assert [p["offset"] for _, p in seen] == ["0", "5000", "10000"]
    assert all(m == "friends.get" and p["user_id"] == params["user_id"] for m, p in seen)
    assert [r["items"][0] for r in result.value] == [0, 5000, 10000]
    seen.clear()
    assert len(run(probe_script("friends.get", {}, windows), friends(0)).value) == 1
    # A first page that failed, or that has no count (a plain list), asks nothing more.
    assert run(probe_script("f.get", {}, windows), lambda m, p: [1, 2]).value == [[1, 2]]

    def refuse(method: str, p: dict[str, str]) -> Any:
        raise MethodError(30, "This profile is private")

    failed = run(probe_script("friends.get", {}, windows), refuse)
    assert failed.value == [False] and failed.errors[0]["error_code"] == 30


def test_uneven_windows_are_spelled_out() -> None:
    windows = [(0, 5000), (5000, 2000)]
    seen: list[Any] = []
    run(pages_script("friends.get", {}, windows), lambda m, p: seen.append(p) or [])
    assert seen == [{"offset": "0", "count": "5000"}, {"offset": "5000", "count": "2000"}]


# -- scripted listings that answer execute -------------------------------------------------------


def scripted(listing: Listing) -> tuple[API, Scripted]:
    transport = Scripted(listing)
    return API(TOKEN, transport=transport, environ={}, rate_limit=0), transport


def test_a_walk_asks_25_pages_to_an_execute() -> None:
    listing = Listing(12000)
    api, _ = scripted(listing)
    assert list(api.walk("wall.get", owner_id=-5)) == list(range(12000))
    assert listing.requests == ["execute"] * math.ceil(12000 / 100 / 25)
    assert listing.pages == [(o, 100) for o in range(0, 12000, 100)]


def test_the_walk_stops_exactly_at_count_when_pages_are_generous() -> None:
    listing = Listing(
        serve=lambda offset, size: {"count": 23, "items": list(range(offset, offset + 10))}
    )
    api, _ = scripted(listing)
    assert list(api.walk("wall.get", owner_id=-5, count=10)) == list(range(23))
    assert listing.pages == [(0, 10), (10, 10), (20, 10)]  # the script read the count: 23
    assert listing.requests == ["execute"]


def test_a_walk_slice_asks_only_the_pages_it_needs() -> None:
    listing = Listing(12000)
    api, _ = scripted(listing)
    assert list(api.walk("friends.get", count=10)[:15]) == list(range(15))
    assert listing.pages == [(0, 10), (10, 10)] and listing.requests == ["execute"]
    listing.asked.clear()
    assert list(api.walk("friends.get", count=10)[5:300:7]) == list(range(5, 300, 7))
    assert listing.pages == [(o, 10) for o in range(0, 300, 10)]  # not the whole pack of 25
    listing.asked.clear()
    assert list(api.walk("friends.get")[:3]) == [0, 1, 2] and listing.pages == [(0, 5000)]


def test_an_async_walk_goes_through_execute_too() -> None:
    listing = Listing(25)
    transport = AsyncScripted(listing)

    async def go() -> tuple[list[Any], list[Any]]:
        api = AsyncAPI(TOKEN, transport=transport, environ={}, rate_limit=0)
        return [x async for x in api.walk("wall.get", owner_id=1, count=10)], [
            x async for x in api.walk("wall.get", owner_id=1, count=10)[:12]
        ]

    whole, head = asyncio.run(go())
    assert whole == list(range(25)) and head == list(range(12))
    assert listing.requests == ["execute", "execute"]


def test_a_failed_page_raises_its_own_error() -> None:
    # The pack's pages come in one answer: a failed one raises for the pack (an iteration
    # started again asks them all again).
    def failing(request: Request) -> Response:
        body: Any = {
            "response": [{"count": 30, "items": list(range(10))}, False],
            "execute_errors": [{"method": "wall.get", "error_code": 15, "error_msg": "no"}],
        }
        return Response(200, (), json.dumps(body).encode())

    api = API(TOKEN, transport=Scripted(failing), environ={}, rate_limit=0)
    with pytest.raises(APIError) as info:
        list(api.walk("wall.get", count=10))
    assert info.value.error_code == 15 and info.value.method == "wall.get"


def test_a_pack_too_big_for_one_answer_is_halved() -> None:
    sizes: list[int] = []
    listing = Listing(100_000)

    def responder(request: Request) -> Response:
        code = form(request).get("code")
        if code is not None:
            n = len(run(code, lambda m, p: []).value)
            sizes.append(n)
            if n > 6:
                body = {
                    "error": {
                        "error_code": 13,
                        "error_msg": "Runtime error occurred during "
                        "code invocation: response size is too big",
                    }
                }
                return Response(200, (), json.dumps(body).encode())
        return listing(request)

    windows = [(o, 100) for o in range(0, 2500, 100)]
    pages = Driver(responder).run(pages_flow(client(), "wall.get", {}, windows))
    assert [p["items"][0] for p in pages] == [o for o, _ in windows]
    assert sizes == [25, 12, 6, 6, 13, 6, 7, 3, 4]


@pytest.mark.parametrize("code", [6, 9, 10])
def test_a_page_vk_failed_for_now_is_asked_again_alone_and_the_pack_kept(code: int) -> None:
    failed: list[int] = []

    def serve(offset: int, size: int) -> Any:
        if offset == 300 and not failed:
            failed.append(offset)
            raise MethodError(code, "for now")
        return page(offset, size, 1000)

    listing = Listing(serve=serve)
    api, _ = scripted(listing)
    assert list(api.walk("wall.get", owner_id=1, count=100)) == list(range(1000))
    assert listing.requests == ["execute", "wall.get"]  # the pack, then page 300 alone
    assert listing.pages.count((300, 100)) == 2


def test_a_page_failed_for_good_raises_and_auto_delay_off_asks_nothing_again() -> None:
    def serve(offset: int, size: int) -> Any:
        if offset == 300:
            raise MethodError(6, "Too many requests per second")
        return page(offset, size, 1000)

    listing = Listing(serve=serve)
    api = API(TOKEN, transport=Scripted(listing), environ={}, rate_limit=0, auto_delay=False)
    with pytest.raises(APIError) as info:
        list(api.walk("wall.get", owner_id=1, count=100))
    assert info.value.error_code == 6 and listing.requests == ["execute"]

    def refuse(offset: int, size: int) -> Any:
        raise MethodError(15, "Access denied")

    listing = Listing(serve=refuse)
    with pytest.raises(APIError) as info:
        list(scripted(listing)[0].walk("wall.get", owner_id=1, count=100))
    assert info.value.error_code == 15 and listing.requests == ["execute"]


def test_a_probe_too_big_is_halved_and_stops_at_the_count() -> None:
    listing = Listing(1000)
    sizes: list[int] = []

    def responder(request: Request) -> Response:
        code = form(request).get("code")
        if code is not None:
            n = len(run(code, lambda m, p: page(int(p["offset"]), 100, 1000)).value)
            sizes.append(n)
            if n > 6:
                too_big = "Runtime error occurred during code invocation: response size is too big"
                body = {"error": {"error_code": 13, "error_msg": too_big}}
                return Response(200, (), json.dumps(body).encode())
        return listing(request)

    windows = [(o, 100) for o in range(0, 2500, 100)]
    pages = Driver(responder).run(pages_flow(client(), "wall.get", {}, windows, probe=True))
    # 25 windows, then 12: the script serves 10 (the count is 1000) and is refused; the
    # first 6 as a probe, the next 6 as plain pages; the last 13 are past the count.
    assert sizes == [10, 10, 6, 6]
    assert [p["items"][0] for p in pages[:10]] == list(range(0, 1000, 100))
    assert len(pages) == 12 and pages[10]["items"] == pages[11]["items"] == []


def test_other_execute_errors_of_a_pack_are_raised() -> None:
    def responder(request: Request) -> Response:
        body = {"error": {"error_code": 13, "error_msg": "Runtime error: Method slice"}}
        return Response(200, (), json.dumps(body).encode())

    with pytest.raises(APIError) as info:
        Driver(responder).run(pages_flow(client(), "wall.get", {}, [(0, 10), (10, 10)]))
    assert info.value.error_code == 13


# -- reqn through execute, by hand ---------------------------------------------------------------


def test_reqn_asks_pyvks_windows_inside_executes() -> None:
    listing = Listing(12000)
    api, _ = scripted(listing)
    result = reqn(api.groups.getMembers, n=6500, group_id=1)
    assert result["count"] == 12000 and result["items"] == list(range(6500))
    assert listing.pages == [(o, 1000) for o in range(0, 6000, 1000)] + [(6000, 500)]
    assert listing.requests == ["execute"]
    listing.asked.clear(), listing.requests.clear()
    assert reqn(api.friends.get, n=7000)["items"] == list(range(7000))
    assert listing.pages == [(0, 5000), (5000, 2000)]
    assert listing.requests == ["execute"]
    listing.asked.clear(), listing.requests.clear()
    assert reqn(api.friends.get, n=30000)["items"] == list(range(12000))
    assert listing.requests == ["execute"]  # the count (12,000) stopped it inside


def test_reqn_without_n_stops_at_the_count_and_keeps_the_last_count() -> None:
    listing = Listing(2500)
    api, _ = scripted(listing)
    assert reqn(api.groups.getMembers, group_id=1)["items"] == list(range(2500))
    assert listing.pages == [(0, 1000), (1000, 1000), (2000, 1000)]
    assert listing.requests == ["execute"]


def test_reqn_drops_what_follows_a_page_with_no_new_items() -> None:
    listing = Listing(3, count=lambda offset: 99)  # a count that lies: 3 items exist
    api, _ = scripted(listing)
    assert reqn(api.wall.get, batch_size=3, owner_id=1) == {"count": 99, "items": [0, 1, 2]}
    assert listing.requests == ["execute"]


# -- on the emulator -----------------------------------------------------------------------------


def requests_for(total: int, page_size: int) -> int:
    """25 pages to an execute."""
    return math.ceil(math.ceil(total / page_size) / 25)


def test_12000_friends_in_one_request_stopping_exactly_at_count(wire: Wire) -> None:
    assert len(BIG_FRIENDS) == 12000 and FRIENDS_MAX == 5000
    with API(**wire.client_options()) as api:
        friends = list(api.walk("friends.get"))
    assert friends == list(BIG_FRIENDS)
    assert requests_for(12000, FRIENDS_MAX) == 1
    assert wire.calls() == {"execute": 1}


def test_small_pages_are_25_to_a_request(wire: Wire) -> None:
    with API(**wire.client_options()) as api:
        friends = list(api.walk("friends.get", count=100))
    assert friends == list(BIG_FRIENDS)
    assert wire.calls() == {"execute": requests_for(12000, 100)} == {"execute": 5}


def test_a_slice_fetches_less(wire: Wire) -> None:
    with API(**wire.client_options()) as api:
        assert list(api.walk("friends.get", count=100)[:50]) == list(BIG_FRIENDS[:50])
        assert wire.calls() == {"friends.get": 1}
        assert list(api.walk("friends.get", count=100)[:2600]) == list(BIG_FRIENDS[:2600])
    assert wire.calls() == {"friends.get": 2, "execute": 1}  # 25 pages, then the 26th alone


def test_the_async_walk_on_the_emulator(wire: Wire) -> None:
    async def go() -> list[Any]:
        async with AsyncAPI(**wire.client_options()) as api:
            return [f async for f in api.walk("friends.get", count=1000)]

    assert asyncio.run(go()) == list(BIG_FRIENDS)
    assert wire.calls() == {"execute": 1}


def test_a_captcha_on_a_walks_execute_is_answered_through_input(wire: Wire) -> None:
    wire.set("/captcha", {"method": "execute", "count": 1})
    asked: list[str] = []

    class Person:
        @staticmethod
        def ask(field: str, **kw: Any) -> str:
            asked.append(field)
            sid = parse_qs(urlsplit(kw["img"]).query)["sid"][0]
            return str(json.loads(wire.control(f"/captcha/{sid}", verb="GET").body)["key"])

    with API(**wire.client_options(input=Person)) as api:
        assert len(list(api.walk("friends.get"))) == 12000
    assert asked == ["captcha"]
    assert wire.calls() == {"execute": 2}


def test_a_walk_of_a_deleted_users_friends_raises_vks_error(wire: Wire) -> None:
    with API(**wire.client_options()) as api, pytest.raises(APIError) as info:
        list(api.walk("friends.get", user_id=13))
    assert info.value.error_code == 18


def test_reqn_on_the_emulator(wire: Wire) -> None:
    with API(**wire.client_options()) as api:
        result = reqn(api.friends.get, n=11000)
    assert result["count"] == 12000 and result["items"] == list(BIG_FRIENDS[:11000])
    assert wire.calls() == {"execute": 1}


def test_the_emulator_refuses_a_26th_call_so_packs_stay_at_25() -> None:
    code = pages_script("wall.get", {}, [(o, 1) for o in range(26)])
    with pytest.raises(MethodError) as info:
        run(code, lambda m, p: [])
    assert info.value.code == 13
