"""When to send a request again, and after how long.

``RetryPolicy.decide(attempt, request, outcome, now)`` returns a delay in seconds, or ``None``
to stop. ``retrying(policy, make_request, classify)`` is the flow every service wraps its sends in.

Invariants:
- Only safe retries: a request that provably never reached the server (``ConnectError``, a 429
  refusal) may be re-sent whatever its method; anything else (a 5xx, a timeout, a dropped
  connection) only if the request is idempotent.
- Delays use exponential backoff with full jitter, ``uniform(0, min(cap, base * 2**attempt))``,
  except that a server's ``Retry-After`` is honoured (bounded by ``max_retry_after``: a server
  asking for an hour gets an error, not a hung script).
- A retry budget caps retries to a fraction of traffic, so an outage does not multiply load.
- Pure: randomness comes from an injected ``random.Random``, time from the ``now`` argument.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from tether.core.errors import ConnectError, TetherError, TransportError
from tether.core.flow import Flow, Now, Send, Sleep
from tether.core.messages import Request, Response
from tether.core.ratelimit import TokenBucket

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date)."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    from email.utils import parsedate_to_datetime  # rare path; keeps import time down

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError):
        return None


@dataclass
class RetryBudget:
    """Each original request deposits ``ratio`` tokens (up to ``max_tokens``); a retry costs one.

    Starts full, so a quiet client can always retry a few times.
    """

    ratio: float = 0.2
    max_tokens: float = 10.0
    tokens: float = field(default=-1.0)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.max_tokens

    def deposit(self) -> None:
        self.tokens = min(self.max_tokens, self.tokens + self.ratio)

    def withdraw(self) -> bool:
        if self.tokens >= 1.0:
            self.tokens -= 1.0
            return True
        return False


@dataclass
class RetryPolicy:
    """Args:
    max_attempts: total sends including the first (1 disables retries).
    base: first backoff ceiling in seconds.
    cap: largest backoff ceiling.
    max_retry_after: longest server-requested wait we accept.
    """

    max_attempts: int = 4
    base: float = 0.25
    cap: float = 10.0
    max_retry_after: float = 120.0
    budget: RetryBudget = field(default_factory=RetryBudget)
    rng: random.Random = field(default_factory=random.Random)

    def decide(
        self,
        attempt: int,
        request: Request,
        outcome: Response | TetherError,
        now: float,
        transient: bool = False,
    ) -> float | None:
        """Delay before attempt ``attempt + 1`` (``attempt`` counts from 1), or ``None`` to stop.

        ``transient`` lets a service mark an application-level error as worth retrying (Flickr
        code 105, a VK "too many requests" error) when it came back in a 200.
        """
        if attempt >= self.max_attempts:
            return None
        retry_after: float | None = None
        if isinstance(outcome, Response):
            status = outcome.status
            if status == 429 or (status == 503 and outcome.header("Retry-After")):
                # The server refused the request without acting on it: safe for any method.
                retry_after = parse_retry_after(outcome.header("Retry-After"), now)
            elif transient or status in RETRYABLE_STATUS:
                if not request.is_idempotent:
                    return None
            else:
                return None
        elif isinstance(outcome, ConnectError):
            pass
        elif isinstance(outcome, TransportError) or transient:
            if not request.is_idempotent:
                return None
        else:
            return None
        if retry_after is not None and retry_after > self.max_retry_after:
            return None
        if not self.budget.withdraw():
            return None
        if retry_after is not None:
            return retry_after
        return self.rng.uniform(0.0, min(self.cap, self.base * (2 ** (attempt - 1))))


NO_RETRY = RetryPolicy(max_attempts=1)


def retrying(
    policy: RetryPolicy,
    build: Callable[[float], Request],
    is_transient: Callable[[Response], bool] | None = None,
    pace: TokenBucket | None = None,
) -> Flow[Response]:
    """Send the request made by ``build(now)`` until the policy says stop.

    ``build`` is called for every attempt with the current time, so each attempt is signed
    afresh (new timestamp, new nonce). With ``pace``, each attempt first waits for a token of
    the client's own rate limit. Returns the last response, or raises the last transport error.

    This is on every call's path: keep it to one generator and no allocations on success.
    """
    policy.budget.deposit()
    attempt = 0
    while True:
        attempt += 1
        now: float = yield Now()
        if pace is not None:
            wait = pace.reserve(now)
            if wait > 0:
                yield Sleep(wait)
                now += wait
        request = build(now)
        outcome: Response | TetherError
        try:
            response: Response = yield Send(request)
        except TransportError as e:
            outcome = e
        else:
            if response.status < 400 and (is_transient is None or not is_transient(response)):
                return response
            outcome = response
        transient = (
            isinstance(outcome, Response) and is_transient is not None and is_transient(outcome)
        )
        now = yield Now()
        delay = policy.decide(attempt, request, outcome, now, transient=transient)
        if delay is None:
            if isinstance(outcome, TetherError):
                raise outcome
            return outcome
        yield Sleep(delay)
