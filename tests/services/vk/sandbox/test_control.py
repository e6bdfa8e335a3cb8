"""The VK emulator's control routes: each field checked (a 4xx naming it, nothing changed),
each route doing what it says, and ``/reset`` restoring the seed."""

from __future__ import annotations

from typing import Any

import pytest

from tests.services.vk.sandbox.wire import Wire
from tether.services.vk.sandbox.model.auth import NO_WALL_TOKEN, USER_TOKEN


@pytest.mark.parametrize(
    ("path", "body", "names"),
    [
        ("/rate", {"per_second": "3"}, "per_second"),
        ("/rate", {"per_second": -1}, "per_second"),
        ("/rate", {"per_second": True}, "per_second"),
        ("/rate", {"group_per_second": 1e9}, "group_per_second"),
        ("/rate", {"perSecond": 3}, "perSecond"),
        ("/settings", {"min_version": 5.81}, "min_version"),
        ("/settings", {"min_version": "five"}, "min_version"),
        ("/settings", {"min_version": "5.81", "floor": 1}, "floor"),
        ("/settings", {"daily_limits": 3}, "daily_limits"),
        ("/settings", {"daily_limits": {"no.such": 3}}, "no.such"),
        ("/settings", {"daily_limits": {"wall.get": -1}}, "wall.get"),
        ("/settings", {"daily_limits": {"wall.get": "3"}}, "wall.get"),
        ("/expire", {}, "token"),
        ("/expire", {"token": 5}, "token"),
        ("/captcha", {"count": 1}, "method"),
        ("/captcha", {"method": "no.such"}, "method"),
        ("/captcha", {"method": "users.get", "count": -1}, "count"),
        ("/captcha", {"method": "users.get", "count": 1.5}, "count"),
        ("/captcha", {"method": "users.get", "sid": "1"}, "sid"),
        ("/validation", {"count": "2"}, "count"),
        ("/validation", {"n": 2}, "n"),
        ("/flood", {"method": "wall.post", "count": 10**10}, "count"),
        ("/flood", {"method": ["wall.post"]}, "method"),
        ("/time", {"skew": "1"}, "skew"),
        ("/reset", {"all": True}, "all"),
    ],
)
def test_a_wrong_field_is_a_400_naming_it_and_changes_nothing(
    wire: Wire, path: str, body: dict[str, Any], names: str
) -> None:
    before = {p: wire.control(p, verb="GET").json() for p in ("/rate", "/settings")}
    answer = wire.control(path, body)
    assert answer.status == 400, answer.body
    assert names in answer.json()["error"]
    assert {p: wire.control(p, verb="GET").json() for p in ("/rate", "/settings")} == before


@pytest.mark.parametrize("raw", [b"not json", b"[1, 2]", b'"x"', b"{" * 200 + b"}" * 200])
def test_a_body_that_is_not_an_object_is_a_400(wire: Wire, raw: bytes) -> None:
    answer = wire.raw("POST", "/_sandbox/vk/rate", raw, {"Content-Type": "application/json"})
    assert answer.status == 400 and "error" in answer.json()


def test_a_refused_settings_body_changes_no_field(wire: Wire) -> None:
    answer = wire.control("/settings", {"min_version": "5.0", "daily_limits": {"x.y": 1}})
    assert answer.status == 400
    assert wire.control("/settings", verb="GET").json()["min_version"] == "5.81"


def test_unknown_token_and_sid_are_404(wire: Wire) -> None:
    assert wire.control("/expire", {"token": "nope-nope-nope"}).status == 404
    assert wire.control("/captcha/123", verb="GET").status == 404


def test_settings_merge_daily_limits(wire: Wire) -> None:
    got = wire.set("/settings", {"daily_limits": {"users.get": 10}})
    assert got == {"min_version": "5.81", "daily_limits": {"wall.get": 5000, "users.get": 10}}


def test_reset_restores_tokens_switches_counters_and_clock(wire: Wire) -> None:
    wire.set("/expire", {"token": USER_TOKEN})
    wire.set("/captcha", {"method": "users.get", "count": 3})
    wire.set("/validation", {"count": 3})
    wire.set("/flood", {"method": "wall.post", "count": 3})
    wire.set("/settings", {"min_version": "5.0", "daily_limits": {"wall.get": 0}})
    wire.set("/time", {"skew": 500})
    # 5.0 passes the lowered floor; the validation switch answers, and the call is counted.
    assert (
        wire.error("users.get", {"user_ids": 1}, token=NO_WALL_TOKEN, v="5.0")["error_code"] == 17
    )
    assert wire.control("/stats", verb="GET").json()["calls"] == {"users.get": 1}
    assert wire.set("/reset", {}) == {"reset": ["vk"]}
    wire.set("/rate", {"per_second": 0})
    assert wire.control("/time", verb="GET").json()["skew"] == 0.0
    assert wire.control("/stats", verb="GET").json() == {
        "calls": {},
        "tokens": {},
        "errors": {},
        "error_6": 0,
    }
    assert wire.ok("users.get", {"user_ids": 1})[0]["id"] == 1  # token alive, no switch
    assert wire.ok("wall.post", {"message": "x"}) == {"post_id": 251}
    assert wire.ok("wall.get", {"count": 1})["count"] == 251
    assert wire.error("users.get", v="5.80")["error_code"] == 8
