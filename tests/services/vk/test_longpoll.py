"""``api.longpoll()`` and ``api.bot_longpoll(group_id)`` (vk.md §4.5): against the sandbox's long
poll servers, sync (``for``) and async (``async for``), events from the control API,
``messages.send`` and ``wall.post``; ``failed`` 1/2/3 recovered; a dropped connection retried;
stopping; and, over scripted answers, the requests sent and every hostile answer."""

from __future__ import annotations

import asyncio
import json
import threading
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.services.vk.scripted import TOKEN, Scripted
from tether.core.errors import ConnectError, UsageError
from tether.core.messages import Request, Response
from tether.vk import API, AsyncAPI
from tether.vk.exceptions import APIError, ReqError, RequestFailed


def env(sb: Any) -> dict[str, str]:
    return {"TETHER_SANDBOX": sb.url}


def inject(sb: Any, **body: Any) -> Any:
    return sb.control("POST", "/_sandbox/vk/longpoll", body)


@pytest.fixture
def sb(tether_sandbox: Any) -> Any:
    tether_sandbox.control("POST", "/_sandbox/vk/rate", {"per_second": 0, "group_per_second": 0})
    return tether_sandbox


def group(sb: Any) -> tuple[str, int]:
    creds = sb.credentials()["vk"]
    return creds["group_token"], creds["group_id"]


def take(lp: Any, n: int) -> list[Any]:
    """The next ``n`` events of ``lp``; fewer if they do not come within 10 s (a failure, not a
    hang: the timer stops the iteration)."""
    timer = threading.Timer(10, lp.stop)
    timer.start()
    try:
        return list(lp[:n])
    finally:
        timer.cancel()


async def atake(lp: Any, n: int) -> list[Any]:
    """``take`` for ``async for``."""
    handle = asyncio.get_running_loop().call_later(10, lp.stop)
    try:
        return [e async for e in lp[:n]]
    finally:
        handle.cancel()


# -- user long poll ---------------------------------------------------------------------------


def test_user_events_from_control_and_messages_send_arrive_in_order(sb: Any) -> None:
    _, gid = group(sb)
    with API(environ=env(sb), rate_limit=0) as api:
        lp = api.longpoll(wait=0)
        assert lp.check() == []  # the server is opened: events count from here
        inject(sb, events=[[80, 1]])
        sent = api.messages.send(peer_id=-gid, message="hi", random_id=1)
        inject(sb, events=[[8, -101, 7, 1700000000]])
        events = take(lp, 3)
    assert [e.type for e in events] == ["messages_counter_update", "message_new", "user_online"]
    assert events[0] == {"count": 1, "raw": [80, 1], "code": 80, "type": "messages_counter_update"}
    message = events[1]
    assert (message.code, message.message_id, message.peer_id, message.text) == (
        4,
        sent,
        -gid,
        "hi",
    )
    assert message.from_me is True and message.raw[:2] == [4, sent]
    assert events[2].user_id == 101  # VK sends minus the friend's id
    assert lp.stats.servers == 1 and lp.stats.events == 3


def test_the_async_twin_delivers_the_same_with_async_for(sb: Any) -> None:
    _, gid = group(sb)

    async def main() -> tuple[list[Any], Any]:
        async with AsyncAPI(environ=env(sb), rate_limit=0) as api:
            lp = api.longpoll(wait=0)
            assert await lp.check() == []
            inject(sb, events=[[80, 1]])
            await api.messages.send(peer_id=-gid, message="async hi", random_id=2)
            got = []
            handle = asyncio.get_running_loop().call_later(10, lp.stop)  # a failure, not a hang
            async for event in lp:
                got.append(event)
                if len(got) == 2:
                    break
            handle.cancel()
            return got, lp

    events, lp = asyncio.run(main())
    assert [e.type for e in events] == ["messages_counter_update", "message_new"]
    assert events[1].text == "async hi" and events[1].from_me
    assert lp.stats.polls >= 1 and lp.stats.servers == 1


