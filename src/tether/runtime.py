"""The two drivers that run flows (``SyncRuntime.run``, ``AsyncRuntime.run``) and the one
``Walk`` type that runs paginated listings on either.

The drivers are the only hand-written sync/async twins in tether; keep them small and keep them
doing the same thing. Each runtime owns one transport, the effect handlers (clock, sleep,
prompt, browse) and the locks behind ``Exclusive``.

Invariants:
- A ``TransportError`` from the transport is thrown into the flow; any other exception from
  the transport is a bug in the transport and propagates as is.
- Locks are per runtime (so per client object), never global.
- Nothing here logs request content except through ``tether.core.redact``.
- A ``Walk`` is one type for both drivers: each step is one flow (``_walk_step``) that asks
  the pure pager (``tether.core.paging``) for its next requests, fetches them (several through
  one ``Gather``) and reads the answers; ``for`` runs steps on the sync driver, ``async for``
  on the async one. The driver knows nothing of paging.
"""

from __future__ import annotations

import itertools
import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Generic, Protocol, TypeVar

from tether.core.errors import TetherError, TransportError, UsageError
from tether.core.flow import Blocking, Browse, Exclusive, Flow, Gather, Now, Prompt, Send, Sleep
from tether.core.messages import Request, Response
from tether.core.paging import Bounded, PageNumber, Pager, Strategy
from tether.core.redact import redact_url

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")

log = logging.getLogger("tether.http")
DEBUG = logging.DEBUG


class SyncTransport(Protocol):
    def send(self, request: Request) -> Response: ...
    def close(self) -> None: ...


class AsyncTransport(Protocol):
    async def send(self, request: Request) -> Response: ...
    async def aclose(self) -> None: ...


def _default_prompt(p: Prompt) -> str:
    if p.kind == "confirm":
        input(p.message + " ")
        return ""
    return input(p.message + " ").strip()


def _default_browse(b: Browse) -> None:
    # The URL may carry a one-time token: print it only to the user's own terminal, never log.
    import webbrowser  # costs ~6 ms of imports; only interactive logins need it

    print(f"Open this URL in your browser: {b.url}")
    webbrowser.open(b.url)


def _log_send(request: Request, response: Response | None, error: Exception | None) -> None:
    if response is not None:
        log.debug("%s %s -> %d", request.method, redact_url(request.url), response.status)
    else:
        log.debug("%s %s failed: %s", request.method, redact_url(request.url), type(error).__name__)


