"""Lazy, sliceable walks over paginated lists, for every service.

``Walk`` wraps a runtime's ``walk_pages`` so that ``for x in walk``, ``async for x in walk``
and ``walk[:25]`` all work, fetching pages only as items are consumed: with ``per_page=15``,
``walk[:25]`` makes exactly two calls (FlickrAPI's documented promise, which its generators
never kept).

Invariants:
- Nothing is fetched until iteration starts; a slice stops fetching once its end is reached.
- Order is page order, even with async prefetching.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, Generic, TypeVar

from tether.core.errors import UsageError
from tether.core.flow import Flow

T = TypeVar("T")


class Walk(Generic[T]):
    def __init__(
        self, runtime: Any, fetch: Callable[[int], Flow[tuple[list[T], int]]], prefetch: int = 0
    ) -> None:
        self._runtime = runtime
        self._fetch = fetch
        self._prefetch = prefetch

    def __iter__(self) -> Iterator[T]:
        it: Iterator[T] = self._runtime.walk_pages(self._fetch, self._prefetch)
        if not hasattr(it, "__next__"):
            raise UsageError("this client is async: use `async for` over the walk")
        return it

    def __aiter__(self) -> AsyncIterator[T]:
        it: AsyncIterator[T] = self._runtime.walk_pages(self._fetch, self._prefetch)
        if not hasattr(it, "__anext__"):
            raise UsageError("this client is sync: use a plain `for` over the walk")
        return it

    def __getitem__(self, key: slice) -> Any:
        """``walk[a:b:c]``: a lazy iterator (async iterator on async clients)."""
        if not isinstance(key, slice):
            raise UsageError("a walk can only be sliced (walk[:25]); iterate it for items")
        start, stop, step = key.start or 0, key.stop, key.step or 1
        if start < 0 or (stop is not None and stop < 0) or step < 1:
            raise UsageError("walk slices take non-negative start/stop and a positive step")
        it = self._runtime.walk_pages(self._fetch, self._prefetch)
        if hasattr(it, "__next__"):
            return itertools.islice(it, start, stop, step)
        return _aislice(it, start, stop, step)


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