def test_a_community_token_reads_its_messages_on_the_user_server(sb: Any) -> None:
    token, gid = group(sb)
    with (
        API(token, environ=env(sb), rate_limit=0) as community,
        API(environ=env(sb), rate_limit=0) as user,
    ):
        lp = community.longpoll(group_id=gid, wait=0)
        lp.check()
        sent = user.messages.send(peer_id=-gid, message="to the community", random_id=3)
        (event,) = take(lp, 1)
    assert event.type == "message_new" and event.message_id == sent
    assert event.from_me is False and event.peer_id == user.users.get()[0]["id"]


# -- bots long poll ---------------------------------------------------------------------------


def test_bot_events_from_messages_send_and_wall_post(sb: Any) -> None:
    token, gid = group(sb)
    with (
        API(token, environ=env(sb), rate_limit=0) as bot,
        API(environ=env(sb), rate_limit=0) as user,
    ):
        lp = bot.bot_longpoll(gid, wait=0)
        assert lp.check() == [] and isinstance(lp.ts, str)
        user.messages.send(peer_id=-gid, message="hello bot", random_id=4)
        post = user.wall.post(owner_id=-gid, from_group=1, message="news")
        inject(sb, events=[{"type": "group_join", "object": {"user_id": 7, "join_type": "join"}}])
        events = take(lp, 3)
    assert [e.type for e in events] == ["message_new", "wall_post_new", "group_join"]
    assert all(e.group_id == gid for e in events)
    assert events[0].object["message"]["text"] == "hello bot"
    assert events[1].object["id"] == post["post_id"] and events[1]["object"]["text"] == "news"


def test_async_bot_long_poll(sb: Any) -> None:
    token, gid = group(sb)

    async def main() -> list[Any]:
        async with AsyncAPI(token, environ=env(sb), rate_limit=0) as bot:
            lp = bot.bot_longpoll(gid, wait=0)
            await lp.check()
            inject(sb, events=[{"type": "message_typing_state", "object": {"state": "typing"}}])
            await bot.messages.send(user_id=100, message="reply", random_id=5)
            return await atake(lp, 2)

    events = asyncio.run(main())
    assert [e.type for e in events] == ["message_typing_state", "message_reply"]
    assert events[1].object["text"] == "reply" and events[1].object["out"] == 1


# -- failed answers, recovered ----------------------------------------------------------------


def test_failed_1_2_3_are_each_recovered(sb: Any) -> None:
    with API(environ=env(sb), rate_limit=0) as api:
        lp = api.longpoll(wait=0)
        assert lp.check() == []
        start = lp.ts
        assert isinstance(start, int)

        inject(sb, events=[[80, 1]], fail=2)  # key expired: a new key, the same ts
        assert [e["count"] for e in lp.check()] == [1]
        assert lp.stats.failed == {2: 1} and lp.stats.servers == 2 and lp.ts == start + 1

        inject(sb, events=[[80, 2]], fail=1)  # history lost: the ts given, no new key
        assert lp.check() == []
        assert lp.stats.failed[1] == 1 and lp.stats.servers == 2 and lp.ts == start + 2

        inject(sb, events=[[80, 3]], fail=3)  # information lost: a new key and ts
        assert lp.check() == []
        assert lp.stats.failed[3] == 1 and lp.stats.servers == 3 and lp.ts == start + 3

        inject(sb, events=[[80, 4]])
        assert [e["count"] for e in lp.check()] == [4]
    stats = sb.control("GET", "/_sandbox/vk/longpoll")["stats"]
    assert (stats["failed_1"], stats["failed_2"], stats["failed_3"]) == (1, 1, 1)


