"""Run a test body against a sync client and its async twin through one call style.

``Both`` wraps either client; for the async one every call runs on an event loop owned by the
test. Walks (sync iterables / async iterables) come back as lists.
"""

from __future__ import annotations

import asyncio
import inspect
from typing import Any


class Both:
    def __init__(self, client: Any, loop: asyncio.AbstractEventLoop | None) -> None:
        self.client = client
        self.loop = loop

    def resolve(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            assert self.loop is not None
            return self.loop.run_until_complete(value)
        return value

    def collect(self, iterable: Any) -> list[Any]:
        if self.loop is None:
            return list(iterable)

        async def go() -> list[Any]:
            return [x async for x in iterable]

        return self.loop.run_until_complete(go())

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not callable(attr):
            return self.resolve(attr)
        return _Proxy(self, attr)

    def close(self) -> None:
        self.resolve(self.client.close())


class _Proxy:
    """A callable (method or dynamic API name) whose results are resolved; attribute access
    chains (``flickr.photos.search``)."""

    def __init__(self, both: Both, target: Any) -> None:
        self._both = both
        self._target = target

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        return self._both.resolve(self._target(*args, **kwargs))

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._target, name)
        return _Proxy(self._both, attr) if callable(attr) else attr
