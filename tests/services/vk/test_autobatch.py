"""``AsyncAPI(auto_batch=True)``: concurrent awaits packed into ``execute`` requests of at most
25 calls against the VK emulator over loopback (its ``/stats`` counts the requests), the calls
that go alone, the options' errors, and the recoveries of a whole ``execute`` (captcha asked
through ``input``, 9 waited, 1/10 sent again only for reads) and the matching of several
failed inner calls, by hand and on the wire."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.flowdriver import Driver
from tests.services.vk.sandbox.wire import Wire
from tests.services.vk.scripted import answers, client, error, form
from tether.core.errors import UsageError
from tether.services.vk.autobatch import batchable
from tether.services.vk.batch import items, many_flow, split
from tether.services.vk.sandbox.model.auth import USER_TOKEN
from tether.vk import API, AsyncAPI
from tether.vk.exceptions import APIError

# Users asked by screen name (``id5``) are not merged into one users.get (coalesce.py), so
# these calls each stay one inner call of an execute: test_coalesce.py has the merging.
HOSTILE = '"});API.wall.post({message:"pwned"});//\\"\u2028'


def options(wire: Wire, **more: Any) -> dict[str, Any]:
    return wire.client_options(auto_batch=True, **more)


def gather(wire: Wire, make: Any, **more: Any) -> list[Any]:
    """``make(api)`` -> awaitables, gathered on an auto-batching client; exceptions returned."""

    async def main() -> list[Any]:
        async with AsyncAPI(**options(wire, **more)) as api:
            return list(await asyncio.gather(*make(api), return_exceptions=True))

    return asyncio.run(main())


# -- on the wire ---------------------------------------------------------------------------------


def test_100_concurrent_awaits_are_4_executes_with_each_result_in_place(wire: Wire) -> None:
    results = gather(wire, lambda api: [api.users.get(user_ids=f"id{i}") for i in range(1, 101)])
    assert [r[0]["id"] for r in results] == list(range(1, 101))
    assert wire.calls() == {"execute": 4}  # 100 / 25: no plain call, nothing sent twice


def test_a_failing_inner_call_raises_only_for_its_awaiter(wire: Wire) -> None:
    def make(api: Any) -> list[Any]:
        failing = {
            1: lambda: api.friends.get(user_id=13),  # deleted: 18
            3: lambda: api.users.get(user_ids="not-an-id"),  # 113
            5: lambda: api.wall.get(owner_id=666),  # banned: 18
        }
        return [failing.get(i, lambda i=i: api.users.get(user_ids=i + 1))() for i in range(7)]

    results = gather(wire, make)
    failed = {i: (r.error_code, r.method) for i, r in enumerate(results) if isinstance(r, APIError)}
    assert failed == {1: (18, "friends.get"), 3: (113, "users.get"), 5: (18, "wall.get")}
    assert [results[i][0]["id"] for i in (0, 2, 4, 6)] == [1, 3, 5, 7]
    assert wire.calls() == {"execute": 1}


def test_an_injection_attempt_in_a_value_stays_data(wire: Wire) -> None:
    with API(token=USER_TOKEN, api_url=f"{wire.root}/vk/method/", rate_limit=0, environ={}) as api:
        before = api.wall.get(count=1)["count"]
    results = gather(
        wire,
        lambda api: [
            api.utils.resolveScreenName(screen_name=HOSTILE),
            api.wall.post(message=HOSTILE),
            api.users.get(user_ids=1, fields=HOSTILE),
        ],
    )
    assert results[0] == [] and results[1]["post_id"] > 0 and results[2][0]["id"] == 1
    with API(token=USER_TOKEN, api_url=f"{wire.root}/vk/method/", rate_limit=0, environ={}) as api:
        latest = api.wall.get(count=1)
    # One post, with the hostile text verbatim: nothing in the value ran as code.
    assert latest["count"] == before + 1 and latest["items"][0]["text"] == HOSTILE
    assert wire.calls()["execute"] == 1


def test_a_lone_call_is_a_plain_call(wire: Wire) -> None:
    results = gather(wire, lambda api: [api.users.get(user_ids=1)])
    assert results[0][0]["id"] == 1
    assert wire.calls() == {"users.get": 1}


def test_calls_that_must_not_be_batched_go_alone(wire: Wire) -> None:
    def make(api: Any) -> list[Any]:
        return [
            api.users.get(user_ids=1),
            api.messages.getLongPollServer(),  # long poll: alone
            api.users.get(user_ids=2),
            api.call("execute", code="return 7;"),  # execute itself: alone
        ]

    results = gather(wire, make)
    assert results[0][0]["id"] == 1 and results[2][0]["id"] == 2 and results[3] == 7
    assert "key" in results[1]
    # The two users.get merge into one plain users.get of ids 1,2 (coalesce.py).
    assert wire.calls() == {"users.get": 1, "execute": 1, "messages.getLongPollServer": 1}


def test_a_raw_client_batches_nothing(wire: Wire) -> None:
    results = gather(wire, lambda api: [api.users.get(user_ids=f"id{i}") for i in (1, 2)], raw=True)
    assert [r["response"][0]["id"] for r in results] == [1, 2]
    assert wire.calls() == {"users.get": 2}


def test_more_than_25_pending_are_several_packs_and_a_pack_error_stays_in_its_pack(
    wire: Wire,
) -> None:
    # One execute a day: of the two packs (25 + 5) sent together, the second to arrive is 29.
    wire.set("/settings", {"daily_limits": {"execute": 1}})
    results = gather(wire, lambda api: [api.users.get(user_ids=f"id{i}") for i in range(1, 31)])
    failed = [i for i, r in enumerate(results) if isinstance(r, APIError)]
    assert failed in (list(range(25)), list(range(25, 30)))
    assert all(results[i].error_code == 29 for i in failed)
    assert all(results[i][0]["id"] == i + 1 for i in range(30) if i not in failed)
    assert wire.calls() == {"execute": 2}


def test_a_captcha_on_the_execute_is_asked_through_input_and_the_pack_sent_again(
    wire: Wire,
) -> None:
    wire.set("/captcha", {"method": "execute", "count": 1})
    asked: list[str] = []

    class Person:
        @staticmethod
        def ask(field: str, **kw: Any) -> str:
            asked.append(field)
            sid = parse_qs(urlsplit(kw["img"]).query)["sid"][0]
            return str(json.loads(wire.control(f"/captcha/{sid}", verb="GET").body)["key"])

    results = gather(
        wire, lambda api: [api.users.get(user_ids=f"id{i}") for i in (1, 2, 3)], input=Person
    )
    assert [r[0]["id"] for r in results] == [1, 2, 3]
    assert asked == ["captcha"]
    assert wire.calls() == {"execute": 2}  # refused with 14, then sent with the key


def test_flood_control_on_the_execute_is_waited_out(wire: Wire) -> None:
    wire.set("/flood", {"method": "execute", "count": 1})
    results = gather(wire, lambda api: [api.users.get(user_ids=f"id{i}") for i in (1, 2)])
    assert [r[0]["id"] for r in results] == [1, 2]
    assert wire.calls() == {"execute": 2}


def test_an_awaiter_cancelled_before_its_pack_leaves_is_taken_out(wire: Wire) -> None:
    async def main() -> tuple[list[Any], int, int]:
        async with AsyncAPI(**options(wire, auto_batch_window=0.5)) as api:
            before = (await api.wall.get(count=1))["count"]
            tasks = [
                asyncio.ensure_future(api.users.get(user_ids="id1")),
                asyncio.ensure_future(api.wall.post(message="never sent")),
                asyncio.ensure_future(api.users.get(user_ids="id3")),
            ]
            await asyncio.sleep(0)  # each task now waits in the group; the window is open
            tasks[1].cancel()
            results = list(await asyncio.gather(*tasks, return_exceptions=True))
            return results, before, (await api.wall.get(count=1))["count"]

    (first, second, third), before, after = asyncio.run(main())
    assert isinstance(second, asyncio.CancelledError)
    assert first[0]["id"] == 1 and third[0]["id"] == 3
    assert after == before  # the cancelled post was taken out of the pack, not sent
    assert wire.calls() == {"wall.get": 2, "execute": 1}


def test_a_full_pack_leaves_without_waiting_for_the_window(wire: Wire) -> None:
    async def main() -> tuple[int, list[Any]]:
        async with AsyncAPI(**options(wire, auto_batch_window=1.0)) as api:
            tasks = [asyncio.ensure_future(api.users.get(user_ids=f"id{i}")) for i in range(1, 26)]
            await asyncio.sleep(0)
            pending = len(api._auto._groups)  # the 25th call sent the group at once
            return pending, list(await asyncio.gather(*tasks))

    pending, results = asyncio.run(main())
    assert pending == 0 and [r[0]["id"] for r in results] == list(range(1, 26))


# -- options --------------------------------------------------------------------------------------


def test_the_sync_api_refuses_auto_batch_and_says_what_to_use() -> None:
    with pytest.raises(UsageError) as info:
        API("t", auto_batch=True, environ={})
    assert "AsyncAPI" in str(info.value) and "api.batch()" in str(info.value)
    with pytest.raises(UsageError):
        API("t", auto_batch_window=0.01, environ={})
    API("t", auto_batch=False, environ={}).close()  # saying no is no error


@pytest.mark.parametrize("window", [-0.1, 5, "0.01", True])
def test_a_window_must_be_a_few_seconds_at_most(window: Any) -> None:
    with pytest.raises(UsageError):
        AsyncAPI("t", auto_batch=True, auto_batch_window=window, environ={})


def test_a_window_without_auto_batch_is_refused() -> None:
    with pytest.raises(UsageError):
        AsyncAPI("t", auto_batch_window=0.01, environ={})


@pytest.mark.parametrize(
    ("method", "params", "expected"),
    [
        ("users.get", {"user_ids": 1}, True),
        ("wall.post", {"message": "hi"}, True),
        ("execute", {"code": "return 1;"}, False),
        ("execute.myProcedure", {}, False),
        ("auth.signup", {}, False),
        ("secure.sendNotification", {}, False),
        ("photos.getUploadServer", {}, False),
        ("docs.getWallUploadServer", {}, False),
        ("photos.saveWallPhoto", {}, False),
        ("messages.getLongPollServer", {}, False),
        ("messages.getLongPollHistory", {}, False),
        ("groups.getLongPollServer", {}, False),
        ("users.get", {"captcha_sid": "1", "captcha_key": "k"}, False),
        ("users.get", {"access_token": "x"}, False),
        ("users.get", {"client_secret": "x"}, False),
    ],
)
def test_what_goes_alone(method: str, params: dict[str, Any], expected: bool) -> None:
    assert batchable(method, params) is expected


# -- the execute's recoveries and the matching, by hand -------------------------------------------


def test_vk_failing_on_an_execute_of_reads_is_sent_again() -> None:
    api = client()
    reads = [("users.get", {"user_ids": f"id{i}"}) for i in (1, 2)]
    d = Driver(answers(error(10), error(1), {"response": [[1], [2]]}))
    assert d.run(many_flow(api, reads)) == [[1], [2]]
    assert len(d.sent) == 3 and len(d.slept) == 2
    assert all(r.idempotent for r in d.sent)  # a dropped connection is retried too


def test_vk_failing_on_an_execute_with_a_write_is_raised_at_once() -> None:
    api = client()
    mixed = [("users.get", {"user_ids": 1}), ("wall.post", {"message": "x"})]
    d = Driver(answers(error(10)))
    with pytest.raises(APIError) as info:
        d.run(many_flow(api, mixed))
    assert info.value.error_code == 10 and len(d.sent) == 1 and not d.sent[0].idempotent


def test_a_captcha_on_an_execute_is_asked_and_the_same_script_sent_with_its_key() -> None:
    api = client()
    d = Driver(
        answers(error(14, captcha_sid="77", captcha_img="http://x/c?sid=77"), {"response": [1, 2]}),
        prompt=lambda p: "abc",
    )
    assert d.run(many_flow(api, [("users.get", {}), ("users.get", {"user_ids": 2})])) == [1, 2]
    first, again = form(d.sent[0]), form(d.sent[1])
    assert again["code"] == first["code"] and again["captcha_sid"] == "77"
    assert again["captcha_key"] == "abc" and [p.kind for p in d.prompts] == ["captcha"]


def test_several_failed_calls_get_their_own_errors_in_order() -> None:
    chunk = items(
        [
            ("users.get", {"user_ids": "x"}),
            ("friends.get", {"user_id": 13}),
            ("users.get", {"user_ids": 1}),
            ("wall.get", {"owner_id": 666}),
        ]
    )
    answer = {
        "response": [False, False, [{"id": 1}], False],
        "execute_errors": [
            {"method": "users.get", "error_code": 113, "error_msg": "Invalid user id"},
            {"method": "friends.get", "error_code": 18, "error_msg": "deleted"},
            {"method": "wall.get", "error_code": 15, "error_msg": "Access denied"},
        ],
    }
    a, b, c, d = split(answer, chunk)
    assert (a.error_code, a.method) == (113, "users.get")
    assert (b.error_code, b.method) == (18, "friends.get")
    assert c == [{"id": 1}] and (d.error_code, d.method) == (15, "wall.get")


def test_a_false_answer_does_not_shift_later_errors_onto_the_wrong_call() -> None:
    chunk = items([("likes.isLiked", {}), ("wall.get", {"owner_id": 666})])
    answer = {
        "response": [False, False],
        "execute_errors": [{"method": "wall.get", "error_code": 18, "error_msg": "banned"}],
    }
    liked, wall = split(answer, chunk)
    assert liked is False  # the method's own answer: the error names another method
    assert isinstance(wall, APIError) and wall.error_code == 18
