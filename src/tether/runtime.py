"""The two drivers that run flows: ``SyncRuntime.run`` and ``AsyncRuntime.run``.

These are the only hand-written sync/async twins in tether; keep them small and keep them
doing the same thing. Each runtime owns one transport, the effect handlers (clock, sleep,
prompt, browse) and the locks behind ``Exclusive``.

Invariants:
- A ``TransportError`` from the transport is thrown into the flow; any other exception from
  the transport is a bug in the transport and propagates as is.
- Locks are per runtime (so per client object), never global.
- Nothing here logs request content except through ``tether.core.redact``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import TYPE_CHECKING, Any, Protocol, TypeVar

from tether.core.errors import TetherError, TransportError, UsageError
from tether.core.flow import Blocking, Browse, Exclusive, Flow, Gather, Now, Prompt, Send, Sleep
from tether.core.messages import Request, Response
from tether.core.redact import redact_url

if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")

log = logging.getLogger("tether.http")
DEBUG = logging.DEBUG

# fetch(token) -> flow of (items, next token or None)
PageFetcher = Callable[[Any], Flow[tuple[list[T], Any]]]
# fetch(page number from 1) -> flow of (items, total number of pages)
NumberedPageFetcher = Callable[[int], Flow[tuple[list[T], int]]]


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

    def iterate(self, fetch: PageFetcher[T], start: Any = None) -> Iterator[T]:
        """Items of every page, fetching a page only when the previous one is used up.

        ``fetch(token)`` is a flow returning ``(items, next_token)``; ``None`` ends the walk.
        """
        token = start
        while True:
            items, token = self.run(fetch(token))
            yield from items
            if token is None:
                return

    def walk_pages(self, fetch: NumberedPageFetcher[T], prefetch: int = 0) -> Iterator[T]:
        """Items of pages 1, 2, … up to the page count the first page announced.

        Stops on the count, never on an empty page: services such as Flickr keep answering
        past the last page. ``prefetch`` is accepted for symmetry and ignored (sync).
        """
        page, pages = 1, 1
        while page <= pages:
            items, total = self.run(fetch(page))
            if page == 1:
                pages = total
            yield from items
            page += 1

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

    async def iterate(self, fetch: PageFetcher[T], start: Any = None) -> AsyncIterator[T]:
        """``async for`` twin of ``SyncRuntime.iterate``."""
        token = start
        while True:
            items, token = await self.run(fetch(token))
            for item in items:
                yield item
            if token is None:
                return

    async def walk_pages(
        self, fetch: NumberedPageFetcher[T], prefetch: int = 0
    ) -> AsyncIterator[T]:
        """``async for`` twin of ``SyncRuntime.walk_pages``; with ``prefetch`` > 0, up to that
        many following pages are fetched concurrently while earlier ones are consumed.
        Items still come in page order."""
        asyncio = self._asyncio
        items, pages = await self.run(fetch(1))
        for item in items:
            yield item
        pending: list[Any] = []  # futures of (items, pages)
        next_page = 2
        try:
            while next_page <= pages or pending:
                while next_page <= pages and len(pending) < max(1, prefetch):
                    pending.append(asyncio.ensure_future(self.run(fetch(next_page))))
                    next_page += 1
                items, _ = await pending.pop(0)
                for item in items:
                    yield item
        finally:
            for task in pending:
                task.cancel()

    async def aclose(self) -> None:
        await self.transport.aclose()


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
