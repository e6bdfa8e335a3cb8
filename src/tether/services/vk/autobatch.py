"""Automatic ``execute`` batching: ``AsyncAPI(token, auto_batch=True)`` collects the calls
awaited concurrently (``asyncio.gather(api.users.get(user_ids=1), api.wall.get(...))``, or any
tasks) for a short window and sends them as ``execute`` packs of at most 25 calls (vk.md §4.3,
§4.4), with no change to the calling code.

Invariants:
- Only the async client batches by itself. Sync code makes one call at a time, so nothing is
  ever pending beside it: ``API(auto_batch=True)`` is a ``UsageError`` naming what to use
  (``api.batch()``, ``api.many``), not an option silently doing nothing.
- A call waits at most ``window`` seconds after the first call of its group arrived; a group
  reaching 25 inner calls leaves at once, and the next call starts a new group. Calls that
  differ only in an id list count as one inner call (``coalesce.py``: 600 ``users.get`` of
  one id are one). Groups are sent as ``batch.packs_flow`` sends ``many``'s calls: the same
  script, its escaping (no value can inject code), answers matched by position, ``execute``
  recovered (6/9 waited, 14 asked, 1/10 sent again when every call is a read), one slot of
  the token's pacing per pack.
- A group of one is sent as the plain call it would have been (no ``execute`` around it).
- Each awaiter gets its own result, or its own ``APIError`` from ``execute_errors``; an error
  of a whole ``execute`` (5, 12, 13, a transport failure …) is raised in every awaiter of that
  pack, and only of that pack.
- Calls that go alone, never collected (``batchable``): the whole client with ``raw=True``
  (raw answers carry no per-call envelope to split); ``execute`` and ``execute.*`` (a script
  cannot call them); ``auth.*`` and ``secure.*`` (credentials: the server-side auth methods
  want the app's secret, and a script's ``code`` is echoed in VK's ``request_params``); calls
  with a secret-named parameter (``tether.core.redact``) or an answer to a captcha
  (``captcha_sid``/``captcha_key``: VK checks them on the request that carries them); upload
  steps (``…UploadServer``, ``*.save…``: the upload flow needs each step's answer before the
  next and gains nothing from a window's wait); long poll servers and history
  (``…LongPoll…``: their keys are bound to the moment they are asked); and any name that is
  not a dotted method name (sent as is: VK answers it).
- State is per event loop (the client may be used from several, one after another), held only
  while calls are pending there, and touched only from its loop's thread. An awaiter cancelled before its pack leaves is taken
  out of it; after, its answer is dropped.
- ``asyncio`` is imported when the first call is collected: ``import tether.vk`` stays light.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Final

from tether.core.errors import TetherError, UsageError
from tether.core.redact import is_secret
from tether.services.vk.batch import MAX_CALLS, Item, item, packs_flow
from tether.services.vk.coalesce import Units

if TYPE_CHECKING:
    import asyncio

__all__ = ["DEFAULT_WINDOW", "MAX_WINDOW", "AutoBatch", "auto_batch", "batchable"]

#: Seconds a collected call waits for company by default: far below a round trip to VK
#: (tens of milliseconds), so a lone call is barely delayed, and long enough for tasks
#: started together (``gather``) to arrive.
DEFAULT_WINDOW: Final = 0.005
#: The longest window accepted: past it, waiting costs more than the requests it saves.
MAX_WINDOW: Final = 1.0

_SOLO: Final = re.compile(
    r"(?:execute|auth|secure)(?:\..*)?|.*UploadServer|[^.]+\.save.*|.*LongPoll.*"
)
_CAPTCHA: Final = frozenset({"captcha_sid", "captcha_key"})


def batchable(method: str, params: Mapping[str, Any]) -> bool:
    """Whether a call may be collected into an ``execute`` (see the module docstring)."""
    if _SOLO.fullmatch(method):
        return False
    return not any(k in _CAPTCHA or is_secret(k) for k in params)


class _Group:
    """The calls collected on one loop and not yet sent, and the timer that sends them."""

    __slots__ = ("entries", "timer", "units")

    def __init__(self) -> None:
        self.entries: list[tuple[Item, asyncio.Future[Any]]] = []
        self.timer: asyncio.TimerHandle | None = None
        self.units = Units()  # the inner calls the entries make, merged (coalesce.py)


class AutoBatch:
    """The collector of one ``AsyncAPI``: ``call`` is what ``api.call`` returns for a
    batchable call."""

    def __init__(self, api: Any, window: float) -> None:
        self._api = api
        self.window = window
        # Keyed by loop; a group is popped when it is sent, so no loop is held after.
        self._groups: dict[Any, _Group] = {}
        self._tasks: set[asyncio.Task[Any]] = set()  # held: the loop keeps only weak refs

    def takes(self, method: str, params: Mapping[str, Any]) -> bool:
        return not self._api._raw and batchable(method, params)

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        """The call's result, once its pack (or its plain call) has been answered."""
        import asyncio

        try:
            entry = item(method, params)
        except UsageError:
            # Not a dotted name: sent alone, as without auto_batch (VK answers it).
            return await self._api._run(self._api._call_flow(method, params))
        loop = asyncio.get_running_loop()
        group = self._groups.get(loop)
        if group is None:
            group = self._groups[loop] = _Group()
        future: asyncio.Future[Any] = loop.create_future()
        group.entries.append((entry, future))
        if group.units.add(entry) >= MAX_CALLS:
            self._flush(loop)
        elif group.timer is None:
            group.timer = loop.call_later(self.window, self._flush, loop)
        return await future

    def _flush(self, loop: asyncio.AbstractEventLoop) -> None:
        group = self._groups.pop(loop, None)
        if group is None:
            return
        if group.timer is not None:
            group.timer.cancel()
        entries = [(e, f) for e, f in group.entries if not f.done()]  # done: cancelled
        if entries:
            task = loop.create_task(self._send(entries))  # at most MAX_CALLS units: one pack
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send(self, entries: list[tuple[Item, asyncio.Future[Any]]]) -> None:
        api = self._api
        try:
            if len(entries) == 1:
                (method, params), _ = entries[0]
                results = [await api._run(api._call_flow(method, params))]
            else:
                results = await api._run(packs_flow(api, [e for e, _ in entries]))
        except Exception as e:  # the pack's failure is each of its awaiters' (TetherError)
            for _, future in entries:
                if not future.done():
                    future.set_exception(e)
            return
        except BaseException:  # this task cancelled (the loop ends): no awaiter hangs
            for _, future in entries:
                future.cancel()
            raise
        for (_, future), result in zip(entries, results, strict=True):
            if future.done():
                continue
            if len(entries) > 1 and isinstance(result, TetherError):
                future.set_exception(result)
            else:
                future.set_result(result)


