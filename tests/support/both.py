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

    def __setattr__(self, name: str, value: Any) -> None:
        # The wrapper's own two fields stay here; anything else (``flickr.cache = …``,
        # ``flickr.token_cache = …``) is set on the client, as a user's assignment would be.
        if name in ("client", "loop"):
            object.__setattr__(self, name, value)
        else:
            setattr(self.client, name, value)

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


def client_factory(
    mode: str, sync_cls: Any, async_cls: Any, both_cls: type[Both] = Both, **defaults: Any
) -> Any:
    """A generator for a fixture: yields ``make(*args, **kwargs) -> Both`` building the sync or
    async class per ``mode``, and closes every client (and the loop) afterwards."""
    loop = asyncio.new_event_loop() if mode == "async" else None
    made: list[Both] = []

    def make(*args: Any, **kwargs: Any) -> Both:
        for k, v in defaults.items():
            kwargs.setdefault(k, v)
        cls = async_cls if loop is not None else sync_cls
        b = both_cls(cls(*args, **kwargs), loop)
        made.append(b)
        return b

    make.mode = mode  # type: ignore[attr-defined]
    yield make
    for b in made:
        b.close()
    if loop is not None:
        loop.close()
