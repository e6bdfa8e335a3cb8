"""The VK client against the VK emulator, over loopback, as users run it: sent there by
``TETHER_SANDBOX`` (or the ``tether_vk`` fixture), with the sandbox's ready token."""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tether.vk import API, AsyncAPI
from tether.vk.exceptions import APIError


def env(sb: Any) -> dict[str, str]:
    return {"TETHER_SANDBOX": sb.url}


def test_tether_sandbox_sends_the_client_there_with_the_ready_token(tether_sandbox: Any) -> None:
    creds = tether_sandbox.credentials()["vk"]
    with API(environ=env(tether_sandbox)) as api:
        me = api.users.get(fields=["bdate"])
        assert me[0]["id"] == creds["user_id"]
        assert api.token == creds["access_token"]


def test_a_walk_stops_exactly_at_count(tether_sandbox: Any) -> None:
    tether_sandbox.control("POST", "/_sandbox/vk/rate", {"per_second": 0})  # no limit
    with API(environ=env(tether_sandbox), rate_limit=0) as api:
        friends = list(api.walk("friends.get", count=5000))
    assert len(friends) == 12000 and len(set(friends)) == 12000
    stats = tether_sandbox.stats("vk")
    # 5000 + 5000 + 2000 in one execute (pages inside it: test_walk_execute.py).
    assert stats["calls"] == {"execute": 1}
    assert stats["error_6"] == 0


def test_vk_errors_arrive_as_api_errors_with_vk_fields(tether_sandbox: Any) -> None:
    with API(environ=env(tether_sandbox)) as api, pytest.raises(APIError) as info:
        api.users.get(user_ids="not-an-id")
    err = info.value
    assert err.error_code in (100, 113)
    keys = {p["key"] for p in err.request_params}
    assert "method" in keys and "access_token" not in keys


def test_a_captcha_is_asked_and_the_call_sent_again(tether_sandbox: Any) -> None:
    tether_sandbox.control("POST", "/_sandbox/vk/captcha", {"method": "users.get", "count": 1})
    asked: list[str] = []

    class Person:
        @staticmethod
        def ask(field: str, **kw: Any) -> str:
            asked.append(field)
            sid = parse_qs(urlsplit(kw["img"]).query)["sid"][0]
            return str(tether_sandbox.control("GET", f"/_sandbox/vk/captcha/{sid}")["key"])

    with API(environ=env(tether_sandbox), input=Person) as api:
        assert api.users.get()[0]["id"] == tether_sandbox.credentials()["vk"]["user_id"]
    assert asked == ["captcha"]


def test_pacing_meets_no_error_6_at_the_sandboxs_limit(tether_sandbox: Any) -> None:
    # The sandbox holds the ready user token to 3 calls a second, as VK does; the client paces
    # itself to the same rate, so a burst of calls waits instead of collecting error 6.
    with API(environ=env(tether_sandbox)) as api:
        for _ in range(7):
            api.users.get()
    stats = tether_sandbox.stats("vk")
    assert stats["calls"]["users.get"] == 7 and stats["error_6"] == 0


def test_the_async_twin_makes_the_same_calls(tether_sandbox: Any) -> None:
    async def main() -> list[Any]:
        async with AsyncAPI(environ=env(tether_sandbox)) as api:
            return list(await asyncio.gather(api.users.get(), api.account.getAppPermissions()))

    me, perms = asyncio.run(main())
    assert me[0]["id"] == tether_sandbox.credentials()["vk"]["user_id"]
    assert isinstance(perms, int) and perms > 0
