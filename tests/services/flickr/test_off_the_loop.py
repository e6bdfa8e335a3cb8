"""The async Flickr client keeps token-file I/O off the event loop: the seed's
``get_token_part_two`` stores the token through a ``Blocking`` effect (a worker thread)."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path

from tether.flickr import AsyncFlickrAPI


class SpyCache:
    """A token cache that records the thread each write happens on."""

    def __init__(self) -> None:
        self._token: str | None = None
        self.path: str | None = None
        self.writes: list[int] = []

    @property
    def token(self) -> str | None:
        return self._token

    @token.setter
    def token(self, value: str | None) -> None:
        self.writes.append(threading.get_ident())
        self._token = value

    def forget(self) -> None:
        self._token = None


def test_part_two_stores_the_token_on_a_worker_thread(tmp_path: Path) -> None:
    async def main() -> tuple[int, str, SpyCache]:
        api = AsyncFlickrAPI("key", "secret", token_cache_location=str(tmp_path), environ={})
        spy = SpyCache()
        api.token_cache = spy
        try:
            token = await api.get_token_part_two(("the-token", None))
        finally:
            await api.close()
        return threading.get_ident(), token, spy

    loop_thread, token, spy = asyncio.run(main())
    assert token == "the-token"
    assert spy.token == "the-token"
    assert spy.writes and loop_thread not in spy.writes
