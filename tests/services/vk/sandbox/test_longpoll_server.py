"""The emulator's long poll servers by hand over loopback (vk.md §4.5): the two step methods,
events from the control API, ``messages.send`` and ``wall.post``, the ``failed`` answers,
waiting without blocking the event loop, the control route's checks and reset."""

from __future__ import annotations

import threading
import time
from typing import Any
from urllib.parse import urlencode, urlsplit

from tests.services.vk.sandbox.wire import Wire
from tether.services.vk.sandbox.model.auth import (
    GROUP_ID,
    GROUP_TOKEN,
    NO_MESSAGES_TOKEN,
    USER_ID,
)


def user_server(wire: Wire, **params: Any) -> dict[str, Any]:
    answer: dict[str, Any] = wire.ok("messages.getLongPollServer", {"lp_version": 3, **params})
    return answer


def bot_server(wire: Wire, group_id: int = GROUP_ID) -> dict[str, Any]:
    answer: dict[str, Any] = wire.ok(
        "groups.getLongPollServer", {"group_id": group_id}, token=GROUP_TOKEN
    )
    return answer


def poll(wire: Wire, server: dict[str, Any], ts: Any = None, **params: Any) -> Any:
    """One ``a_check`` on ``server`` (a step method's answer), ``wait=0`` unless given."""
    url = server["server"] if "://" in server["server"] else "http://" + server["server"]
    query = {
        "act": "a_check",
        "key": server["key"],
        "ts": server["ts"] if ts is None else ts,
        "wait": 0,
        **params,
    }
    answer = wire.raw("GET", f"{urlsplit(url).path}?{urlencode(query)}")
    assert answer.status == 200, (answer.status, answer.body[:200])
    assert answer.headers["content-type"].startswith("application/json")
    return answer.json()


def inject(wire: Wire, **body: Any) -> Any:
    return wire.set("/longpoll", body)


# -- the step methods -------------------------------------------------------------------------


def test_the_user_server_has_no_scheme_and_the_bots_one_has_one(wire: Wire) -> None:
    user = user_server(wire, need_pts=1)
    assert set(user) == {"key", "server", "ts", "pts"}
    assert "://" not in user["server"] and user["server"].endswith("/vk/longpoll/user")
    assert user["server"].split("/", 1)[0] == urlsplit(wire.root).netloc
    assert type(user["ts"]) is int
    bot = bot_server(wire)
    assert bot["server"] == f"{wire.root}/vk/longpoll/bot/{GROUP_ID}"
    assert isinstance(bot["ts"], str) and bot["ts"].isdigit()
    assert user["key"] != bot["key"]
    assert "pts" not in user_server(wire)  # only with need_pts


def test_who_may_get_which_server(wire: Wire) -> None:
    # A user may get the bots server of a community the user administers, not of another.
    mine = wire.ok("groups.getLongPollServer", {"group_id": GROUP_ID})
    assert mine["server"].endswith(f"/bot/{GROUP_ID}")
    assert wire.error("groups.getLongPollServer", {"group_id": 1})["error_code"] == 15
    other = wire.error("groups.getLongPollServer", {"group_id": 1}, token=GROUP_TOKEN)
    assert other["error_code"] == 15
    assert wire.error("groups.getLongPollServer", {}, token=GROUP_TOKEN)["error_code"] == 100
    # The user server needs the messages right; a community token gets its community's.
    no_messages = wire.error("messages.getLongPollServer", {}, token=NO_MESSAGES_TOKEN)
    assert no_messages["error_code"] == 15
    assert wire.ok("messages.getLongPollServer", {}, token=GROUP_TOKEN)["key"]
    assert wire.error("messages.getLongPollServer", {"lp_version": 9})["error_code"] == 100


# -- events -----------------------------------------------------------------------------------


def test_injected_events_arrive_in_order_and_ts_moves_on(wire: Wire) -> None:
    server = user_server(wire)
    ts = server["ts"]
    inject(wire, events=[[80, 1], [8, -101, 7, 1700000000]])
    inject(wire, events=[[80, 2]])
    first = poll(wire, server)
    assert first == {"ts": ts + 3, "updates": [[80, 1], [8, -101, 7, 1700000000], [80, 2]]}
    assert poll(wire, server, ts=ts + 2)["updates"] == [[80, 2]]  # any ts still held
    assert poll(wire, server, ts=first["ts"]) == {"ts": ts + 3, "updates": []}


