"""VK's long poll (vk.md §4.5), beyond PyVK, as vk_api has it: ``api.longpoll()`` (vk_api's
``VkLongPoll``: a user's events, or a community's with ``group_id=``) and
``api.bot_longpoll(group_id)`` (``VkBotLongPoll``: a community's bots events)::

    for event in api.longpoll(wait=25):          # async for … on AsyncAPI
        if event.type == "message_new" and not event.from_me:
            print(event.peer_id, event.text)

Events are dicts whose keys are attributes too. A bots event is VK's object as sent
(``type``, ``object``, ``group_id``, ``event_id``, ``v``). A user event keeps VK's array as
``raw`` beside a light view: ``code`` (``raw[0]``), ``type`` (after vk_api's ``VkEventType``,
lower-case; ``"unknown"`` for a code not listed here) and the array's fields by name
(``message_id``, ``flags``, ``peer_id``, ``timestamp``, ``text``, ``extra``, ``attachments``,
``random_id`` and ``from_me`` for a message; see ``USER_EVENTS``).

Invariants:
- Each poll is one flow (``_poll``), run by the client's driver: get a server when none is
  held, send one ``a_check``, read the answer. ``failed: 1`` takes the ``ts`` it gives,
  ``failed: 2`` gets a new key and keeps ``ts``, ``failed: 3`` gets a new key and ``ts``
  (events in between are lost, as VK says); more than ``MAX_FAILED`` failed answers in a row,
  ``failed: 4`` or an unknown code is ``ReqError``. Getting the server is a normal call
  (pacing, recoveries, ``APIError``); the poll itself is a read the client's ``RetryPolicy``
  retries after a transport failure (then ``RequestFailed``); an answer that is not a long
  poll answer is ``ReqError`` saying so.
- Each event reaches the consumer exactly once per ``LongPoll``, in the server's order: a
  poll's events wait in a buffer and each leaves it as it is handed out, so ``break``,
  ``stop()`` and ``lp[:n]`` lose none; iterating again resumes at the buffer, then the last
  ``ts``. ``stop()`` ends an iteration before its next event (a poll in flight finishes
  first, within ``wait`` seconds).
- The iteration is the runtime's one ``Walk`` (on a strategy that never ends by itself):
  ``for`` on ``API``, ``async for`` on ``AsyncAPI``. One consumer at a time.
- The long poll key is never in a repr or an error message (they name the server only).
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Mapping
from typing import Any, Final, Protocol
from urllib.parse import urlencode, urlsplit

from tether.core.errors import TransportError, UsageError
from tether.core.flow import Flow
from tether.core.jsonparse import loads
from tether.core.messages import Request
from tether.runtime import Walk
from tether.services.vk.errors import ReqError, RequestFailed

__all__ = ["USER_EVENTS", "BotEvent", "LongPoll", "LongPollEvent", "UserEvent"]

#: Failed answers in a row a poll recovers from before giving up (a server that fails forever).
MAX_FAILED: Final = 5
#: vk_api's defaults: ``mode`` 2+8+32+64+128 (attachments, extended, pts, online extra,
#: random_id), user long poll version 3, a 25-second wait.
DEFAULT_MODE: Final = 234
DEFAULT_VERSION: Final = 3
DEFAULT_WAIT: Final = 25
#: VK's longest wait.
MAX_WAIT: Final = 90
#: Seconds the client gives the server beyond ``wait`` to answer (vk_api: 10).
GRACE: Final = 10

_MESSAGE: Final = (
    "message_id",
    "flags",
    "peer_id",
    "timestamp",
    "text",
    "extra",
    "attachments",
    "random_id",
)
#: User event code -> (type, names of ``raw[1:]``).
USER_EVENTS: Final[dict[int, tuple[str, tuple[str, ...]]]] = {
    1: ("message_flags_replace", ("message_id", "flags", "extra")),
    2: ("message_flags_set", ("message_id", "mask", "extra")),
    3: ("message_flags_reset", ("message_id", "mask", "extra")),
    4: ("message_new", _MESSAGE),
    5: ("message_edit", _MESSAGE),
    6: ("read_all_incoming_messages", ("peer_id", "local_id")),
    7: ("read_all_outgoing_messages", ("peer_id", "local_id")),
    8: ("user_online", ("user_id", "extra", "timestamp")),
    9: ("user_offline", ("user_id", "flags", "timestamp")),
    10: ("peer_flags_reset", ("peer_id", "mask")),
    11: ("peer_flags_replace", ("peer_id", "flags")),
    12: ("peer_flags_set", ("peer_id", "mask")),
    13: ("peer_delete_all", ("peer_id", "local_id")),
    14: ("peer_restore_all", ("peer_id", "local_id")),
    51: ("chat_edit", ("chat_id", "self")),
    52: ("chat_update", ("type_id", "peer_id", "info")),
    61: ("user_typing", ("user_id", "flags")),
    62: ("user_typing_in_chat", ("user_id", "chat_id")),
    70: ("user_call", ("user_id", "call_id")),
    80: ("messages_counter_update", ("count",)),
    114: ("notification_settings_update", ("settings",)),
}
_OUTBOX: Final = 2  # the message flag of one the account sent


class LongPollEvent(dict[str, Any]):
    """A long poll event: a dict whose keys read as attributes too (``event.type``)."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


