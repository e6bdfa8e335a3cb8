"""The VK emulator's long poll servers (vk.md §4.5): the user one (``messages.getLongPollServer``)
and the bots one (``groups.getLongPollServer``), their event queues and their HTTP endpoints::

    /longpoll/user?act=a_check&key=&ts=&wait=&mode=&version=   -> {ts, updates: [[4, …], …]}
    /longpoll/bot/{group_id}?act=a_check&key=&ts=&wait=         -> {ts, updates: [{type, …}]}

The ``server`` a step method answers is ``<host>/vk/longpoll/user`` without a scheme (VK's
user server has none: the client prefixes it) and ``<scheme>://<host>/vk/longpoll/bot/<id>``
for bots (VK's has one). ``ts`` is an integer for users and a string for bots (as VK answers
its bots; unconfirmed by the notes, commonly seen).

Invariants:
- All state is one ``LongPollBook`` on ``VkState`` (``state.longpoll``): a reset builds a
  fresh one, so queues, keys, forced failures and the ``max_wait`` tunable go with it.
- A queue exists per (kind, owner) once a step method or the control API opened it; events
  for an owner without a queue are not kept (nobody can hold a ``ts`` from before it), so
  queues are bounded by the tokens and control calls, each queue by ``HISTORY`` events and
  ``KEYS_PER_QUEUE`` live keys. Each event takes the next ``ts``: a poll with ``ts`` gets the
  events numbered ``ts`` and above, and the next ``ts`` to ask.
- A poll is checked in one order: key known and of this server (else ``failed: 2``) ->
  user ``version`` in ``0..MAX_VERSION`` (else ``failed: 4``) -> a failure forced by the
  control API (1: the queue's history is dropped, the current ``ts`` given; 2 and 3: the key
  is dropped) -> ``ts`` readable and neither older than the history nor newer than the queue
  (else ``failed: 1`` with the current ``ts``) -> the events, or a wait.
- Waiting never blocks the event loop: a poll with no event waits on its own
  ``asyncio.Event`` (set by the next push) for at most ``min(wait, max_wait)`` seconds, then
  is checked again from the start on the book the state holds then (after a reset: a
  ``failed: 2``). Pushes happen on the loop thread, from handlers and control routes.
- The book does no I/O and reads no clock: callers pass dates.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter, deque
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tether.sandbox.control_api import bad, integer, json_object, number, show
from tether.services.vk.sandbox.model.auth import GROUP_ID, USER_ID

USER: Final = "user"
BOT: Final = "bot"
#: Events a queue keeps; a ``ts`` older than them is ``failed: 1`` (history lost).
HISTORY: Final = 1000
#: Live keys per queue: getting a server again does not end the older keys (VK keeps them a
#: while), but only this many, so repeated calls cannot grow the book.
KEYS_PER_QUEUE: Final = 8
#: The first ``ts`` of a queue (any positive number: clients only pass it back).
FIRST_TS: Final = 1000
#: VK's longest wait, the default cap; the control API lowers it (``max_wait``).
MAX_WAIT: Final = 90.0
#: The wait of a poll that gives none (VK's documented default is 25; unconfirmed).
DEFAULT_WAIT: Final = 25
#: The user long poll versions the emulator answers (VK's current one is 3).
MAX_VERSION: Final = 3
#: Events one control request may inject.
MAX_INJECTED: Final = 1000
#: Peers from here on are chats (vk.md), which have no queue of their own.
CHAT_BASE: Final = 2_000_000_000
#: Message flags of the user long poll (VK's ``VkMessageFlag``).
UNREAD: Final = 1
OUTBOX: Final = 2
#: The API version the bots server writes its events in (the community's setting in VK).
BOT_EVENT_VERSION: Final = "5.131"
_CLIENT_INFO: Final = {
    "button_actions": ["text", "vkpay", "open_app", "location", "open_link", "callback"],
    "keyboard": True,
    "inline_keyboard": True,
    "carousel": True,
    "lang_id": 0,
}
_SEED: Final = 0x4C50  # "LP": keys and event ids are the same after every reset


@dataclass
class Queue:
    """One owner's events: ``events[i]`` has ``ts == first_ts + i``."""

    kind: str
    owner: int
    first_ts: int = FIRST_TS
    events: list[Any] = field(default_factory=list)
    keys: deque[str] = field(default_factory=deque)
    waiters: set[asyncio.Event] = field(default_factory=set)

    @property
    def next_ts(self) -> int:
        return self.first_ts + len(self.events)

    def show_ts(self) -> int | str:
        return str(self.next_ts) if self.kind == BOT else self.next_ts

    def push(self, event: Any) -> None:
        self.events.append(event)
        if len(self.events) > HISTORY:
            drop = len(self.events) - HISTORY
            del self.events[:drop]
            self.first_ts += drop
        for waiter in self.waiters:
            waiter.set()

    def since(self, ts: int) -> list[Any] | None:
        """The events numbered ``ts`` and above; ``None`` when ``ts`` is out of range."""
        if not self.first_ts <= ts <= self.next_ts:
            return None
        return self.events[ts - self.first_ts :]

    def lose_history(self) -> None:
        self.first_ts = self.next_ts
        self.events.clear()