def test_the_async_twin_recovers_too(sb: Any) -> None:
    token, gid = group(sb)

    async def main() -> tuple[list[Any], list[Any], Any]:
        async with AsyncAPI(token, environ=env(sb), rate_limit=0) as bot:
            lp = bot.bot_longpoll(gid, wait=0)
            await lp.check()
            inject(sb, events=[{"type": "a", "object": {}}], fail=2)
            kept = await lp.check()  # failed 2: the ts holds, "a" arrives
            inject(sb, events=[{"type": "b", "object": {}}], fail=3)
            lost = await lp.check()  # failed 3: a new ts, past "b"
            inject(sb, events=[{"type": "c", "object": {}}])
            return kept + lost + await atake(lp, 1), lost, lp

    events, lost, lp = asyncio.run(main())
    assert [e.type for e in events] == ["a", "c"] and lost == []
    assert lp.stats.failed == {2: 1, 3: 1} and lp.stats.servers == 3


def test_a_dropped_connection_is_retried(sb: Any) -> None:
    with API(environ=env(sb), rate_limit=0) as api:
        lp = api.longpoll(wait=0)
        lp.check()
        sb.set_faults(service="vk", path_prefix="/vk/longpoll", drop="before", count=1)
        inject(sb, events=[[80, 5]])
        assert [e["count"] for e in lp.check()] == [5]
    assert sb.faults() == []  # the fault was spent: the poll was sent twice


# -- stopping ---------------------------------------------------------------------------------


def test_stop_and_break_end_an_iteration_and_lose_no_event(sb: Any) -> None:
    with API(environ=env(sb), rate_limit=0) as api:
        lp = api.longpoll(wait=0)
        lp.check()
        inject(sb, events=[[80, n] for n in range(1, 6)])
        seen = []
        for event in lp:
            seen.append(event["count"])
            if len(seen) == 2:
                lp.stop()
        assert seen == [1, 2]
        for event in lp.listen():  # iterating again resumes where the last one stopped
            seen.append(event["count"])
            break
        assert seen == [1, 2, 3]
        assert [e["count"] for e in lp.check()] == [4, 5]  # check() drains what is left
        assert lp.stats.polls == 2


def test_a_poll_after_its_wait_answers_nothing(sb: Any) -> None:
    with API(environ=env(sb), rate_limit=0) as api:
        lp = api.longpoll(wait=1)
        lp.check()
        ts = lp.ts
        assert lp.check() == [] and lp.ts == ts and lp.stats.polls == 2


def test_misuse_is_a_usage_error(sb: Any) -> None:
    with API(environ=env(sb), rate_limit=0) as api:
        with pytest.raises(UsageError, match="wait"):
            api.longpoll(wait=91)
        with pytest.raises(UsageError, match="group_id"):
            api.bot_longpoll(0)
        with pytest.raises(APIError) as info:  # a community the user does not administer
            api.bot_longpoll(1, wait=0).check()
        assert info.value.error_code == 15

    async def main() -> None:
        async with AsyncAPI(environ=env(sb)) as api:
            with pytest.raises(UsageError, match="async for"):
                iter(api.longpoll())

    asyncio.run(main())


# -- scripted answers: the requests, and hostile answers --------------------------------------

KEY = "K" * 40


def scripted(*polls: Any, server: Any = None) -> tuple[API, Scripted]:
    """A client whose getLongPollServer calls answer ``server`` (default: key ``KEY``, ts 5)
    and whose polls answer ``polls`` in turn (dicts as JSON, bytes or Responses as is)."""
    queue = list(polls)
    answer = server or {"key": KEY, "server": "lp.vk.test/im7", "ts": 5, "pts": 9}

    def respond(request: Request) -> Response:
        if "/method/" in request.url:
            body = {"response": answer(request) if callable(answer) else answer}
            return Response(200, (), json.dumps(body).encode())
        item = queue.pop(0)
        if isinstance(item, Exception):
            raise item
        if isinstance(item, Response):
            return item
        return Response(200, (), item if isinstance(item, bytes) else json.dumps(item).encode())

    transport = Scripted(respond)
    return API(TOKEN, transport=transport, environ={}, rate_limit=0), transport