class SyncRuntime:
    """Runs flows in the calling thread. Thread-safe: one client may be shared by threads."""

    def __init__(
        self,
        transport: SyncTransport,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
        prompt: Callable[[Prompt], str] = _default_prompt,
        browse: Callable[[Browse], None] = _default_browse,
    ) -> None:
        self.transport = transport
        self.clock = clock
        self.sleep = sleep
        self.prompt = prompt
        self.browse = browse
        self._locks: dict[str, threading.Lock] = {}
        self._locks_guard = threading.Lock()

    def _lock(self, key: str) -> threading.Lock:
        with self._locks_guard:
            lock = self._locks.get(key)
            if lock is None:
                lock = self._locks[key] = threading.Lock()
            return lock

    def run(self, flow: Flow[T]) -> T:
        value: Any = None
        error: BaseException | None = None
        send_ = flow.send
        transport_send = self.transport.send
        debug = log.isEnabledFor
        while True:
            try:
                effect = send_(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                result: T = stop.value
                return result
            value = error = None
            kind = type(effect)
            if kind is Send:
                request = effect.request  # type: ignore[union-attr]
                try:
                    value = transport_send(request)
                    if debug(DEBUG):
                        _log_send(request, value, None)
                except TransportError as e:
                    if debug(DEBUG):
                        _log_send(request, None, e)
                    error = e
            elif kind is Now:
                value = self.clock()
            elif kind is Sleep:
                self.sleep(effect.seconds)  # type: ignore[union-attr]
            elif kind is Exclusive:
                with self._lock(effect.key):  # type: ignore[union-attr]
                    try:
                        value = self.run(effect.flow)  # type: ignore[union-attr]
                    except TetherError as e:
                        error = e
            elif kind is Gather:
                try:
                    value = [self.run(f) for f in effect.flows]  # type: ignore[union-attr]
                except TetherError as e:
                    error = e
            elif kind is Prompt:
                value = self.prompt(effect)  # type: ignore[arg-type]
            elif kind is Browse:
                self.browse(effect)  # type: ignore[arg-type]
            elif kind is Blocking:
                try:
                    value = effect.fn()  # type: ignore[union-attr]
                except TetherError as e:
                    error = e
            else:
                error = UsageError(f"flow yielded {effect!r}, which is not an effect")

    def close(self) -> None:
        self.transport.close()


class AsyncRuntime:
    """Runs flows on the running event loop; any number may be in flight at once."""

    def __init__(
        self,
        transport: AsyncTransport,
        *,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        prompt: Callable[[Prompt], str | Awaitable[str]] = _default_prompt,
        browse: Callable[[Browse], Awaitable[None] | None] = _default_browse,
    ) -> None:
        import asyncio  # here, not at module level: sync users never pay for it

        self._asyncio = asyncio
        self.transport = transport
        self.clock = clock
        self.sleep = sleep if sleep is not None else asyncio.sleep
        self.prompt = prompt
        self.browse = browse
        # asyncio.Lock binds to the loop on first use; a client used from several loops
        # (e.g. successive asyncio.run calls) gets a fresh lock per loop.
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}

    def _lock(self, key: str) -> asyncio.Lock:
        asyncio = self._asyncio
        k = (id(asyncio.get_running_loop()), key)
        lock = self._locks.get(k)
        if lock is None:
            lock = self._locks[k] = asyncio.Lock()
        return lock

    async def run(self, flow: Flow[T]) -> T:
        value: Any = None
        error: BaseException | None = None
        send_ = flow.send
        transport_send = self.transport.send
        debug = log.isEnabledFor
        while True:
            try:
                effect = send_(value) if error is None else flow.throw(error)
            except StopIteration as stop:
                result: T = stop.value
                return result
            value = error = None
            kind = type(effect)
            if kind is Send:
                request = effect.request  # type: ignore[union-attr]
                try:
                    value = await transport_send(request)
                    if debug(DEBUG):
                        _log_send(request, value, None)
                except TransportError as e:
                    if debug(DEBUG):
                        _log_send(request, None, e)
                    error = e
            elif kind is Now:
                value = self.clock()
            elif kind is Sleep:
                await self.sleep(effect.seconds)  # type: ignore[union-attr]
            elif kind is Exclusive:
                async with self._lock(effect.key):  # type: ignore[union-attr]
                    try:
                        value = await self.run(effect.flow)  # type: ignore[union-attr]
                    except TetherError as e:
                        error = e
            elif kind is Gather:
                try:
                    value = await self._gather(effect)  # type: ignore[arg-type]
                except TetherError as e:
                    error = e
            elif kind is Prompt:
                value = self.prompt(effect)  # type: ignore[arg-type]
                if hasattr(value, "__await__"):
                    value = await value
            elif kind is Browse:
                r = self.browse(effect)  # type: ignore[arg-type]
                if r is not None:
                    await r
            elif kind is Blocking:
                try:
                    value = await self._asyncio.to_thread(effect.fn)  # type: ignore[union-attr]
                except TetherError as e:
                    error = e
            else:
                error = UsageError(f"flow yielded {effect!r}, which is not an effect")

    async def _gather(self, effect: Gather) -> list[Any]:
        asyncio = self._asyncio
        if effect.limit <= 0:
            return list(await asyncio.gather(*(self.run(f) for f in effect.flows)))
        sem = asyncio.Semaphore(effect.limit)

        async def one(f: Flow[Any]) -> Any:
            async with sem:
                return await self.run(f)

        return list(await asyncio.gather(*(one(f) for f in effect.flows)))

    async def aclose(self) -> None:
        await self.transport.aclose()