@dataclass(frozen=True)
class Wait:
    """A poll with nothing to answer yet: wait on ``queue`` for at most ``seconds``."""

    queue: Queue
    seconds: float


@dataclass
class LongPollBook:
    """Every long poll queue, key and forced failure of one emulated VK."""

    queues: dict[tuple[str, int], Queue] = field(default_factory=dict)
    keys: dict[str, tuple[str, int]] = field(default_factory=dict)
    fail_next: deque[int] = field(default_factory=deque)
    max_wait: float = MAX_WAIT
    stats: Counter[str] = field(default_factory=Counter)
    rng: random.Random = field(default_factory=lambda: random.Random(_SEED))

    # -- servers -----------------------------------------------------------------------------

    def queue(self, kind: str, owner: int) -> Queue:
        q = self.queues.get((kind, owner))
        if q is None:
            q = self.queues[kind, owner] = Queue(kind, owner)
        return q

    def _new_key(self, q: Queue) -> str:
        key = f"{self.rng.getrandbits(160):040x}"
        if len(q.keys) >= KEYS_PER_QUEUE:
            self.keys.pop(q.keys.popleft(), None)
        q.keys.append(key)
        self.keys[key] = (q.kind, q.owner)
        return key

    def _drop_key(self, key: str) -> None:
        found = self.keys.pop(key, None)
        if found is not None:
            q = self.queues[found]
            if key in q.keys:
                q.keys.remove(key)

    def user_server(self, root: str, owner: int, need_pts: bool) -> dict[str, Any]:
        """``messages.getLongPollServer``'s answer for a user (or ``-group_id``); ``root`` is
        the emulator's address as the caller reached it."""
        q = self.queue(USER, owner)
        self.stats["servers_user"] += 1
        host = root.split("://", 1)[-1]  # VK hands the user server out without a scheme
        out: dict[str, Any] = {
            "key": self._new_key(q),
            "server": f"{host}/longpoll/user",
            "ts": q.next_ts,
        }
        if need_pts:
            out["pts"] = q.next_ts  # the emulator numbers both alike
        return out

    def bot_server(self, root: str, group_id: int) -> dict[str, Any]:
        """``groups.getLongPollServer``'s answer for a community."""
        q = self.queue(BOT, group_id)
        self.stats["servers_bot"] += 1
        return {
            "key": self._new_key(q),
            "server": f"{root}/longpoll/bot/{group_id}",
            "ts": q.show_ts(),
        }

    # -- polls -------------------------------------------------------------------------------

    def _failed(self, code: int, **extra: Any) -> dict[str, Any]:
        self.stats[f"failed_{code}"] += 1
        return {"failed": code, **extra}

    def check(
        self, kind: str, path_owner: int | None, params: Mapping[str, str], may_wait: bool = True
    ) -> dict[str, Any] | Wait:
        """A poll's answer, in the module docstring's order, or a ``Wait``."""
        key = params.get("key", "")
        found = self.keys.get(key)
        if found is None or found[0] != kind or (kind == BOT and found[1] != path_owner):
            return self._failed(2)
        q = self.queues[found]
        if kind == USER:
            version = _int(params.get("version", "0"))
            if version is None or not 0 <= version <= MAX_VERSION:
                return self._failed(4, min_version=0, max_version=MAX_VERSION)
        if self.fail_next:
            forced = self.fail_next.popleft()
            if forced == 1:
                q.lose_history()
                return self._failed(1, ts=q.show_ts())
            self._drop_key(key)
            return self._failed(forced)
        ts = _int(params.get("ts", ""))
        events = q.since(ts) if ts is not None else None
        if events is None:
            return self._failed(1, ts=q.show_ts())
        if not events and may_wait:
            wait = _int(params.get("wait", ""))
            seconds = min(float(DEFAULT_WAIT if wait is None else max(wait, 0)), self.max_wait)
            if seconds > 0:
                return Wait(q, seconds)
        self.stats["polls"] += 1
        return {"ts": q.show_ts(), "updates": events}

    # -- events ------------------------------------------------------------------------------

    def user_event(self, owner: int, event: list[Any]) -> None:
        q = self.queues.get((USER, owner))
        if q is not None:
            q.push(event)
            self.stats["events"] += 1

    def bot_event(self, group_id: int, kind: str, obj: Any) -> None:
        q = self.queues.get((BOT, group_id))
        if q is not None:
            q.push(
                {
                    "type": kind,
                    "object": obj,
                    "group_id": group_id,
                    "event_id": f"{self.rng.getrandbits(160):040x}",
                    "v": BOT_EVENT_VERSION,
                }
            )
            self.stats["events"] += 1

    def on_message(
        self,
        message_id: int,
        from_id: int,
        peer_id: int,
        text: str,
        attachments: tuple[str, ...],
        date: int,
        random_id: int,
    ) -> None:
        """A sent message: an outbox event for the sender, an inbox one for the peer (a user
        or a community); a community's bots server sees ``message_reply`` / ``message_new``."""

        def user(flags: int, peer: int) -> list[Any]:
            attach = {}
            for i, ref in enumerate(attachments, 1):
                kind, media = _split_attachment(ref)
                attach[f"attach{i}_type"], attach[f"attach{i}"] = kind, media
            return [4, message_id, flags, peer, date, text, {"title": ""}, attach, random_id]

        def message(out: int, peer: int) -> dict[str, Any]:
            return {
                "id": message_id,
                "date": date,
                "peer_id": peer,
                "from_id": from_id,
                "text": text,
                "out": out,
                "attachments": [_attachment_object(a) for a in attachments],
                "conversation_message_id": message_id,
                "fwd_messages": [],
                "important": False,
                "is_hidden": False,
                "random_id": random_id,
            }

        self.user_event(from_id, user(UNREAD | OUTBOX, peer_id))
        if from_id < 0:
            self.bot_event(-from_id, "message_reply", message(1, peer_id))
        if peer_id == from_id or peer_id >= CHAT_BASE:
            return
        self.user_event(peer_id, user(UNREAD, from_id))
        if peer_id < 0:
            obj = {"message": message(0, from_id), "client_info": dict(_CLIENT_INFO)}
            self.bot_event(-peer_id, "message_new", obj)

    def on_post(self, owner_id: int, post: dict[str, Any]) -> None:
        """A new wall post: ``wall_post_new`` on a community's bots server."""
        if owner_id < 0:
            self.bot_event(-owner_id, "wall_post_new", post)

    def to_json(self) -> dict[str, Any]:
        return {
            "max_wait": self.max_wait,
            "fail_next": list(self.fail_next),
            "waiting": sum(len(q.waiters) for q in self.queues.values()),
            "queues": [
                {"kind": q.kind, "owner": q.owner, "ts": q.show_ts(), "events": len(q.events)}
                for q in self.queues.values()
            ],
            "stats": dict(self.stats),
        }