def test_bot_events_are_injected_for_their_community(wire: Wire) -> None:
    server = bot_server(wire)
    inject(wire, events=[{"type": "group_join", "object": {"user_id": 7}}])
    inject(wire, events=[{"type": "group_leave", "object": {"user_id": 8}, "group_id": 77}])
    answer = poll(wire, server)
    assert answer["ts"] == str(int(server["ts"]) + 1)
    (event,) = answer["updates"]
    assert event["type"] == "group_join" and event["object"] == {"user_id": 7}
    assert event["group_id"] == GROUP_ID and event["event_id"] and event["v"]


def test_messages_send_tells_the_sender_and_the_community(wire: Wire) -> None:
    mine, bot, community = user_server(wire), bot_server(wire), user_server(wire, group_id=GROUP_ID)
    sent = wire.ok("messages.send", {"peer_id": -GROUP_ID, "message": "hello", "random_id": 1})
    wire.ok("messages.send", {"peer_id": -GROUP_ID, "message": "hello", "random_id": 1})  # resent
    out = poll(wire, mine)["updates"]
    assert [u[:6] for u in out] == [[4, sent, 3, -GROUP_ID, out[0][4], "hello"]]  # unread|outbox
    inbox = poll(wire, community)["updates"]
    assert [u[:6] for u in inbox] == [[4, sent, 1, USER_ID, inbox[0][4], "hello"]]
    (event,) = poll(wire, bot)["updates"]
    assert event["type"] == "message_new"
    message = event["object"]["message"]
    assert (message["id"], message["from_id"], message["peer_id"], message["out"]) == (
        sent,
        USER_ID,
        USER_ID,
        0,
    )
    assert message["text"] == "hello" and "client_info" in event["object"]


def test_a_community_reply_reaches_the_user_and_the_bots_server(wire: Wire) -> None:
    mine, bot = user_server(wire), bot_server(wire)
    sent = wire.ok(
        "messages.send",
        {"user_id": USER_ID, "message": "reply", "random_id": 5, "attachment": "photo-5_11"},
        token=GROUP_TOKEN,
    )
    (inbox,) = poll(wire, mine)["updates"]
    assert inbox[:4] == [4, sent, 1, -GROUP_ID] and inbox[5] == "reply"
    assert inbox[7] == {"attach1_type": "photo", "attach1": "-5_11"} and inbox[8] == 5
    (event,) = poll(wire, bot)["updates"]
    assert event["type"] == "message_reply"
    assert event["object"]["out"] == 1 and event["object"]["peer_id"] == USER_ID
    assert event["object"]["attachments"] == [
        {"type": "photo", "photo": {"id": 11, "owner_id": -5}}
    ]


def test_wall_post_on_a_community_wall_is_a_bots_event(wire: Wire) -> None:
    bot, mine = bot_server(wire), user_server(wire)
    wire.ok("wall.post", {"message": "on my own wall"})  # no long poll event
    post = wire.ok("wall.post", {"owner_id": -GROUP_ID, "from_group": 1, "message": "news"})
    (event,) = poll(wire, bot)["updates"]
    assert event["type"] == "wall_post_new"
    assert event["object"]["id"] == post["post_id"] and event["object"]["text"] == "news"
    assert event["object"]["owner_id"] == -GROUP_ID
    assert poll(wire, mine)["updates"] == []


# -- failed answers ---------------------------------------------------------------------------


def test_failed_1_drops_the_history_and_gives_the_current_ts(wire: Wire) -> None:
    server = user_server(wire)
    inject(wire, events=[[80, 1]], fail=1)
    answer = poll(wire, server)
    assert answer == {"failed": 1, "ts": server["ts"] + 1}
    assert poll(wire, server) == {"failed": 1, "ts": server["ts"] + 1}  # that history is gone
    assert poll(wire, server, ts=answer["ts"]) == {"ts": answer["ts"], "updates": []}


def test_failed_2_ends_the_key_and_a_new_key_keeps_the_ts(wire: Wire) -> None:
    server = user_server(wire)
    inject(wire, events=[[80, 1]], fail=2)
    assert poll(wire, server) == {"failed": 2}
    assert poll(wire, server) == {"failed": 2}  # the key stays dead
    again = user_server(wire)
    assert poll(wire, again, ts=server["ts"])["updates"] == [[80, 1]]


