"""Token-bucket rate limiting with an injected clock.

Invariants:
- Pure: the bucket never reads a clock or sleeps. Callers pass ``now`` (seconds, any monotonic
  origin) and get back how long to wait; the flow turns that into a ``Sleep`` effect.
- ``reserve`` always takes the token: a caller told to wait N seconds owns the slot after N
  seconds, so concurrent callers queue up fairly instead of stampeding.
- ``now`` going backwards (a clock step) is treated as no time having passed.

``Throttle`` is the client side of a server's rate limit, one per client per service, shared by
every call of that client (botocore's adaptive retry mode is the model):

- The gate: a 429 (or a 503 with ``Retry-After``) closes it until ``now + Retry-After``. Every
  later attempt of any call waits until then plus a jitter drawn *after* that time, never
  before: ``uniform(0, min(1 s, 0.1 * Retry-After + 50 ms))``, so waiters do not all return at
  once and no retry is sent before the server said.
- Pacing: a throttle that arrives while the throttle is still active (no success sent
  ``QUIET`` seconds after the previous throttle yet: the gate did not suffice) turns on a token bucket (capacity 1) at ``0.7 *`` the send rate measured since the
  previous cut; successes bring the rate back along botocore's CUBIC curve,
  ``0.4 * (t - K)**3 + W_max``, which returns to the old rate ``W_max`` after ``K`` seconds
  and then probes above it. Once the curve reaches ``4 * W_max`` pacing switches off.
  One cut per window: a throttle of an attempt that passed the gate before the last cut was
  decided under the old rate and does not cut again (TCP's rule), so 35 throttles of one burst
  cost one cut, not ``0.7**35``.
- A call that slept for the gate or its pacing slot checks the gate again when it wakes
  (``still_closed``): a 429 that came in meanwhile holds it too, so no call goes out inside a
  Retry-After window it could have known of.
- Off until the first throttle: ``active`` is a plain attribute; while it is false a call
  touches nothing else. Shared updates take ``_lock`` for a few arithmetic operations only
  (threads of the sync runtime share a client); nothing waits while holding it.
- Pure: time comes in as ``now``, randomness from the injected ``random.Random``.
"""

from __future__ import annotations

import random
import threading
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

    def set_rate(self, rate: float, now: float) -> None:
        """Change the fill rate from ``now`` on (tokens earned so far are kept)."""
        if rate <= 0:
            raise ValueError("rate must be positive")
        self._refill(now)
        self.rate = rate

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


#: Adaptive pacing constants, botocore's (``botocore/retries/adaptive.py``, ``cubic.py``).
BETA = 0.7  # multiplicative decrease on a throttle
SCALE = 0.4  # CUBIC scale constant
MIN_RATE = 0.5  # sends per second; pacing never goes slower
#: Largest jitter added after a Retry-After time, and its share of the Retry-After.
MAX_JITTER = 1.0
JITTER_SHARE = 0.1
JITTER_FLOOR = 0.05
#: Without pacing, the throttle switches off on the success of an attempt sent this long after
#: the last throttled answer (an attempt sent sooner may have got its slot by luck).
QUIET = 1.0