def _int(text: str | None) -> int | None:
    if text is None:
        return None
    text = text.strip()
    if not text.lstrip("-").isdigit() or len(text) > 20:
        return None
    return int(text)


def _split_attachment(ref: str) -> tuple[str, str]:
    """``photo-5_11`` -> ``("photo", "-5_11")``."""
    kind = ref.rstrip("-_0123456789")
    return kind, ref[len(kind) :]


def _attachment_object(ref: str) -> dict[str, Any]:
    kind, media = _split_attachment(ref)
    owner, _, rest = media.partition("_")
    media_id = rest.partition("_")[0]
    if not (_int(owner) is not None and _int(media_id) is not None):  # a link
        return {"type": "link", "link": {"url": ref}}
    return {"type": kind, kind: {"id": int(media_id), "owner_id": int(owner)}}


# -- HTTP ------------------------------------------------------------------------------------


class _State(Protocol):
    longpoll: LongPollBook


class _Stateful(Protocol):
    """The emulator as the control route sees it (``host.VkHost``)."""

    @property
    def state(self) -> _State: ...


def longpoll_routes(em: _Stateful) -> list[Route]:
    """The two servers (user, bots) that the get*LongPollServer methods hand out."""

    def server(kind: str) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            params = request.query_params
            if params.get("act") != "a_check":
                raise HTTPException(400)  # VK's answer to another act is unconfirmed
            owner = request.path_params.get("group_id")
            answer = em.state.longpoll.check(kind, owner, params)
            if isinstance(answer, Wait):
                waiter = asyncio.Event()
                answer.queue.waiters.add(waiter)
                try:
                    await asyncio.wait_for(waiter.wait(), answer.seconds)
                except asyncio.TimeoutError:  # not the builtin TimeoutError before Python 3.11
                    pass
                finally:
                    answer.queue.waiters.discard(waiter)
                answer = em.state.longpoll.check(kind, owner, params, may_wait=False)
            assert isinstance(answer, dict)
            return JSONResponse(answer)

        return endpoint

    return [
        Route("/longpoll/user", server(USER), methods=["GET", "POST"]),
        Route("/longpoll/bot/{group_id:int}", server(BOT), methods=["GET", "POST"]),
    ]


