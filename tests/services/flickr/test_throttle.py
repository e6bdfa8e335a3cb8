"""Rate limits against the Flickr sandbox over loopback: concurrent calls of one client wait
out 429s together instead of failing, sync (threads sharing the client) and async."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

CALLS = 20
LIMIT = {"per_second": 5, "burst": 5}


def run_concurrently(c: Any, n: int) -> list[Any]:
    client = c.client
    if c.loop is not None:

        async def go() -> list[Any]:
            calls = (client.test_echo(i=str(i)) for i in range(n))
            return await asyncio.gather(*calls, return_exceptions=True)

        return c.loop.run_until_complete(asyncio.wait_for(go(), 120))

    def one(i: int) -> Any:
        try:
            return client.test_echo(i=str(i))
        except Exception as e:  # collected, asserted below
            return e

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n), timeout=120))


def test_concurrent_calls_against_5_per_second_all_succeed(anon: Any, tether_sandbox: Any) -> None:
    tether_sandbox.set_faults(service="flickr", rate_limit=LIMIT)
    results = run_concurrently(anon, CALLS)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, f"{len(errors)} of {CALLS} failed, first: {errors[0]!r}"
    assert [r.find("i").text for r in results] == [str(i) for i in range(CALLS)]
    assert anon.client._throttle.throttles > 0  # the limit was really hit and waited out
