"""Batching through ``execute``: the generated VKScript and its escaping by hand, answers
matched to calls (vk.md §8 V8), the flow driven by hand, then ``api.many``, ``api.batch()``
and ``api.execute`` against the VK emulator over loopback."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.flowdriver import Driver
from tests.services.vk.sandbox.wire import Wire
from tests.services.vk.scripted import answers, client, error, form
from tether.core.errors import UsageError
from tether.services.vk.batch import items, many_flow, script, split
from tether.services.vk.sandbox.execute.serve import run
from tether.vk import API, AsyncAPI
from tether.vk.exceptions import APIError, ReqError

HOSTILE = [
    '"});API.wall.post({message:"pwned"});//',
    "'); return 1; //",
    "\\",
    '\\"',
    "line\nbreak\r\ttab",
    "\u2028\u2029",
    "*/ /* -->",
    "кириллица и emoji \U0001f600",
    "",
]

# -- the script, by hand -------------------------------------------------------------------------


def test_mixed_methods_give_vk_apis_exact_script() -> None:
    chunk = items(
        [
            ("users.get", {"user_ids": 1}),
            ("friends.get", {"user_id": 2, "count": 5}),
            ("wall.get", {"owner_id": 3}),
        ]
    )
    # vk.md §8 V8, with values as a plain call sends them (form text).
    assert script(chunk) == (
        'return [API.users.get({"user_ids":"1"}),API.friends.get({"user_id":"2","count":"5"}),'
        'API.wall.get({"owner_id":"3"})];'
    )


def test_one_method_many_times_gives_the_shorter_loop() -> None:
    chunk = items([("users.get", {"user_ids": i}) for i in range(10)])
    code = script(chunk)
    literal = json.dumps([{"user_ids": str(i)} for i in range(10)], separators=(",", ":"))
    assert code.startswith(f"var p={literal},") and code.count("API.users.get(") == 1
    assert len(code) < len(script(chunk[:9]) + script(chunk[9:]))
    # The emulator's interpreter runs it to the same calls, in order.
    seen: list[Any] = []
    assert run(code, lambda m, p: seen.append((m, p)) or len(seen)).value == list(range(1, 11))
    assert seen == [("users.get", {"user_ids": str(i)}) for i in range(10)]


def test_values_are_encoded_as_a_plain_call_encodes_them() -> None:
    ((_, params),) = items([("users.get", {"user_ids": [1, -2], "x": True, "y": None})])
    assert params == {"user_ids": "1,-2", "x": "1"}


@pytest.mark.parametrize("hostile", HOSTILE)
def test_no_value_can_inject_code(hostile: str) -> None:
    code = script(items([("users.get", {"user_ids": hostile, hostile or "k": "v"})]))
    assert "\u2028" not in code and "\u2029" not in code
    seen: list[Any] = []
    run(code, lambda m, p: seen.append((m, p)))
    assert seen == [("users.get", {"user_ids": hostile, hostile or "k": "v"})]


@pytest.mark.parametrize(
    "bad",
    ["users.get({});API.wall.post", "users", "users.get ", "", "users..get", "execute", 5, None],
)
def test_a_method_name_that_is_not_dotted_words_is_refused(bad: Any) -> None:
    with pytest.raises(UsageError):
        items([(bad, {})])


def test_a_partial_call_names_its_method() -> None:
    api = client()
    assert items([(api.wall.getById, {"posts": "1_1"}), api.account.getInfo]) == [
        ("wall.getById", {"posts": "1_1"}),
        ("account.getInfo", {}),
    ]
    with pytest.raises(UsageError):
        items([("users.get", [1])])


def test_answers_are_matched_to_calls_by_position_as_vk_api_does() -> None:
    chunk = items([("users.get", {"user_ids": i}) for i in (1, 2, 3)])
    answer = {
        "response": [[{"id": 1}], False, [{"id": 3}]],
        "execute_errors": [
            {"method": "users.get", "error_code": 18, "error_msg": "User was deleted or banned"}
        ],
    }
    first, second, third = split(answer, chunk)
    assert first == [{"id": 1}] and third == [{"id": 3}]
    assert isinstance(second, APIError) and second.error_code == 18
    assert second.error_msg == "User was deleted or banned"
    lost = split({"response": [False, 1, 1]}, chunk)[0]
    assert isinstance(lost, APIError) and lost.error_code == -1
    with pytest.raises(ReqError):
        split({"response": [1, 2]}, chunk)


def test_the_flow_by_hand_sends_one_execute_per_25_calls_and_waits_out_6() -> None:
    api = client()
    calls = [("users.get", {"user_ids": f"id{i}"}) for i in range(30)]
    ok25 = {"response": list(range(25))}
    d = Driver(answers(error(6), ok25, {"response": list(range(25, 30))}))
    assert d.run(many_flow(api, calls)) == list(range(30))
    assert [r.url.rsplit("/", 1)[1] for r in d.sent] == ["execute"] * 3
    assert d.slept == [0.3]
    assert form(d.sent[1])["code"].count("API.users.get(") == 1
    d = Driver(answers(error(12, "Unable to compile code: x")))
    with pytest.raises(APIError) as info:
        d.run(many_flow(api, calls[:2]))
    assert info.value.error_code == 12
    assert Driver(answers()).run(many_flow(api, [])) == []


# -- against the emulator ------------------------------------------------------------------------


def sixty(api: Any) -> list[Any]:
    calls: list[Any] = [("users.get", {"user_ids": f"id{i}"}) for i in range(1, 61)]
    calls[41] = (api.friends.get, {"user_id": 13})  # deleted: VK's 18
    return calls


def check_sixty(results: list[Any]) -> None:
    assert len(results) == 60
    for i, r in enumerate(results):
        if i == 41:
            assert isinstance(r, APIError) and r.error_code == 18 and r.method == "friends.get"
        else:
            assert r[0]["id"] == i + 1


def test_many_sends_60_calls_as_3_executes_in_order(wire: Wire) -> None:
    with API(**wire.client_options()) as api:
        check_sixty(api.many(sixty(api)))
    stats = json.loads(wire.control("/stats", verb="GET").body)
    assert stats["calls"] == {"execute": 3}


def test_async_many_sends_the_executes_concurrently(wire: Wire) -> None:
    async def main() -> list[Any]:
        async with AsyncAPI(**wire.client_options()) as api:
            return list(await api.many(sixty(api)))

    check_sixty(asyncio.run(main()))
    assert json.loads(wire.control("/stats", verb="GET").body)["calls"] == {"execute": 3}


def test_hostile_values_arrive_verbatim(wire: Wire) -> None:
    with API(**wire.client_options()) as api:
        results = api.many([("utils.resolveScreenName", {"screen_name": h}) for h in HOSTILE[:-1]])
        assert results == [[]] * (len(HOSTILE) - 1)  # no such names, and nothing else ran
        posts = api.wall.get(count=1)["count"]
        assert api.many([("wall.post", {"message": HOSTILE[0]})])[0]["post_id"] > 0
        latest = api.wall.get(count=1)
    assert latest["count"] == posts + 1 and latest["items"][0]["text"] == HOSTILE[0]


def test_batch_block_gives_results_after_it_ends(wire: Wire) -> None:
    with API(**wire.client_options()) as api:
        with api.batch() as b:
            me = b.users.get(user_ids=1)
            gone = b.call("friends.get", user_id=13)
            with pytest.raises(RuntimeError):
                _ = me.result
            assert not me.ready
        assert me.ok and me.result[0]["id"] == 1
        assert not gone.ok and isinstance(gone.error, APIError) and gone.error.error_code == 18
        with pytest.raises(APIError):
            _ = gone.result
        with pytest.raises(ValueError), api.batch() as b:
            never = b.users.get()
            raise ValueError("nothing is sent")
        assert not never.ready
    assert json.loads(wire.control("/stats", verb="GET").body)["calls"] == {"execute": 1}


def test_async_batch_is_async_with(wire: Wire) -> None:
    async def main() -> Any:
        async with AsyncAPI(**wire.client_options()) as api:
            with pytest.raises(UsageError), api.batch():
                pass
            async with api.batch() as b:
                me = b.users.get(user_ids=1)
            return me.result

    assert asyncio.run(main())[0]["id"] == 1


def test_execute_is_a_plain_call(wire: Wire) -> None:
    with API(**wire.client_options()) as api:
        assert api.execute("return API.users.get({user_ids: 1})[0].id + 1;") == 2
        with pytest.raises(APIError) as info:
            api.execute("return [;")
        assert info.value.error_code == 12
        whole = api.execute("return [API.friends.get({user_id: 13})];", raw=True)
    assert whole["response"] == [False] and whole["execute_errors"][0]["error_code"] == 18