def auto_batch(api: Any, on: Any, window: Any) -> AutoBatch | None:
    """The collector for a client built with ``auto_batch=on, auto_batch_window=window``
    (``None``: the option was not given), or ``None``.

    Raises:
        UsageError: ``auto_batch`` on the sync ``API``, a window without ``auto_batch``, or a
            window that is not a number of seconds in ``[0, MAX_WINDOW]``.
    """
    if on and api._sync:
        raise UsageError(
            "auto_batch is an AsyncAPI option: sync code makes one call at a time, so no call "
            "is ever pending beside another to batch it with; batch them yourself with "
            "`with api.batch() as b:` or api.many([...]), or use AsyncAPI(auto_batch=True)"
        )
    if window is not None and not on:
        raise UsageError("auto_batch_window is the wait of AsyncAPI(auto_batch=True): pass both")
    if not on:
        return None
    if window is None:
        window = DEFAULT_WINDOW
    if isinstance(window, bool) or not isinstance(window, (int, float)):
        raise UsageError(f"auto_batch_window must be seconds (a number), not {window!r}")
    if not 0 <= window <= MAX_WINDOW:
        raise UsageError(f"auto_batch_window must be within 0 and {MAX_WINDOW} s, not {window!r}")
    return AutoBatch(api, float(window))
