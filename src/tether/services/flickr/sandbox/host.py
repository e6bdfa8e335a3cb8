"""What the Flickr emulator's parts (login pages, control API) may use of the emulator: its
tunables, its counters and the ``FlickrHost`` protocol the emulator fulfils.

Invariants:
- This module imports no other part of the emulator but ``state``, ``signing`` and the kit:
  ``login`` and ``control`` type against ``FlickrHost`` instead of importing ``app``, and
  ``app`` imports them, so the package has no import circle (not even one hidden behind
  ``TYPE_CHECKING``).
- ``Settings`` and ``Stats`` are zero-argument factories: a reset builds fresh ones
  (``kit.base.EmulatorBase.seed``).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Final, Protocol

from starlette.routing import BaseRoute

from tether.sandbox.kit.progress import Schedule
from tether.services.flickr.sandbox.signing import NonceBook
from tether.services.flickr.sandbox.state import FlickrState

DEFAULT_QUOTA: Final = 3600  # Flickr's published limit: 3600 queries per hour per key
DEFAULT_TICKET_POLLS: Final = 2


@dataclass
class Settings:
    """Tunables set through the control API; ``reset()`` makes a fresh one."""

    available: bool = True
    quota_per_hour: int = DEFAULT_QUOTA
    transient_code: int = 105
    transient_left: int = 0
    #: Async upload tickets: polls each takes, how many of the next async uploads fail.
    tickets: Schedule = field(default_factory=lambda: Schedule(done_after=DEFAULT_TICKET_POLLS))


@dataclass
class Stats:
    calls: Counter[str] = field(default_factory=Counter)
    oauth: Counter[str] = field(default_factory=Counter)
    uploads: int = 0
    replaces: int = 0
    bytes_received: int = 0

    def to_json(self) -> dict[str, Any]:
        return {
            "calls": dict(self.calls),
            "uploads": self.uploads,
            "replaces": self.replaces,
            "bytes_received": self.bytes_received,
            "oauth": dict(self.oauth),
        }


class FlickrHost(Protocol):
    """The emulator as its parts see it (``app.FlickrEmulator`` fulfils it)."""

    state: FlickrState
    settings: Settings
    stats: Stats
    nonces: NonceBook

    def now(self) -> float: ...

    def app_secret(self, key: str) -> str | None: ...

    def quota_used(self) -> dict[str, int]: ...

    def base_control_routes(self) -> list[BaseRoute]: ...
