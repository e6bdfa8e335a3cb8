"""The emulator kit's base: re-seeding, the clock with skew, and the control routes every
emulator gets from it, by hand and over the real sandbox."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import pytest

from tether.sandbox import Sandbox, SandboxError
from tether.sandbox.kit.base import EmulatorBase, status_phrase


@dataclass
class _Counters:
    hits: int = 0

    def to_json(self) -> dict[str, Any]:
        return {"hits": self.hits}


@dataclass
class _Tunables:
    level: int = 3
    seen: list[str] = field(default_factory=list)


class _Toy(EmulatorBase):
    name = "toy"
    stats_type = _Counters
    settings_type = _Tunables

    def __init__(self) -> None:
        super().__init__()
        self.served = object()  # made once: outlives a reset

    def seed(self) -> None:
        super().seed()
        self.data = {"a": 1}


def test_reset_reruns_the_seed_and_keeps_what_is_served() -> None:
    toy = _Toy()
    served, old_data, old_stats = toy.served, toy.data, toy.stats
    toy.skew, toy.stats.hits, toy.settings.level = 50.0, 7, 9
    toy.settings.seen.append("x")
    toy.data["b"] = 2
    toy.reset()
    assert (toy.skew, toy.stats.hits, toy.settings.level, toy.settings.seen) == (0.0, 0, 3, [])
    assert toy.data == {"a": 1}
    # Fresh objects, not mutated old ones: a holder of the old state sees it unchanged.
    assert old_data == {"a": 1, "b": 2} and old_stats.hits == 7
    assert toy.served is served


def test_now_is_real_time_plus_skew() -> None:
    toy = _Toy()
    toy.skew = 3600.0
    before = time.time()
    now = toy.now()
    assert before + 3600 <= now <= time.time() + 3600


def test_default_error_answer() -> None:
    status, headers, body = _Toy().error_response(503)
    assert (status, body) == (503, b"503 Service Unavailable\n")
    assert headers == [(b"content-type", b"text/plain; charset=utf-8")]
    assert status_phrase(799) == "Error"


@pytest.fixture(scope="module")
def sandbox() -> Any:
    with Sandbox() as sb:
        yield sb


@pytest.mark.parametrize("service", ["ovh", "flickr"])
def test_time_stats_reset_routes_for_every_emulator(sandbox: Sandbox, service: str) -> None:
    answer = sandbox.control("POST", f"/_sandbox/{service}/time", {"skew": 7200})
    assert answer["skew"] == 7200 and answer["server_time"] >= int(time.time()) + 7199
    assert isinstance(sandbox.stats(service), dict)
    assert sandbox.control("POST", f"/_sandbox/{service}/reset") == {"reset": [service]}
    assert sandbox.control("GET", f"/_sandbox/{service}/time")["skew"] == 0
    with pytest.raises(SandboxError, match=r"400.*unknown field"):
        sandbox.control("POST", f"/_sandbox/{service}/reset", {"everything": True})


def test_a_service_reset_leaves_the_others_alone(sandbox: Sandbox) -> None:
    sandbox.set_time_skew(60, service="ovh")
    sandbox.control("POST", "/_sandbox/flickr/tickets", {"polls": 5, "fail_next": 1})
    sandbox.control("POST", "/_sandbox/flickr/reset")
    assert sandbox.control("GET", "/_sandbox/flickr/tickets") == {"polls": 2, "fail_next": 0}
    assert sandbox.control("GET", "/_sandbox/ovh/time")["skew"] == 60
    sandbox.reset()
    assert sandbox.control("GET", "/_sandbox/ovh/time")["skew"] == 0


def test_ovh_stats_count_from_a_reset(sandbox: Sandbox) -> None:
    sandbox.control("POST", "/_sandbox/ovh/reset")
    import urllib3

    urllib3.request("GET", sandbox.base_url("ovh") + "/auth/time")
    stats = sandbox.stats("ovh")
    assert stats["total"] == 1 and stats["calls"] == {"GET /ovh/1.0/auth/time": 1}
