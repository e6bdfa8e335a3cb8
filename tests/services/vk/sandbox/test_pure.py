"""The VK emulator's pure pieces driven by hand (rate buckets, captchas, switches, quotas,
versions), its contract with the sandbox, and its import graph."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.sandbox.test_kit_import_graph import _cycles, _graph, _modules
from tether.sandbox.kit.grants import grant_ref
from tether.services.vk.sandbox.app import VkEmulator, create_app
from tether.services.vk.sandbox.guards import MAX_CAPTCHAS, Guards, RateBuckets
from tether.services.vk.sandbox.host import parse_version
from tether.services.vk.sandbox.methods import METHODS
from tether.services.vk.sandbox.model import people
from tether.services.vk.sandbox.model.auth import ALL_USER_BITS, SCOPE_BITS, USER_TOKEN

PACKAGE = "tether.services.vk.sandbox"


def test_bucket_bursts_rate_then_refills_continuously() -> None:
    b = RateBuckets()
    assert [b.take("t", 3, 0.0) for _ in range(4)] == [True, True, True, False]
    assert b.take("t", 3, 0.2) is False  # 0.6 of a token refilled
    assert b.take("t", 3, 0.34) is True  # a whole one now
    assert b.take("t", 3, 0.35) is False
    assert b.take("other", 3, 0.35) is True  # its own bucket
    assert all(b.take("t", 0, 0.35) for _ in range(100))  # 0 lifts the limit
    # Refill never exceeds the burst: after a long pause, exactly `rate` pass.
    assert [b.take("t", 3, 100.0) for _ in range(4)] == [True, True, True, False]


def test_fractional_rates_allow_one_call_first() -> None:
    b = RateBuckets()
    assert b.take("t", 0.5, 0.0) is True
    assert b.take("t", 0.5, 1.0) is False
    assert b.take("t", 0.5, 2.5) is True


def test_captcha_switch_answer_and_binding() -> None:
    g = Guards()
    assert g.captcha_passes("m", "", "") is True
    g.captcha_next["m"] = 1
    assert g.captcha_passes("m", "", "") is False
    c = g.new_captcha("m")
    assert g.captcha_passes("m", c.sid, "wrong") is False  # a wrong key uses the captcha up
    assert c.sid not in g.captchas
    c2 = g.new_captcha("m")
    assert g.captcha_passes("other", c2.sid, c2.key) is True  # no answer for another method
    assert c2.sid in g.captchas
    assert g.captcha_passes("m", c2.sid, c2.key) is True
    assert g.captcha_passes("m", c2.sid, c2.key) is True  # nothing pending: passes anyway


def test_captchas_are_bounded_and_deterministic() -> None:
    g = Guards()
    first = g.new_captcha("m")
    for _ in range(MAX_CAPTCHAS):
        g.new_captcha("m")
    assert len(g.captchas) == MAX_CAPTCHAS and first.sid not in g.captchas
    assert Guards().new_captcha("m") == first  # the same sequence after a reset


def test_quota_counts_per_caller_and_day() -> None:
    g = Guards()
    assert [g.quota_passes("a", "m", 2, 10.0) for _ in range(3)] == [True, True, False]
    assert g.quota_passes("b", "m", 2, 10.0) is True
    assert g.quota_passes("a", "n", 2, 10.0) is True
    assert g.quota_passes("a", "m", None, 10.0) is True
    assert g.quota_passes("a", "m", 2, 86400.0) is True  # a new day
    assert g.quota_passes("a", "m", 0, 86400.0) is False


def test_switches_count_down() -> None:
    g = Guards()
    g.validation_next = 2
    assert [g.take_validation() for _ in range(3)] == [True, True, False]
    g.flood_next["m"] = 1
    assert [g.take_flood("m"), g.take_flood("m"), g.take_flood("x")] == [True, False, False]


@pytest.mark.parametrize(
    ("text", "version"),
    [
        ("5.131", (5, 131)),
        ("5.81", (5, 81)),
        (" 5.0 ", (5, 0)),
        ("5", None),
        ("5.x", None),
        ("", None),
        ("5.1.2", None),
        ("-5.1", None),
        ("99999.1", None),
    ],
)
def test_versions_are_major_minor_integers(text: str, version: tuple[int, int] | None) -> None:
    assert parse_version(text) == version


def test_version_order_is_not_float_order() -> None:
    assert parse_version("5.131") > parse_version("5.81")  # type: ignore[operator]


def test_scope_bits_are_vks() -> None:
    # vk.md §8 V10.
    assert ALL_USER_BITS == 140492255
    assert SCOPE_BITS["offline"] | SCOPE_BITS["groups"] == 327680
    assert ALL_USER_BITS - SCOPE_BITS["messages"] == 140488159  # pyvk's p_all


def test_people_are_computed_the_same_every_time() -> None:
    assert people.person(42) == people.person(42)
    assert len(people.friends_of(100)) == 12000
    assert people.resolve_user("id300001") is None and people.resolve_user("id300000") == 300000


def test_the_emulator_meets_the_sandbox_contract() -> None:
    app = create_app()
    em = app.state.emulator
    assert isinstance(em, VkEmulator) and em.name == "vk"
    assert callable(em.control) and em.pending_grants() == []
    status, headers, body = em.error_response(502)
    assert status == 502 and b"502 Bad Gateway" in body and b"nginx" in body
    assert headers == [(b"content-type", b"text/html")]
    scope = {"query_string": f"v=5.131&access_token={USER_TOKEN}".encode(), "headers": []}
    assert em.rate_key(scope) == f"token:{grant_ref(USER_TOKEN)}"
    bearer = {"headers": [(b"authorization", f"Bearer {USER_TOKEN}".encode())]}
    assert em.rate_key(bearer) == f"token:{grant_ref(USER_TOKEN)}"
    assert em.rate_key({"headers": [], "client": ("10.0.0.7", 5)}) == "client:10.0.0.7"


def test_two_apps_share_no_state() -> None:
    a, b = create_app().state.emulator, create_app().state.emulator
    a.state.add_post(100, 100, "x", (), 0.0)
    assert len(a.state.wall(100)) == 251 and len(b.state.wall(100)) == 250


def test_every_method_line_names_a_right_and_a_refusal_code() -> None:
    assert (
        len(METHODS) == 34
    )  # the 16 of the first slice, execute, 2 long poll steps, 15 upload ones
    for name in METHODS:
        line = METHODS[name]
        assert line.denied in (7, 15), name
        assert line.kinds, name


def test_no_import_circle_in_the_vk_emulator() -> None:
    cycles = [c for c in _cycles(_graph(_modules())) if any(m.startswith(PACKAGE) for m in c)]
    assert cycles == []


def test_the_app_module_imports_first_in_a_fresh_interpreter() -> None:
    for module in (f"{PACKAGE}.app", f"{PACKAGE}.control", f"{PACKAGE}.methods"):
        done = subprocess.run(
            [sys.executable, "-c", f"import {module}"], capture_output=True, text=True, timeout=60
        )
        assert done.returncode == 0, done.stderr[-2000:]