def polls(transport: Scripted) -> list[dict[str, str]]:
    return [
        {"host": urlsplit(r.url).netloc, **dict(parse_qsl(urlsplit(r.url).query))}
        for r in transport.sent
        if "/method/" not in r.url
    ]


def test_the_user_poll_is_vk_apis_request_on_https() -> None:
    api, t = scripted({"ts": 6, "updates": [[4, 1, 1, 7, 0, "x", {}, {}]]})
    lp = api.longpoll()
    (event,) = lp.check()
    (sent,) = [r for r in t.sent if "/method/" not in r.url]
    assert sent.url.startswith("https://lp.vk.test/im7?")  # VK's server has no scheme
    assert polls(t) == [
        {
            "host": "lp.vk.test",
            "act": "a_check",
            "key": KEY,
            "ts": "5",
            "wait": "25",
            "mode": "234",
            "version": "3",
        }
    ]
    assert sent.timeout == 35 and sent.is_idempotent
    assert (lp.ts, lp.pts, event.from_me) == (6, 9, False)


def test_failed_2_keeps_the_ts_and_failed_3_takes_the_new_one() -> None:
    keys = iter([("A", 5), ("B", 50), ("C", 500)])

    def server(request: Request) -> dict[str, Any]:
        key, ts = next(keys)
        return {"key": key, "server": "https://lp.vk.test/wh5", "ts": str(ts)}

    api, t = scripted(
        {"failed": 2},
        {"failed": 1, "ts": "7"},
        {"failed": 3},
        {"ts": "501", "updates": []},
        server=server,
    )
    assert api.bot_longpoll(5).check() == []
    assert [(p["key"], p["ts"]) for p in polls(t)] == [
        ("A", "5"),
        ("B", "5"),
        ("B", "7"),
        ("C", "500"),
    ]
    assert all("mode" not in p and "version" not in p for p in polls(t))


@pytest.mark.parametrize(
    ("answer", "words"),
    [
        (b"<html>502 Bad Gateway</html>", "not a long poll answer"),
        (Response(404, (), b'{"ts": 1, "updates": []}'), "HTTP 404"),
        ([1, 2], "not a long poll answer"),
        ({"ts": 6, "updates": "nope"}, "not arrays with a code"),
        ({"ts": 6, "updates": [{"type": "x"}]}, "not arrays with a code"),
        ({"ts": None, "updates": []}, "no usable ts"),
        ({"failed": 4, "min_version": 0, "max_version": 3}, "long poll version"),
        ({"failed": "x"}, "does not know"),
    ],
)
def test_a_hostile_answer_is_a_clear_req_error(answer: Any, words: str) -> None:
    api, _ = scripted(answer)
    lp = api.longpoll()
    with pytest.raises(ReqError, match=words) as info:
        lp.check()
    assert KEY not in str(info.value) and KEY not in repr(lp)


def test_a_server_that_fails_forever_is_given_up() -> None:
    api, t = scripted(*[{"failed": 1, "ts": 5}] * 10)
    with pytest.raises(ReqError, match="6 times in a row"):
        api.longpoll().check()
    assert len(polls(t)) == 6


def test_a_step_answer_without_key_or_server_is_a_req_error() -> None:
    api, _ = scripted(server={"server": "lp.vk.test/im"})
    with pytest.raises(ReqError, match="no long poll key"):
        api.longpoll().check()


def test_no_answer_after_the_retries_is_request_failed() -> None:
    api, t = scripted(ConnectError("refused"))
    api = API(TOKEN, transport=t, environ={}, rate_limit=0, retry=False)
    with pytest.raises(RequestFailed, match="VK long poll") as info:
        api.longpoll().check()
    assert KEY not in str(info.value)
