"""The VK emulator's gates that are not about who calls: the per-token rate buckets, captchas,
the switches the control API throws (validation 17, captcha 14, flood 9) and the daily quotas
(29).

Invariants:
- Pure bookkeeping: callers pass the clock (``monotonic`` for the buckets, so that moving the
  emulated clock with ``/time`` neither refills nor drains them; the emulated clock for the
  quotas' day). Nothing here knows HTTP or the envelope.
- The rate bucket is written out here rather than taken from ``tether.core.ratelimit``: the
  client paces itself with that one, and a bug shared by the pacer and the limit it paces
  against would never show as an error 6.
- A bucket holds ``rate`` tokens when full (a burst of ``rate`` calls passes at once, as VK
  lets three calls through in a burst; at least one call for a rate below 1) and refills
  continuously at ``rate`` a second; a rate of 0 lifts the limit.
- A captcha is bound to the method it was asked for and answers once: a right key lets that
  one call through, a wrong one is answered with a new captcha (VK's behaviour) and does not
  use up the switch's count. Issued captchas are bounded (``MAX_CAPTCHAS``, oldest dropped).
- Quota counts are kept for the current day only: a new day starts them all afresh.
"""

from __future__ import annotations

import random
from collections import Counter, OrderedDict
from dataclasses import dataclass, field
from typing import Final

MAX_CAPTCHAS: Final = 10_000
_KEY_ALPHABET: Final = "abcdefghkmnpqrstuvwxyz23456789"  # no look-alikes (l/1, o/0)


class RateBuckets:
    """One token bucket per caller key."""

    def __init__(self) -> None:
        self._buckets: dict[str, list[float]] = {}  # key -> [tokens, last refill]

    def take(self, key: str, rate: float, now: float) -> bool:
        """Whether a call of ``key`` at ``now`` is within ``rate`` calls a second."""
        if rate <= 0:
            return True
        capacity = max(rate, 1.0)  # below one a second, a bucket must still hold one call
        bucket = self._buckets.get(key)
        if bucket is None:
            self._buckets[key] = [capacity - 1.0, now]
            return True
        tokens = min(capacity, bucket[0] + (now - bucket[1]) * rate)
        bucket[1] = now
        if tokens < 1.0:
            bucket[0] = tokens
            return False
        bucket[0] = tokens - 1.0
        return True


@dataclass
class Captcha:
    sid: str
    method: str
    key: str


@dataclass
class Guards:
    """The switches and books of one emulator (fresh ones after a reset)."""

    rng: random.Random = field(default_factory=lambda: random.Random(0x14))
    buckets: RateBuckets = field(default_factory=RateBuckets)
    #: method -> how many of its next calls answer 14 / 9.
    captcha_next: Counter[str] = field(default_factory=Counter)
    flood_next: Counter[str] = field(default_factory=Counter)
    #: how many of the next calls (any method) answer 17.
    validation_next: int = 0
    captchas: OrderedDict[str, Captcha] = field(default_factory=OrderedDict)
    quota_day: int = -1
    quota_used: Counter[tuple[str, str]] = field(default_factory=Counter)

    # -- captcha (14) --------------------------------------------------------------------------

    def captcha_passes(self, method: str, sid: str, key: str) -> bool:
        """Whether this call may go on as far as captchas go. A call answering an open captcha
        of ``method`` passes with the right key (the captcha is used up) and not with a wrong
        one; any other call passes unless the switch holds a count for ``method``, which it
        then uses up."""
        found = self.captchas.get(sid) if sid else None
        if found is not None and found.method == method:
            del self.captchas[sid]
            return key == found.key
        if self.captcha_next[method] > 0:
            self.captcha_next[method] -= 1
            return False
        return True

    def new_captcha(self, method: str) -> Captcha:
        sid = str(self.rng.randrange(10**11, 10**12))
        key = "".join(self.rng.choice(_KEY_ALPHABET) for _ in range(5))
        captcha = self.captchas[sid] = Captcha(sid, method, key)
        while len(self.captchas) > MAX_CAPTCHAS:
            self.captchas.popitem(last=False)
        return captcha

    # -- validation (17) and flood control (9) ---------------------------------------------

    def take_validation(self) -> bool:
        if self.validation_next > 0:
            self.validation_next -= 1
            return True
        return False

    def take_flood(self, method: str) -> bool:
        if self.flood_next[method] > 0:
            self.flood_next[method] -= 1
            return True
        return False

    # -- daily quota (29) --------------------------------------------------------------------

    def quota_passes(self, caller: str, method: str, limit: int | None, now: float) -> bool:
        """Count a call of ``method`` by ``caller``; ``False`` past ``limit`` calls today."""
        if limit is None:
            return True
        day = int(now // 86400)
        if day != self.quota_day:
            self.quota_day, self.quota_used = day, Counter()
        used = self.quota_used[caller, method]
        if used >= limit:
            return False
        self.quota_used[caller, method] = used + 1
        return True

    def new_validation_hash(self) -> str:
        return f"{self.rng.getrandbits(64):016x}"