class Throttle:
    """The rate-limit gate and adaptive pacing of one client for one service.

    Create one per client per service and pass it to every ``retrying`` call of that client.

    Args:
        rng: source of the jitter (inject a seeded one in tests).

    Attributes:
        active: whether any call must consult the throttle before sending (read unlocked:
            a stale read only lets one attempt that was already on its way go out).
        throttles: how many throttled answers the client has seen (for stats and tests).
    """

    def __init__(self, rng: random.Random | None = None) -> None:
        self.active = False
        self.throttles = 0
        self._rng = rng if rng is not None else random.Random()
        self._lock = threading.Lock()
        self._open_at = 0.0  # the gate is closed until then
        self._span = 0.0  # jitter span of the Retry-After that closed it
        self._bucket: TokenBucket | None = None  # pacing, after a cut
        self._w_max = 0.0  # CUBIC: rate at the last cut
        self._k = 0.0  # CUBIC: seconds to climb back to _w_max
        self._last_cut = 0.0  # time of the last cut (or of activation)
        self._sent = 0  # sends counted since _last_cut
        self._last_throttle = 0.0  # when the last throttled answer came

    def __repr__(self) -> str:
        rate = "off" if self._bucket is None else f"{self._bucket.rate:.2f}/s"
        return f"<Throttle active={self.active} open_at={self._open_at:.3f} pacing={rate}>"

    @property
    def rate(self) -> float | None:
        """The pacing rate (sends per second), or ``None`` when not pacing."""
        bucket = self._bucket
        return None if bucket is None else bucket.rate

    def open_at(self) -> float:
        """When the gate opens (a time in the past when it is open)."""
        return self._open_at

    def delay(self, now: float) -> float:
        """Seconds to wait before an attempt may be sent at ``now`` (0.0: send now).

        The attempt is counted as sent (its pacing slot is taken), so call it once per attempt.
        """
        with self._lock:
            at = now
            if self._open_at >= now:
                # Jitter strictly after the server's time: spreads the waiters, never early.
                at = self._open_at + self._span * self._rng.random()
            bucket = self._bucket
            if bucket is not None:
                at += bucket.reserve(at)
            self._sent += 1
        return at - now

    def still_closed(self, now: float) -> float:
        """After a wait ``delay`` asked for: seconds more to wait if the gate was closed again
        meanwhile (a later 429), else 0.0. Takes no pacing slot (``delay`` took it)."""
        with self._lock:
            if self._open_at < now:
                return 0.0
            return self._open_at + self._span * self._rng.random() - now

    def on_throttle(self, checked_at: float, now: float, retry_after: float | None) -> None:
        """Record a throttled answer received at ``now``.

        Args:
            checked_at: when that attempt passed the gate (its ``now`` before ``delay``).
            now: when the answer came.
            retry_after: the server's valid ``Retry-After`` in seconds, or ``None``.
        """
        with self._lock:
            self.throttles += 1
            self._last_throttle = now
            if retry_after is not None:
                open_at = now + retry_after
                if open_at > self._open_at:
                    self._open_at = open_at
                    self._span = min(MAX_JITTER, JITTER_SHARE * retry_after + JITTER_FLOOR)
            if not self.active:
                # First throttle: the gate alone may be enough; start measuring sends.
                self.active = True
                self._last_cut = now
                self._sent = 0
                return
            if checked_at < self._last_cut:
                return  # decided under the previous rate: one cut per window
            elapsed = max(now - self._last_cut, 1e-3)
            measured = self._sent / elapsed
            bucket = self._bucket
            if bucket is not None:
                measured = min(measured, bucket.rate)
            measured = max(measured, MIN_RATE)
            self._w_max = measured
            self._k = (measured * (1 - BETA) / SCALE) ** (1 / 3)
            rate = max(MIN_RATE, measured * BETA)
            if bucket is None:
                self._bucket = TokenBucket(rate, capacity=1.0)
                # Start empty-ish: the next send waits its slot rather than bursting.
                self._bucket.reserve(now)
            else:
                bucket.set_rate(rate, now)
            self._last_cut = now
            self._sent = 0

    def on_success(self, now: float) -> None:
        """Record a successful answer to an attempt sent at ``now`` (only while ``active``)."""
        with self._lock:
            if not self.active or now < self._open_at:
                return
            bucket = self._bucket
            if bucket is None:
                if now >= self._last_throttle + QUIET:
                    # The gate was enough: sent well after the last throttle and taken.
                    self.active = False
                return
            t = now - self._last_cut
            rate = SCALE * (t - self._k) ** 3 + self._w_max
            if rate >= 4 * self._w_max:
                # Well past the rate that was throttled: the limit is gone, stop pacing.
                self._bucket = None
                self.active = False
                return
            bucket.set_rate(max(MIN_RATE, rate), now)
