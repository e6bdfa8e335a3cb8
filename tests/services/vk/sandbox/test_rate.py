"""Per-token rate limits (vk.md §3.4): error 6 past 3 calls a second for a user token, 20 for a
community token, settable; counted in ``/stats``.

Only bounds that timing cannot break are asserted: a bucket starts full and only refills, so
the first ``rate`` calls of a burst always pass; a burst far longer than the rate always meets
error 6 unless each call took longer than the refill (seconds, not milliseconds)."""

from __future__ import annotations

import time

from tests.services.vk.sandbox.wire import Wire
from tether.sandbox.kit.grants import grant_ref
from tether.services.vk.sandbox.model.auth import GROUP_TOKEN, SERVICE_TOKEN, USER_TOKEN

TOO_MANY = (6, "Too many requests per second")


def burst(wire: Wire, n: int, token: str | None = USER_TOKEN) -> list[int]:
    """The error code of each of ``n`` quick calls (0 for a success)."""
    out = []
    for _ in range(n):
        answer = wire.call("users.get", {"user_ids": 1}, token=token)
        error = answer.get("error")
        if error is not None:
            assert (error["error_code"], error["error_msg"]) == TOO_MANY
        out.append(error["error_code"] if error else 0)
    return out


def test_user_token_three_a_second(paced_wire: Wire) -> None:
    codes = burst(paced_wire, 33)
    assert codes[:3] == [0, 0, 0]
    assert 6 in codes[3:]
    stats = paced_wire.control("/stats", verb="GET").json()
    mine = stats["tokens"][grant_ref(USER_TOKEN)]
    assert mine == {
        "kind": "user",
        "owner": 100,
        "calls": {"users.get": 33},
        "error_6": codes.count(6),
    }
    assert stats["error_6"] == codes.count(6) and stats["errors"] == {"6": codes.count(6)}
    assert USER_TOKEN not in str(stats)


def test_community_token_twenty_a_second(paced_wire: Wire) -> None:
    codes = burst(paced_wire, 80, token=GROUP_TOKEN)
    assert codes[:20] == [0] * 20
    assert 6 in codes[20:]


def test_each_token_has_its_own_bucket(paced_wire: Wire) -> None:
    assert 6 in burst(paced_wire, 33)
    assert burst(paced_wire, 3, token=SERVICE_TOKEN) == [0, 0, 0]


def test_calls_without_a_token_are_limited_per_client(paced_wire: Wire) -> None:
    codes = burst(paced_wire, 33, token=None)
    assert codes[:3] == [0, 0, 0] and 6 in codes[3:]
    stats = paced_wire.control("/stats", verb="GET").json()
    assert stats["tokens"]["anonymous"]["calls"] == {"users.get": 33}


def test_rate_is_settable_and_reset_restores_it(paced_wire: Wire) -> None:
    assert paced_wire.set("/rate", {"per_second": 50}) == {
        "per_second": 50.0,
        "group_per_second": 20.0,
    }
    codes = burst(paced_wire, 50)
    assert codes == [0] * 50
    paced_wire.set("/rate", {"per_second": 1, "group_per_second": 2})
    assert burst(paced_wire, 1, token=GROUP_TOKEN) == [0]
    assert 6 in burst(paced_wire, 40, token=GROUP_TOKEN)
    paced_wire.set("/reset", {})
    assert paced_wire.control("/rate", verb="GET").json() == {
        "per_second": 3.0,
        "group_per_second": 20.0,
    }


def test_a_drained_bucket_refills(paced_wire: Wire) -> None:
    paced_wire.set("/rate", {"per_second": 20})
    assert 6 in burst(paced_wire, 60)
    time.sleep(0.15)  # three tokens' worth at 20/s
    assert burst(paced_wire, 1) == [0]


def test_zero_lifts_the_limit(paced_wire: Wire) -> None:
    paced_wire.set("/rate", {"per_second": 0})
    assert burst(paced_wire, 40) == [0] * 40
