"""Token-bucket rate limiting with an injected clock.

Invariants:
- Pure: the bucket never reads a clock or sleeps. Callers pass ``now`` (seconds, any monotonic
  origin) and get back how long to wait; the flow turns that into a ``Sleep`` effect.
- ``reserve`` always takes the token: a caller told to wait N seconds owns the slot after N
  seconds, so concurrent callers queue up fairly instead of stampeding.
- ``now`` going backwards (a clock step) is treated as no time having passed.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class TokenBucket:
    """``rate`` tokens per second, at most ``capacity`` banked.

    Args:
        rate: tokens added per second (> 0).
        capacity: burst size (>= 1).
    """

    rate: float
    capacity: float = 1.0
    _tokens: float = field(init=False)
    _last: float | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        if self.rate <= 0:
            raise ValueError("rate must be positive")
        if self.capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._tokens = self.capacity

    def _refill(self, now: float) -> None:
        if self._last is not None and now > self._last:
            self._tokens = min(self.capacity, self._tokens + (now - self._last) * self.rate)
        if self._last is None or now > self._last:
            self._last = now

    def reserve(self, now: float, tokens: float = 1.0) -> float:
        """Take ``tokens`` and return the seconds to wait before using them (0.0 if none)."""
        self._refill(now)
        self._tokens -= tokens
        if self._tokens >= 0:
            return 0.0
        return -self._tokens / self.rate

    def try_acquire(self, now: float, tokens: float = 1.0) -> bool:
        """Take ``tokens`` only if available right now (servers use this to answer 429)."""
        self._refill(now)
        if self._tokens >= tokens:
            self._tokens -= tokens
            return True
        return False

    def retry_after(self, now: float, tokens: float = 1.0) -> float:
        """Seconds until ``tokens`` would be available, without taking anything."""
        self._refill(now)
        missing = tokens - self._tokens
        return 0.0 if missing <= 0 else missing / self.rate
