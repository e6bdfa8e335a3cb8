"""Run every OVH client test twice: with ``Client`` and with ``AsyncClient``.

``Both`` wraps either client behind the sync call style; for the async client each call runs
on one event loop owned by the test, so the same test body checks both behaviours.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Iterator
from typing import Any

import pytest

from tether.ovh import AsyncClient, Client


class Both:
    def __init__(
        self, client: Client | AsyncClient, loop: asyncio.AbstractEventLoop | None
    ) -> None:
        self.client = client
        self.loop = loop

    def _resolve(self, value: Any) -> Any:
        if inspect.isawaitable(value):
            assert self.loop is not None
            return self.loop.run_until_complete(value)
        return value

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self.client, name)
        if not callable(attr):
            return self._resolve(attr)

        def call(*args: Any, **kwargs: Any) -> Any:
            return self._resolve(attr(*args, **kwargs))

        return call

    def iterate(self, *args: Any, **kwargs: Any) -> list[Any]:
        it = self.client.iterate(*args, **kwargs)
        if self.loop is None:
            return list(it)  # type: ignore[arg-type]

        async def collect() -> list[Any]:
            return [x async for x in it]  # type: ignore[union-attr]

        return self.loop.run_until_complete(collect())

    def new_consumer_key_request(self) -> Any:
        ck = self.client.new_consumer_key_request()
        both = self

        class CK:
            def __getattr__(self, name: str) -> Any:
                attr = getattr(ck, name)
                return lambda *a, **k: both._resolve(attr(*a, **k))

        return CK()


@pytest.fixture(params=["sync", "async"])
def make_client(request: pytest.FixtureRequest) -> Iterator[Any]:
    loop = asyncio.new_event_loop() if request.param == "async" else None
    made: list[Both] = []

    def make(**kwargs: Any) -> Both:
        kwargs.setdefault("environ", {})
        cls = AsyncClient if loop is not None else Client
        b = Both(cls(**kwargs), loop)
        made.append(b)
        return b

    make.mode = request.param  # type: ignore[attr-defined]
    yield make
    for b in made:
        b.close()
    if loop is not None:
        loop.close()


@pytest.fixture
def ovh_creds(tether_sandbox: Any) -> dict[str, Any]:
    creds: dict[str, Any] = tether_sandbox.credentials()["ovh"]
    return creds


@pytest.fixture
def signed(make_client: Any, ovh_creds: dict[str, Any]) -> Any:
    """A client with the sandbox's validated full-access consumer key."""
    return make_client(
        endpoint=ovh_creds["base_url"],
        application_key=ovh_creds["application_key"],
        application_secret=ovh_creds["application_secret"],
        consumer_key=ovh_creds["consumer_key"],
    )
