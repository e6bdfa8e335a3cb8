"""PyVK's ``API`` and its async twin ``AsyncAPI``: ``api.users.get(user_ids=[1])`` to any
depth, ``api.call('account.getInfo')``, ``api.walk('wall.get', owner_id=1)``.

Invariants:
- One class body (``_BaseAPI``) serves both twins: every call is ``self._run(flow)``, a value
  on ``API``, an awaitable on ``AsyncAPI`` (the kit's ``SyncFacade`` / ``AsyncFacade``).
- Method names are kept verbatim, as PyVK does (``api.wall.getById`` is ``wall.getById``:
  no snake-case conversion).
- The token is read-only (``token``) and never in a repr, a message or a log line.
- One pacing bucket per client, for its one token: 3/s (a user token), 20/s for the sandbox's
  community token, or ``rate_limit=``; shared by every thread and task of the client.
- ``TETHER_SANDBOX`` is read once, by the kit's ``sandbox_redirect``: the sandbox's
  ``api_url`` is used, and its ready ``access_token`` when no token is given.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Iterable, Mapping
from typing import Any

from tether.core.errors import UsageError
from tether.core.retry import RetryPolicy
from tether.runtime import Walk
from tether.services.kit.client import AsyncFacade, ClientCore, SyncFacade, sandbox_redirect
from tether.services.kit.pacing import SharedBucket
from tether.services.kit.rpc import MethodProxy
from tether.services.vk.batch import Batch, many_flow
from tether.services.vk.batch import walk as walk_through_execute
from tether.services.vk.calls import Calls
from tether.services.vk.config import APIConfig, known_options, log_to
from tether.services.vk.inputs import prompt_handler
from tether.services.vk.spec import API_URL, COMMUNITY_RATE, USER_RATE
from tether.transport import DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES

__all__ = ["API", "AsyncAPI", "PartialCall"]


class PartialCall(MethodProxy):
    """PyVK's ``PartialCall``: ``api.users.get`` names a method (``.method``); calling it is
    ``api.call(method, **params)``."""

    __slots__ = ()

    @property
    def method(self) -> str:
        return self._name

    def __getattr__(self, part: str) -> PartialCall:
        if part.startswith("_"):
            raise AttributeError(part)
        return PartialCall(self._call, f"{self._name}.{part}", self._kind)

    def __repr__(self) -> str:
        return f"<API.{self._name}>"


def _warn_unknown(unknown: Mapping[str, Any]) -> None:
    import difflib  # only for a typo: keeps `import tether.vk` light

    known = sorted(known_options())
    for name in unknown:
        close = difflib.get_close_matches(name, known, n=1)
        hint = f"; did you mean {close[0]!r}?" if close else ""
        warnings.warn(
            f"tether.vk: unknown option {name!r} ignored (PyVK ignores it too){hint}",
            UserWarning,
            stacklevel=3,
        )


class _BaseAPI(Calls, ClientCore):
    """What ``API`` and ``AsyncAPI`` share: everything.

    Args:
        token: the access token; ``None`` for the few methods that need none (with
            ``TETHER_SANDBOX``: the sandbox's ready user token).
        **options: PyVK's options (``tether.vk.config.APIConfig`` and ``GlobalConfig``:
            ``version``, ``lang``, ``timeout``, ``raw``, ``max_attempts``, ``auto_delay``,
            ``validation``, ``input`` …; tether's ``rate_limit`` and ``api_url``).
        retry: tether's transport retry policy (``True``: ``RetryPolicy(max_attempts=
            max_attempts)``; ``False``: one send per attempt).
        transport, environ, proxy, ca_certs, deadline, max_response_bytes: as every tether
            client.

    Raises:
        UsageError: ``max_attempts`` below 1 or a negative ``rate_limit``.
        ConfigError: ``TETHER_SANDBOX`` names no sandbox that emulates VK.
    """

    def __init__(
        self,
        token: str | None = None,
        *,
        retry: RetryPolicy | bool | None = True,
        environ: Mapping[str, str] | None = None,
        transport: Any = None,
        proxy: str | None = None,
        ca_certs: str | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        **options: Any,
    ) -> None:
        environ = os.environ if environ is None else environ
        auto_batch = options.pop("auto_batch", None)  # AsyncAPI's (autobatch.py)
        auto_window = options.pop("auto_batch_window", None)
        config = APIConfig(**options)
        log_to(options, config)
        unknown = {k: v for k, v in config.unknown().items() if k not in known_options()}
        if unknown:
            _warn_unknown(unknown)
        if not isinstance(config.max_attempts, int) or config.max_attempts < 1:
            raise UsageError(f"max_attempts must be an int >= 1, not {config.max_attempts!r}")
        api_url = config.api_url or API_URL
        rate = config.rate_limit
        sandbox = sandbox_redirect("vk", environ)
        if sandbox is not None:
            creds = sandbox.credentials
            if not config.api_url:
                api_url = creds["api_url"]
            if token is None:
                token = creds.get("access_token")
            if rate is None and token is not None and token == creds.get("group_token"):
                rate = COMMUNITY_RATE
        if rate is None:
            rate = USER_RATE
        if rate < 0:
            raise UsageError(f"rate_limit must be >= 0 (0: no pacing), not {rate!r}")
        self.config = config
        self._token = token
        self._api_url = api_url if api_url.endswith("/") else api_url + "/"
        base = {"lang": str(config.lang), "v": str(config.version)}
        if token:
            base["access_token"] = token
        self._base = base
        # A burst of rate - 1 (VK lets ``rate`` calls through at once): a fresh client need not
        # wait for its first calls, and the one token kept back absorbs the jitter of calls
        # sent 1/rate s apart arriving closer together (VK counts arrivals, not sends).
        self._bucket = SharedBucket(float(rate), capacity=max(1.0, rate - 1.0)) if rate else None
        self._raw = bool(config.raw)
        self._auto_delay = bool(config.auto_delay)
        self._validation = bool(config.validation)
        self._max_attempts = config.max_attempts
        self._response_type = config.response_type
        self._start(
            transport=transport,
            timeout=config.timeout,
            retry=RetryPolicy(max_attempts=config.max_attempts) if retry is True else retry,
            sandboxed=sandbox is not None,
            environ=environ,
            proxy=proxy,
            ca_certs=ca_certs,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            prompt=prompt_handler(config.input, self._sync),
        )
        self._auto: Any = None  # AsyncAPI(auto_batch=True): autobatch.AutoBatch
        if auto_batch or auto_window is not None:
            from tether.services.vk.autobatch import auto_batch as collector

            self._auto = collector(self, auto_batch, auto_window)

    @property
    def token(self) -> str | None:
        """The access token this client sends (read-only)."""
        return self._token

    @property
    def upload(self) -> Any:
        """VK's three-step uploads, one call each (``uploads.Uploads``):
        ``api.upload.wall_photo("cat.jpg", group_id=5).attachment == "photo-5_11"``."""
        from tether.services.vk.uploads import Uploads

        return Uploads(self)

    def __getattr__(self, name: str) -> PartialCall:
        if name.startswith("_"):
            raise AttributeError(name)
        return PartialCall(self.call, name, "VK")

    def __repr__(self) -> str:
        state = "set" if self._token else "none"
        return f"<{type(self).__name__} version={self._base['v']} token={state}>"

    def call(self, method: str, **params: Any) -> Any:
        """Call any VK method by its name (``account.getInfo``); see ``_call_flow``."""
        if not isinstance(method, str) or not method:
            raise UsageError("call() needs a method name such as 'users.get'")
        if self._auto is not None and self._auto.takes(method, params):
            return self._auto.call(method, params)
        return self._run(self._call_flow(method, params))

    def execute(self, code: str, *, raw: bool | None = None, **params: Any) -> Any:
        """VK's ``execute``: run the VKScript ``code`` on VK's side (at most 25 API calls, one
        request); the value it returns (``raw=True``: the whole answer, ``execute_errors``
        too)."""
        return self._run(self._call_flow("execute", {"code": code, **params}, raw))

    def many(self, calls: Iterable[Any]) -> Any:
        """Make many calls through ``execute``, 25 to a request (``batch.py``): ``calls`` are
        ``(method, params)`` pairs (``method`` a name or ``api.users.get``); the answer is a
        list in the same order holding each call's result, or its ``APIError`` (not raised).
        ``AsyncAPI`` sends the requests concurrently."""
        return self._run(many_flow(self, calls))

    def batch(self) -> Batch:
        """``with api.batch() as b: r = b.users.get(user_ids=1)`` (``async with`` on
        ``AsyncAPI``): the calls are sent as ``many`` when the block ends; then ``r.result``
        is the result (or raises the call's ``APIError``)."""
        return Batch(self)

    def walk(self, method: str, **params: Any) -> Walk[Any]:
        """Every item of a count + items method (``wall.get``, ``friends.get`` …), fetched
        lazily, stopping exactly at the ``count`` the first page announced: the first page by
        a plain call, then 25 pages to an ``execute`` (vk_api's ``get_all``; ``batch.walk``).

        ``count=`` sets the page size (default: the method's maximum, ``spec.PAGE_SIZES``, or
        100) and ``offset=`` the first item. ``for`` on ``API``, ``async for`` on
        ``AsyncAPI``; ``walk[:25]`` fetches only the pages those 25 items need.
        """
        return walk_through_execute(self, method, params)

    def longpoll(self, **opts: Any) -> Any:
        """vk_api's ``VkLongPoll``: the user long poll (``messages.getLongPollServer``), a
        ``longpoll.LongPoll`` of ``UserEvent`` s; ``for`` on ``API``, ``async for`` on
        ``AsyncAPI``, ``check()`` for one poll. Options: ``wait=25`` (seconds, at most 90),
        ``mode=234``, ``version=3``, ``group_id=`` (a community's messages, with its token).
        ``failed`` answers are recovered as vk.md §4.5 says (``longpoll.py``)."""
        from tether.services.vk.longpoll import user_longpoll

        return user_longpoll(self, **opts)

    def bot_longpoll(self, group_id: int, **opts: Any) -> Any:
        """vk_api's ``VkBotLongPoll``: the bots long poll of community ``group_id``
        (``groups.getLongPollServer``), a ``longpoll.LongPoll`` of ``BotEvent`` s (``type``,
        ``object``, ``group_id``); ``wait=25``. Iterated as ``longpoll()``."""
        from tether.services.vk.longpoll import bot_longpoll

        return bot_longpoll(self, group_id, **opts)


class API(_BaseAPI, SyncFacade):
    """PyVK's ``API(token=None, **options)``: calls return their results."""


class AsyncAPI(_BaseAPI, AsyncFacade):
    """``API``'s async twin: the same calls, awaited; ``async for`` over walks.

    ``AsyncAPI(token, auto_batch=True)`` (``auto_batch_window=`` seconds, default 0.005):
    calls awaited concurrently are sent as ``execute`` packs of at most 25, each awaiter
    getting its own result or ``APIError``; ``autobatch.py`` lists the calls that go alone.
    """