class Walk(Generic[T]):
    """Every item of a paginated listing, fetched lazily, in page order.

    ``for x in walk`` on a sync client, ``async for x in walk`` on an async one, and
    ``walk[a:b:c]`` on either: a slice stops fetching at its end (``walk[:25]`` at 15 per page
    costs two calls; a ``Bounded`` strategy is told the end, so that one packing many pages a
    request asks only the pages those items need). Each iteration starts again from the first
    page.

    Args:
        runtime: the client's ``SyncRuntime`` or ``AsyncRuntime``.
        fetch: ``fetch(request)``, a flow answering one page; the request it is given and the
            answer it returns are those of ``strategy`` (see ``tether.core.paging``).
        prefetch: async only: up to this many pages fetched at once (one ``Gather``) where the
            strategy knows them ahead (page numbers, offsets); the sync walk fetches a page
            only when the previous one is used up.
        strategy: how pages follow one another; ``PageNumber()`` by default, for which
            ``fetch(page)`` answers ``(items, pages)``.
    """

    __slots__ = ("_fetch", "_prefetch", "_runtime", "_strategy")

    def __init__(
        self,
        runtime: SyncRuntime | AsyncRuntime,
        fetch: Callable[[Any], Flow[Any]],
        prefetch: int = 0,
        strategy: Strategy | None = None,
    ) -> None:
        self._runtime = runtime
        self._fetch = fetch
        self._prefetch = prefetch
        self._strategy: Strategy = strategy if strategy is not None else PageNumber()

    def __iter__(self) -> Iterator[T]:
        runtime = self._runtime
        if not isinstance(runtime, SyncRuntime):
            raise UsageError("this client is async: use `async for` over the walk")
        return self._items(runtime)

    def __aiter__(self) -> AsyncIterator[T]:
        runtime = self._runtime
        if not isinstance(runtime, AsyncRuntime):
            raise UsageError("this client is sync: use a plain `for` over the walk")
        return self._aitems(runtime)

    def _items(self, runtime: SyncRuntime) -> Iterator[T]:
        pager, fetch, run = self._strategy.start(), self._fetch, runtime.run
        while (items := run(_walk_step(fetch, pager, 1))) is not None:
            yield from items

    async def _aitems(self, runtime: AsyncRuntime) -> AsyncIterator[T]:
        pager, fetch, run = self._strategy.start(), self._fetch, runtime.run
        ahead = max(1, self._prefetch)
        while (items := await run(_walk_step(fetch, pager, ahead))) is not None:
            for item in items:
                yield item

    def __getitem__(self, key: slice) -> Any:
        """``walk[a:b:c]``: a lazy iterator (an async iterator on async clients)."""
        if not isinstance(key, slice):
            raise UsageError("a walk can only be sliced (walk[:25]); iterate it for items")
        start, stop, step = key.start or 0, key.stop, key.step or 1
        if start < 0 or (stop is not None and stop < 0) or step < 1:
            raise UsageError("walk slices take non-negative start/stop and a positive step")
        walk = self
        if stop is not None and isinstance(self._strategy, Bounded):
            walk = Walk(self._runtime, self._fetch, self._prefetch, self._strategy.upto(stop))
        if isinstance(self._runtime, AsyncRuntime):
            return _aislice(walk._aitems(self._runtime), start, stop, step)
        return itertools.islice(iter(walk), start, stop, step)


def _walk_step(fetch: Callable[[Any], Flow[Any]], pager: Pager, limit: int) -> Flow[Any]:
    """One step of a walk: the items of the next page(s), or ``None`` when the walk is over."""
    requests = pager.requests(limit)
    if not requests:
        return None
    if len(requests) == 1:
        return pager.read((yield from fetch(requests[0])))
    answers = yield Gather([fetch(r) for r in requests])
    items: list[Any] = []
    for answer in answers:  # in request order, as the pager reads them
        items += pager.read(answer)
    return items


async def _aislice(
    it: AsyncIterator[T], start: int, stop: int | None, step: int
) -> AsyncIterator[T]:
    i = 0
    try:
        async for item in it:
            if stop is not None and i >= stop:
                break
            if i >= start and (i - start) % step == 0:
                yield item
            i += 1
            if stop is not None and i >= stop:
                break
    finally:
        await it.aclose()  # type: ignore[attr-defined]


def make_runtime(
    sync: bool,
    transport: Any,
    options: Any,
    *,
    browse: Callable[[Browse], Any] | None = None,
    prompt: Callable[[Prompt], Any] | None = None,
) -> SyncRuntime | AsyncRuntime:
    """The runtime a facade runs its flows on: sync or async, on the given transport or the
    measured default for ``options`` (a ``TransportOptions``)."""
    from tether.transport import default_async_transport, default_sync_transport

    kw: dict[str, Any] = {}
    if browse is not None:
        kw["browse"] = browse
    if prompt is not None:
        kw["prompt"] = prompt
    if sync:
        return SyncRuntime(transport or default_sync_transport(options), **kw)
    return AsyncRuntime(transport or default_async_transport(options), **kw)