class BotEvent(LongPollEvent):
    """A bots long poll event: VK's ``{type, object, group_id, event_id, v}`` as sent."""

    __slots__ = ()


class UserEvent(LongPollEvent):
    """A user long poll event: ``raw`` (VK's array), ``code``, ``type`` and named fields."""

    __slots__ = ()

    @classmethod
    def parse(cls, raw: list[Any]) -> UserEvent:
        code = raw[0]
        name, fields = USER_EVENTS.get(code, ("unknown", ()))
        event = cls(zip(fields, raw[1:], strict=False))
        if code in (8, 9) and isinstance(event.get("user_id"), int):
            event["user_id"] = -event["user_id"]  # VK sends minus the friend's id
        flags = event.get("flags")
        if name in ("message_new", "message_edit") and isinstance(flags, int):
            event["from_me"] = bool(flags & _OUTBOX)
        event.update(raw=raw, code=code, type=name)
        return event


class _Client(Protocol):
    """What a long poll needs of ``api._BaseAPI``."""

    _api_url: str
    _runtime: Any
    _run: Any

    def _call_flow(
        self, method: str, params: dict[str, Any], raw: bool | None = None
    ) -> Flow[Any]: ...
    def _retrying(self, build: Any, is_transient: Any = None, pace: Any = None) -> Flow[Any]: ...


class LongPollStats:
    """What a ``LongPoll`` did: ``servers`` (get*LongPollServer calls), ``polls`` (answers with
    updates), ``events`` (events read), ``failed`` (``failed`` answers by code)."""

    __slots__ = ("events", "failed", "polls", "servers")

    def __init__(self) -> None:
        self.servers = 0
        self.polls = 0
        self.events = 0
        self.failed: Counter[int] = Counter()

    def __repr__(self) -> str:
        return (
            f"LongPollStats(servers={self.servers}, polls={self.polls}, events={self.events}, "
            f"failed={dict(self.failed)})"
        )