def test_failed_3_ends_the_key(wire: Wire) -> None:
    server = bot_server(wire)
    inject(wire, fail=3, count=2)
    assert poll(wire, server) == {"failed": 3}
    assert poll(wire, server) == {"failed": 2}
    fresh = bot_server(wire)
    assert poll(wire, fresh) == {"failed": 3}  # the second forced failure
    last = bot_server(wire)
    assert poll(wire, last) == {"ts": last["ts"], "updates": []}
    stats = wire.control("/longpoll", verb="GET").json()["stats"]
    assert stats["failed_3"] == 2 and stats["failed_2"] == 1


def test_unknown_keys_wrong_servers_and_bad_ts_or_version(wire: Wire) -> None:
    user, bot = user_server(wire), bot_server(wire)
    assert poll(wire, {**user, "key": "nope"}) == {"failed": 2}
    assert poll(wire, {**bot, "server": user["server"]}) == {"failed": 2}
    wrong_group = {**bot, "server": bot["server"].replace(f"/bot/{GROUP_ID}", "/bot/6")}
    assert poll(wire, wrong_group) == {"failed": 2}
    for ts in (user["ts"] + 5, user["ts"] - 1, "garbage"):
        assert poll(wire, user, ts=ts) == {"failed": 1, "ts": user["ts"]}
    assert poll(wire, user, version=9)["failed"] == 4
    assert wire.raw("GET", "/vk/longpoll/user?key=x&ts=1").status == 400  # no act=a_check


# -- waiting ----------------------------------------------------------------------------------


def _waiting(wire: Wire) -> int:
    count: int = wire.control("/longpoll", verb="GET").json()["waiting"]
    return count


def test_a_waiting_poll_is_woken_by_an_event_and_the_loop_keeps_serving(wire: Wire) -> None:
    server = user_server(wire)
    got: list[Any] = []
    waiter = threading.Thread(target=lambda: got.append(poll(wire, server, wait=30)))
    waiter.start()
    try:
        deadline = time.monotonic() + 10
        while _waiting(wire) == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _waiting(wire) == 1
        # The loop is not blocked by the waiting poll: another call answers meanwhile.
        assert wire.ok("users.get")[0]["id"] == USER_ID
        assert _waiting(wire) == 1 and not got
        inject(wire, events=[[80, 9]])
    finally:
        waiter.join(40)
    assert got == [{"ts": server["ts"] + 1, "updates": [[80, 9]]}]
    assert _waiting(wire) == 0


def test_a_poll_answers_no_updates_after_its_wait(wire: Wire) -> None:
    server = bot_server(wire)
    assert poll(wire, server, wait=1) == {"ts": server["ts"], "updates": []}
    inject(wire, max_wait=0)  # the cap: a wait of 25 answers at once
    assert poll(wire, server, wait=25) == {"ts": server["ts"], "updates": []}


# -- the control route ------------------------------------------------------------------------


def test_control_bodies_are_checked_before_anything_changes(wire: Wire) -> None:
    server = user_server(wire)
    bad = [
        {"events": [[80, 1], "x"]},
        {"events": [[80, 1], []]},
        {"events": [[80, 1], {"object": {}}]},
        {"events": [{"type": "x", "object": 1}]},
        {"events": [[80, 1]], "fail": 4},
        {"events": [[80, 1]], "max_wait": 91},
        {"events": {"a": 1}},
        {"surprise": 1},
    ]
    for body in bad:
        answer = wire.control("/longpoll", body)
        assert answer.status == 400, body
        assert "error" in answer.json()
    state = wire.control("/longpoll", verb="GET").json()
    assert state["fail_next"] == [] and state["max_wait"] == 90
    assert poll(wire, server)["updates"] == []


def test_reset_forgets_queues_keys_and_tunables(wire: Wire) -> None:
    server = user_server(wire)
    inject(wire, events=[[80, 1]], fail=2, count=3, max_wait=1)
    assert wire.set("/reset", {}) == {"reset": ["vk"]}
    state = wire.control("/longpoll", verb="GET").json()
    assert state["queues"] == [] and state["fail_next"] == [] and state["max_wait"] == 90
    assert poll(wire, server) == {"failed": 2}
