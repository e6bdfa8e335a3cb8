"""Rate limits against the sandbox over loopback: one client's calls wait out 429s together
instead of failing, sync (threads sharing the client) and async; give-up errors say why."""

from __future__ import annotations

import asyncio
import socket
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

import tether
from tether import ovh
from tether.core.retry import RetryPolicy

CALLS = 40
LIMIT = {"per_second": 5, "burst": 5}


def run_concurrently(c: Any, n: int) -> list[Any]:
    """``n`` GET /me at once on the one client; results or exceptions, in order."""
    client = c.client
    if c.loop is not None:

        async def go() -> list[Any]:
            calls = (client.get("/me") for _ in range(n))
            return await asyncio.gather(*calls, return_exceptions=True)

        return c.loop.run_until_complete(asyncio.wait_for(go(), 120))

    def one(_: int) -> Any:
        try:
            return client.get("/me")
        except Exception as e:  # collected, asserted below
            return e

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n), timeout=120))


def test_forty_concurrent_gets_against_5_per_second_all_succeed(
    signed: Any, tether_sandbox: Any
) -> None:
    signed.get("/me")  # clock delta taken before the limit starts
    tether_sandbox.set_faults(rate_limit=LIMIT)
    results = run_concurrently(signed, CALLS)
    errors = [r for r in results if isinstance(r, Exception)]
    assert not errors, f"{len(errors)} of {CALLS} failed, first: {errors[0]!r}"
    assert all(r["firstname"] for r in results)
    gate = signed.client._throttle
    assert gate.throttles > 0  # the limit was really hit and waited out


def test_gave_up_transport_error_says_after_how_many_attempts(make_client: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = make_client(
        endpoint=f"http://127.0.0.1:{port}/1.0",
        application_key="a",
        application_secret="b",
        consumer_key="c",
        retry=RetryPolicy(max_attempts=2, base=0.01),
    )
    with pytest.raises(ovh.HTTPError) as e:
        c.get("/auth/time", _need_auth=False)
    assert "tether gave up after 2 attempts: max_attempts=2 reached" in str(e.value)
    assert isinstance(e.value.__cause__, tether.ConnectError)
