"""A client's own pacing, shared by every thread and task of that client.

``SharedBucket`` is ``tether.core.ratelimit.TokenBucket`` whose ``reserve`` holds a lock: the
sync client may be used from many threads at once, and two unlocked reserves could both take
the last token (the bucket's arithmetic is a read-modify-write). Tasks of the async client
never interleave inside ``reserve`` (it does not yield), so they share it safely either way.

Invariants:
- Pure as the bucket is: time comes in as ``now``; the wait goes out as a number the flow
  turns into a ``Sleep`` (``core.retry.retrying``'s ``pace``).
- The lock is held for a few arithmetic operations, never while waiting.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from tether.core.ratelimit import TokenBucket

__all__ = ["SharedBucket"]


@dataclass
class SharedBucket(TokenBucket):
    """A ``TokenBucket`` safe to share between threads (see the module docstring)."""

    _lock: threading.Lock = field(
        init=False, default_factory=threading.Lock, repr=False, compare=False
    )

    def reserve(self, now: float, tokens: float = 1.0) -> float:
        with self._lock:
            return TokenBucket.reserve(self, now, tokens)

    def set_rate(self, rate: float, now: float) -> None:
        with self._lock:
            TokenBucket.set_rate(self, rate, now)