# -- control ---------------------------------------------------------------------------------


def _events(body: Mapping[str, Any]) -> list[tuple[str, int, Any]]:
    """``(kind, owner, event)`` for each injected event, every one checked first."""
    raw = body.get("events", [])
    if not isinstance(raw, list) or len(raw) > MAX_INJECTED:
        raise bad(f"events must be an array of at most {MAX_INJECTED} events, got {show(raw)}")
    user = integer(body, "user_id", USER_ID, minimum=-(10**12), maximum=10**12)
    group = integer(body, "group_id", GROUP_ID, minimum=1, maximum=10**12)
    out: list[tuple[str, int, Any]] = []
    for i, event in enumerate(raw):
        if isinstance(event, list):
            if not event or isinstance(event[0], bool) or not isinstance(event[0], int):
                raise bad(f"events[{i}]: a user event is an array starting with its code")
            out.append((USER, user, event))
        elif isinstance(event, dict):
            if not isinstance(event.get("type"), str) or not event["type"]:
                raise bad(f'events[{i}]: a bot event is an object with a "type" string')
            if not isinstance(event.get("object", {}), dict):
                raise bad(f'events[{i}]: "object" must be an object')
            owner = event.get("group_id", group)
            if isinstance(owner, bool) or not isinstance(owner, int) or owner < 1:
                raise bad(f"events[{i}]: group_id must be a positive integer")
            out.append((BOT, owner, event))
        else:
            raise bad(f"events[{i}] must be an array (user) or an object (bot), got {show(event)}")
    return out


def longpoll_control(em: _Stateful) -> Route:
    """``GET|POST /longpoll``: inject events, force failures, cap the wait (control.py)."""

    async def endpoint(request: Request) -> Response:
        book = em.state.longpoll
        if request.method == "POST":
            body = await json_object(
                request, fields=("events", "user_id", "group_id", "fail", "count", "max_wait")
            )
            events = _events(body)
            fail = integer(body, "fail", None, minimum=1, maximum=3)
            count = integer(body, "count", 1, minimum=0, maximum=100)
            max_wait = number(body, "max_wait", book.max_wait, minimum=0, maximum=MAX_WAIT)
            for kind, owner, event in events:
                book.queue(kind, owner)  # injected events open the queue they go to
                if kind == BOT:
                    book.bot_event(owner, event["type"], event.get("object", {}))
                else:
                    book.user_event(owner, event)
            if fail is not None:
                book.fail_next.extend([fail] * count)
            book.max_wait = max_wait
        return JSONResponse(book.to_json())

    return Route("/longpoll", endpoint, methods=["GET", "POST"])
