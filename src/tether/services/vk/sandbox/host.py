"""What the VK emulator's parts (the control API) may use of the emulator: its tunables, its
counters, version numbers, and the ``VkHost`` protocol the emulator fulfils.

Invariants:
- This module imports no other part of the emulator but ``state``, ``guards`` and the kit:
  ``control`` types against ``VkHost`` instead of importing ``app``, and ``app`` imports it,
  so the package has no import circle.
- ``Settings`` and ``Stats`` are zero-argument factories: a reset builds fresh ones
  (``kit.base.EmulatorBase.seed``).
- Versions are compared as (major, minor) integers: ``5.131`` is above ``5.81``, which a
  comparison of floats or strings gets wrong.
- ``Stats`` is bounded by what the sandbox knows: calls are counted per served method (every
  other name under ``"<unknown>"``) and per known token (an unknown token is refused before
  it is counted), so junk requests cannot grow it.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from starlette.routing import BaseRoute

from tether.services.vk.sandbox.guards import Guards
from tether.services.vk.sandbox.state import VkState

Version = tuple[int, int]
#: Real VK's floor (vk.md §1.2).
DEFAULT_MIN_VERSION: Final[Version] = (5, 81)
#: Requests per second per token (vk.md §3.4): user (and service, and no token), community.
USER_RATE: Final = 3.0
GROUP_RATE: Final = 20.0
#: Calls a token may make of a method per (emulated, UTC) day, VK's error 29 past it. VK
#: documents 5,000 a day for ``wall.get`` (its 2018 limits; current values unconfirmed).
DAILY_LIMITS: Final[dict[str, int]] = {"wall.get": 5000}
UNKNOWN_METHOD: Final = "<unknown>"
_VERSION: Final = re.compile(r"(\d{1,4})\.(\d{1,4})")


def parse_version(text: str) -> Version | None:
    """``"5.131"`` -> ``(5, 131)``; ``None`` for anything else."""
    m = _VERSION.fullmatch(text.strip())
    return (int(m[1]), int(m[2])) if m else None


def show_version(version: Version) -> str:
    return f"{version[0]}.{version[1]}"


@dataclass
class Settings:
    """Tunables set through the control API; ``reset()`` makes a fresh one."""

    min_version: Version = DEFAULT_MIN_VERSION
    per_second: float = USER_RATE
    group_per_second: float = GROUP_RATE
    daily_limits: dict[str, int] = field(default_factory=lambda: dict(DAILY_LIMITS))


@dataclass
class TokenStats:
    kind: str
    owner: int
    calls: Counter[str] = field(default_factory=Counter)
    error_6: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "owner": self.owner,
            "calls": dict(self.calls),
            "error_6": self.error_6,
        }


@dataclass
class Stats:
    """Counters: calls per method, per token (keyed by ``kit.grants.grant_ref`` of the token,
    never the token itself, or ``"anonymous"``) and per method, and error answers by code."""

    calls: Counter[str] = field(default_factory=Counter)
    tokens: dict[str, TokenStats] = field(default_factory=dict)
    errors: Counter[int] = field(default_factory=Counter)

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "tokens": {ref: t.to_json() for ref, t in self.tokens.items()},
            "errors": {str(code): n for code, n in sorted(self.errors.items())},
            "error_6": self.errors[6],
        }


class VkHost(Protocol):
    """The emulator as its control API sees it (``app.VkEmulator`` fulfils it)."""

    state: VkState
    settings: Settings
    stats: Stats
    guards: Guards

    def now(self) -> float: ...

    def base_control_routes(self) -> list[BaseRoute]: ...