class LongPoll:
    """One long poll session: its server, key, ``ts`` and the events not yet handed out.

    Made by ``api.longpoll(...)`` and ``api.bot_longpoll(group_id, ...)``; iterate it (``for``
    on ``API``, ``async for`` on ``AsyncAPI``), slice it (``lp[:10]``), or ``check()`` once.
    With ``wait=0`` the server answers at once, so an iteration polls without pause until an
    event comes.

    Attributes:
        server: the server URL polled (``None`` before the first poll).
        ts: the ``ts`` the next poll asks for.
        pts: the user server's ``pts`` (``need_pts``), as last given.
        stats: a ``LongPollStats``.
    """

    def __init__(
        self,
        api: _Client,
        kind: str,
        group_id: int | None,
        wait: int,
        mode: int,
        version: int,
    ) -> None:
        if isinstance(wait, bool) or not isinstance(wait, int) or not 0 <= wait <= MAX_WAIT:
            raise UsageError(f"wait must be an int of seconds in 0..{MAX_WAIT}, not {wait!r}")
        if kind == "bot" and not group_id:
            raise UsageError("bot_longpoll() needs the community's group_id")
        self._api = api
        self._kind = kind
        self._group_id = group_id
        self.wait = wait
        self.mode = mode
        self.version = version
        self.server: str | None = None
        self._key: str | None = None
        self.ts: int | str | None = None
        self.pts: int | None = None
        self.stats = LongPollStats()
        self._pending: deque[LongPollEvent] = deque()
        self._stopped = False
        self._walk: Walk[LongPollEvent] = Walk(api._runtime, self._next, 0, _Endless(self))

    def __repr__(self) -> str:
        where = self._kind if self._group_id is None else f"{self._kind} group_id={self._group_id}"
        return f"<LongPoll {where} ts={self.ts!r} pending={len(self._pending)}>"

    # -- the consumer's side -----------------------------------------------------------------

    def __iter__(self) -> Any:
        return iter(self._walk)

    def __aiter__(self) -> Any:
        return self._walk.__aiter__()

    def __getitem__(self, key: slice) -> Any:
        """``lp[:n]``: the next ``n`` events (an async iterator on ``AsyncAPI``)."""
        return self._walk[key]

    def listen(self) -> Any:
        """vk_api's name for iterating: ``for event in lp.listen()`` (``async for`` on
        ``AsyncAPI``)."""
        return self._walk[:]

    def stop(self) -> None:
        """End the iteration in progress before its next event (see the module docstring)."""
        self._stopped = True

    def check(self) -> Any:
        """One poll's events as a list (awaitable on ``AsyncAPI``): the ones left from an
        iteration if any, else those of one poll (``[]`` when ``wait`` passed with none)."""
        return self._api._run(self._check())

    def _check(self) -> Flow[list[LongPollEvent]]:
        if not self._pending:
            return (yield from self._poll())
        out = list(self._pending)
        self._pending.clear()
        return out

    def _next(self, _request: Any) -> Flow[list[LongPollEvent]]:
        """A walk step: at most one event, taken from the buffer (refilled by a poll)."""
        if not self._pending:
            self._pending.extend((yield from self._poll()))
        return [self._pending.popleft()] if self._pending else []

    # -- one poll ----------------------------------------------------------------------------

    def _poll(self) -> Flow[list[LongPollEvent]]:
        failures = 0
        while True:
            if self._key is None:
                yield from self._get_server()
            answer = yield from self._send()
            failed = answer.get("failed")
            if failed is None:
                return self._read(answer)
            if type(failed) is not int or failed not in (1, 2, 3):
                note = "the long poll version" if failed == 4 else "a code tether does not know"
                raise ReqError(
                    f"VK long poll ({self._where()}) answered failed: {failed!r}, {note}; "
                    "check tether's version, or report it",
                    method=self._method(),
                )
            self.stats.failed[failed] += 1
            failures += 1
            if failures > MAX_FAILED:
                raise ReqError(
                    f"VK long poll ({self._where()}) answered failed {failures} times in a row; "
                    "retry later",
                    method=self._method(),
                )
            if failed == 1:  # history lost: continue from the ts it gives
                self.ts = self._ts(answer.get("ts"))
            else:  # 2: the key expired, the ts holds; 3: both are lost
                self._key = None
                if failed == 3:
                    self.ts = None

    def _method(self) -> str:
        return "groups.getLongPollServer" if self._kind == "bot" else "messages.getLongPollServer"

    def _where(self) -> str:
        return self.server or self._method()

    def _get_server(self) -> Flow[None]:
        method = self._method()
        if self._kind == "bot":
            params: dict[str, Any] = {"group_id": self._group_id}
        else:
            params = {"lp_version": self.version, "need_pts": 1, "group_id": self._group_id}
        answer = yield from self._api._call_flow(method, params, raw=False)
        self.stats.servers += 1
        key = answer.get("key") if isinstance(answer, Mapping) else None
        server = answer.get("server") if isinstance(answer, Mapping) else None
        if not isinstance(key, str) or not key or not isinstance(server, str) or not server:
            raise ReqError(
                f"Malformed response from API: {method} answered no long poll key and server; "
                "check api_url",
                method=method,
            )
        if "://" not in server:
            # VK's user server has no scheme (vk_api prefixes https): take api_url's, which
            # is https for VK and whatever the sandbox serves.
            server = f"{urlsplit(self._api._api_url).scheme or 'https'}://{server}"
        self.server, self._key = server, key
        if self.ts is None:
            self.ts = self._ts(answer.get("ts"))
        pts = answer.get("pts")
        if type(pts) is int:
            self.pts = pts

    def _ts(self, value: Any) -> int | str:
        if type(value) is int or (isinstance(value, str) and value.isdigit()):
            return value
        raise ReqError(
            f"VK long poll ({self._where()}) gave no usable ts ({type(value).__name__}); "
            "check api_url, or retry later",
            method=self._method(),
        )

    def _send(self) -> Flow[dict[str, Any]]:
        assert self.server is not None and self._key is not None
        query: dict[str, Any] = {
            "act": "a_check",
            "key": self._key,
            "ts": self.ts,
            "wait": self.wait,
        }
        if self._kind == "user":
            query.update(mode=self.mode, version=self.version)
        sep = "&" if "?" in self.server else "?"
        request = Request(
            "GET",
            f"{self.server}{sep}{urlencode(query)}",
            timeout=float(self.wait + GRACE),
            deadline=float(self.wait + 2 * GRACE),
            idempotent=True,  # a poll changes nothing: safe to send again
            label=f"vk long poll {self._kind}",
        )
        try:
            response = yield from self._api._retrying(lambda now: request)
        except TransportError as e:
            raise RequestFailed(
                f"Request failed after all attempts: VK long poll ({self._where()}): no answer "
                f"({e}); check the network, or retry later",
                exc=e,
                method=self._method(),
            ) from e
        try:
            answer = loads(response.body, "vk long poll")
        except ValueError:
            answer = None
        if response.status != 200 or not isinstance(answer, dict):
            raise ReqError(
                f"VK long poll ({self._where()}) answered HTTP {response.status} with "
                f"{len(response.body)} bytes that are not a long poll answer; check api_url, "
                "or retry later if a proxy is in the way",
                status=response.status,
                method=self._method(),
            )
        return answer

    def _read(self, answer: dict[str, Any]) -> list[LongPollEvent]:
        updates = answer.get("updates")
        ts = answer.get("ts")
        bot = self._kind == "bot"
        ok = isinstance(updates, list) and all(
            isinstance(u, dict) and isinstance(u.get("type"), str)
            if bot
            else isinstance(u, list) and u and type(u[0]) is int
            for u in updates
        )
        if not ok:
            raise ReqError(
                f"VK long poll ({self._where()}) answered updates that are not "
                f"{'objects with a type' if bot else 'arrays with a code'}; check api_url",
                method=self._method(),
            )
        assert isinstance(updates, list)
        self.ts = self._ts(ts)
        self.stats.polls += 1
        self.stats.events += len(updates)
        if bot:
            return [BotEvent(u) for u in updates]
        return [UserEvent.parse(u) for u in updates]


class _Endless:
    """The walk strategy of a ``LongPoll``: one step at a time until ``stop()``."""

    __slots__ = ("_lp",)

    def __init__(self, lp: LongPoll) -> None:
        self._lp = lp

    def start(self) -> _Endless:
        self._lp._stopped = False
        return self

    def requests(self, limit: int) -> list[Any]:
        return [] if self._lp._stopped else [None]

    def read(self, answer: Any) -> list[Any]:
        return list(answer)


def user_longpoll(
    api: _Client,
    *,
    wait: int = DEFAULT_WAIT,
    mode: int = DEFAULT_MODE,
    version: int = DEFAULT_VERSION,
    group_id: int | None = None,
) -> LongPoll:
    """``api.longpoll(...)``: see ``api._BaseAPI.longpoll``."""
    return LongPoll(api, "user", group_id, wait, mode, version)


def bot_longpoll(api: _Client, group_id: int, *, wait: int = DEFAULT_WAIT) -> LongPoll:
    """``api.bot_longpoll(group_id, ...)``: see ``api._BaseAPI.bot_longpoll``."""
    return LongPoll(api, "bot", group_id, wait, 0, 0)
