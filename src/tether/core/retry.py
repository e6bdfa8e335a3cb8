"""When to send a request again, and after how long; and what to say when tether gives up.

``retrying(policy, build, is_transient, pace, throttle)`` is the flow every service wraps its
sends in. ``RetryPolicy.decide(attempt, request, outcome, now)`` is the same decision for one
outcome, as a pure function (a delay in seconds, or ``None`` to stop).

Invariants:
- Only safe retries: a request that provably never reached the server (``ConnectError``, a 429
  refusal, a 503 with ``Retry-After``) may be re-sent whatever its method; anything else (a
  5xx, a timeout, a dropped connection) only if the request is idempotent.
- Two kinds of failed attempt. A *throttle* (429, or 503 with a valid ``Retry-After``) is the
  server asking to wait: it closes the client's ``Throttle`` gate (``tether.core.ratelimit``)
  until ``Retry-After`` plus jitter, spends no retry budget and does not count against
  ``max_attempts``; throttles have their own bounds (``max_throttles`` answers and
  ``max_throttle_wait`` seconds per call), so a call never hangs. Any other failure is an
  *error*: exponential backoff with full jitter, ``uniform(0, min(cap, base * 2**(n-1)))``,
  at most ``max_attempts`` sends, each retry paid from the ``RetryBudget``.
- No retry goes out before the server's ``Retry-After``: the wait is measured from when the
  answer arrived, and jitter is only ever added after it.
- ``Retry-After`` is delta-seconds or an HTTP date. Negative, NaN, infinite or unreadable
  values are treated as absent (backoff); a value above ``max_retry_after`` makes the call give
  up at once (a server asking for an hour gets a clear error, not a hung script), and does not
  close the gate for the other calls: each learns it from its own refused request, so a bogus
  hint cannot silence a client for hours.
- When tether gives up, it says so: a transport error is re-raised as the same class with the
  reason appended (``__cause__`` kept), an error answer comes back as a ``RetriedResponse``
  whose ``gave_up`` note ``give_up_note`` returns for the facade's message.
- The success path is one generator and allocates nothing but the ``Send`` effect; the
  throttle is consulted only while ``throttle.active``.
- Pure: randomness comes from an injected ``random.Random``, time from ``Now`` effects.
"""

from __future__ import annotations

import copy
import math
import random
import threading
from collections.abc import Callable
from dataclasses import dataclass, field

from tether.core.errors import ConnectError, TetherError, TransportError
from tether.core.flow import Flow, Now, Send, Sleep
from tether.core.messages import Request, Response
from tether.core.ratelimit import Throttle, TokenBucket

__all__ = [
    "NO_RETRY",
    "RETRYABLE_STATUS",
    "RetriedResponse",
    "RetryBudget",
    "RetryPolicy",
    "Throttle",
    "give_up_note",
    "parse_retry_after",
    "retry_after_of",
    "retrying",
]

RETRYABLE_STATUS = frozenset({429, 500, 502, 503, 504})

# Effects without fields are values: one instance serves every call (no allocation).
_NOW = Now()
_NO_ANSWER = Response(0)  # placeholder before the first answer


def parse_retry_after(value: str | None, now: float) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date).

    Returns ``None`` for a missing, negative, NaN, infinite or unreadable value (the caller
    then backs off as if there were none); a date in the past gives ``0.0``.
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        # float() also reads "nan", "inf" and "-5": none is a wait a server can mean.
        return seconds if 0.0 <= seconds < math.inf else None
    from email.utils import parsedate_to_datetime  # rare path; keeps import time down

    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


def retry_after_of(response: Response, now: float | None = None) -> float | None:
    """Seconds an answer's ``Retry-After`` asks to wait (``parse_retry_after``'s rules).

    An HTTP date is measured against the answer's own ``Date`` (the server's clock: a local
    clock that is off does not stretch or cut the wait); without one, against ``now``, and
    with neither it gives ``None``.
    """
    value = (response.header("Retry-After") or "").strip()
    if not value or value.replace(".", "", 1).isdigit():
        return parse_retry_after(value, 0.0)
    from email.utils import parsedate_to_datetime  # rare path

    try:
        now = parsedate_to_datetime(response.header("Date") or "").timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        if now is None:
            return None
    return parse_retry_after(value, now)


@dataclass
class RetryBudget:
    """Each original request deposits ``ratio`` tokens (up to ``max_tokens``); a retry costs one.

    Starts full, so a quiet client can always retry a few times. Throttles (waiting as the
    server told) cost nothing. Thread-safe: updates take a lock, except the deposit of a full
    budget (the steady state), which is a comparison only.
    """

    ratio: float = 0.5
    max_tokens: float = 100.0
    tokens: float = field(default=-1.0)
    _lock: threading.Lock = field(
        default_factory=threading.Lock, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.max_tokens

    def deposit(self) -> None:
        if self.tokens < self.max_tokens:  # full in the steady state: no lock on the hot path
            with self._lock:
                self.tokens = min(self.max_tokens, self.tokens + self.ratio)

    def withdraw(self) -> bool:
        with self._lock:
            if self.tokens >= 1.0:
                self.tokens -= 1.0
                return True
            return False


@dataclass
class RetryPolicy:
    """How many times, how long, and how much retrying a client may do.

    Defaults, and why (the target: idempotent reads succeed >= 99.9 % under 30 % injected
    faults, a mix of 5xx, 429 with Retry-After, drops and latency):

    - ``max_attempts=6``. With 429s not counting, about 22.5 % of attempts fail; a call
      fails only if all its attempts do: 0.225**5 = 5.8e-4 (99.94 %) is too close to the bar
      (a 2,000-call soak expects 1.2 failures and misses 99.9 % in about one run in nine),
      0.225**6 = 1.3e-4 (99.987 %) is not. The worst backoff sum is 0.25+0.5+1+2+4 = 7.75 s.
    - ``RetryBudget(ratio=0.5, max_tokens=100)``. At failure rate p a call needs
      p + p**2 + ... + p**5 retries on average: 0.29 at p = 0.225, so 0.5 per request keeps
      the budget full; at p = 0.5 (an outage) it needs 0.97 and the budget caps it at 0.5, so
      sustained load is multiplied by at most 1.5 instead of 6. The old 0.2 drained at 30 %
      faults (retries were refused to 15 of 27 failed calls). 100 tokens (botocore's quota:
      500 at 5 a retry) absorb a burst: with 20 calls in flight released together by the
      throttle gate, failures come in clumps, and 10 tokens ran dry in the soak (reads fell
      to 99.7 %).
    - ``max_throttles=20``, ``max_throttle_wait=300``. Throttles do not spend budget or
      attempts; 40 concurrent calls against a 5/s limit need about 8 rounds of Retry-After,
      20 leaves room, and 300 s of waiting as told bounds any one call.

    Args:
        max_attempts: sends including the first, throttled ones not counted (1: no retries).
        base: first backoff ceiling in seconds.
        cap: largest backoff ceiling.
        max_retry_after: longest server-requested wait accepted; longer gives up at once.
        max_throttles: throttled answers one call accepts before giving up.
        max_throttle_wait: seconds one call may spend waiting for the rate limit after its
            first throttle, before giving up.
        budget: the retry budget, shared by the calls of the client holding this policy.
        rng: randomness for backoff.
    """

    max_attempts: int = 6
    base: float = 0.25
    cap: float = 10.0
    max_retry_after: float = 120.0
    max_throttles: int = 20
    max_throttle_wait: float = 300.0
    budget: RetryBudget = field(default_factory=RetryBudget)
    rng: random.Random = field(default_factory=random.Random)

    def backoff(self, n: int) -> float:
        """Full-jitter delay after the ``n``-th failure (from 1)."""
        return self.rng.uniform(0.0, min(self.cap, self.base * (2 ** min(n - 1, 64))))

    def decide(
        self,
        attempt: int,
        request: Request,
        outcome: Response | TetherError,
        now: float,
        transient: bool = False,
    ) -> float | None:
        """Delay before attempt ``attempt + 1`` (``attempt`` counts from 1), or ``None`` to stop.

        A throttle gives the server's ``Retry-After`` (the jitter is the gate's, in
        ``retrying``), or backoff when it sent none; it does not spend the budget nor count
        against ``max_attempts``. ``transient`` lets a service mark an application-level
        error as worth retrying (Flickr code 105) when it came back in a 200.
        """
        throttled, retry_after = _throttle_of(outcome, now)
        if throttled:
            if retry_after is None:
                return self.backoff(attempt)
            return None if retry_after > self.max_retry_after else retry_after
        delay, _ = self._verdict(attempt, 0, request, outcome, transient)
        return delay

    def _verdict(
        self,
        attempt: int,
        sends: int,
        request: Request,
        outcome: Response | TetherError,
        transient: bool,
    ) -> tuple[float | None, str]:
        """``(delay, "")`` to retry an error; ``(None, why)`` to stop (``why`` empty when
        the outcome is simply the answer, such as a 404)."""
        if isinstance(outcome, Response):
            if not (transient or outcome.status in RETRYABLE_STATUS):
                return None, ""
            safe_anyway = False
        elif isinstance(outcome, TransportError):
            safe_anyway = isinstance(outcome, ConnectError)
        else:
            return None, ""
        if not safe_anyway and not request.is_idempotent:
            if isinstance(outcome, Response) and outcome.status < 500:
                # A transient code in an answer (Flickr's 105): the service itself says the
                # call failed, so claiming it "may have acted" would mislead.
                return None, (
                    f"tether did not retry it: {request.method} is not idempotent and tether "
                    "resends a write on its own only when it provably did not arrive; send it "
                    "again if it should be made"
                )
            return None, (
                f"tether did not retry it: {request.method} is not idempotent and the server "
                "may have acted on it; check before sending it again"
            )
        if attempt >= self.max_attempts:
            if self.max_attempts <= 1:
                return None, "tether did not retry it: retries are off (max_attempts=1)"
            return None, (
                f"tether gave up after {_times(sends)}: max_attempts={self.max_attempts} "
                "reached; retry later, or raise RetryPolicy(max_attempts=...)"
            )
        if not self.budget.withdraw():
            return None, (
                f"tether gave up after {_times(sends)}: the retry budget is spent (many calls "
                "of this client failed lately, and retries are capped so that an outage is "
                "not multiplied); retry later"
            )
        return self.backoff(attempt), ""


NO_RETRY = RetryPolicy(max_attempts=1)


@dataclass(frozen=True, slots=True, repr=False)
class RetriedResponse(Response):
    """The final error answer of a call tether gave up retrying.

    Attributes:
        attempts: sends made, throttled ones included.
        gave_up: why tether stopped, a sentence for the error message (``give_up_note``).
    """

    attempts: int = field(default=1, compare=False)
    gave_up: str = field(default="", compare=False)


def give_up_note(response: Response) -> str:
    """Why tether stopped retrying the call that ended with ``response``; ``""`` if it did
    not give up (a success, or an answer such as a 404 that is no failure to retry)."""
    return response.gave_up if isinstance(response, RetriedResponse) else ""


def _times(n: int) -> str:
    return "1 attempt" if n == 1 else f"{n} attempts"


def _throttle_of(outcome: Response | TetherError, now: float) -> tuple[bool, float | None]:
    """``(is a throttle, valid Retry-After or None)``: a 429, or a 503 with a valid hint."""
    if not isinstance(outcome, Response):
        return False, None
    status = outcome.status
    if status != 429 and status != 503:
        return False, None
    retry_after = retry_after_of(outcome, now)
    return (status == 429 or retry_after is not None), retry_after


def _give_up(outcome: Response | TransportError, note: str, sends: int) -> Response:
    """Return the annotated final answer, or raise the annotated transport error."""
    if isinstance(outcome, Response):
        if not note:
            return outcome
        return RetriedResponse(
            outcome.status, outcome.headers, outcome.body, outcome.request, sends, note
        )
    if not note:
        raise outcome
    cause = outcome.__cause__
    try:
        error = copy.copy(outcome)
        error.args = (f"{outcome}; {note}", *outcome.args[1:])
    except Exception:  # an exotic subclass that cannot be copied: say it on the original
        outcome.args = (f"{outcome}; {note}", *outcome.args[1:])
        error = outcome
    raise error from cause


def retrying(
    policy: RetryPolicy,
    build: Callable[[float], Request],
    is_transient: Callable[[Response], bool] | None = None,
    pace: TokenBucket | None = None,
    throttle: Throttle | None = None,
) -> Flow[Response]:
    """Send the request made by ``build(now)`` until it succeeds or the policy says stop.

    Args:
        policy: attempts, backoff, budget and throttle bounds.
        build: called for every attempt with the current time, so each attempt is signed
            afresh (new timestamp, new nonce).
        is_transient: marks a 2xx/3xx answer as a failure worth retrying (Flickr code 105).
        pace: the client's own rate limit; each attempt first waits for a token.
        throttle: the client's gate and adaptive pacing for this service (one per client per
            service, shared by every call); without it a throttled call waits on its own.

    Returns:
        The successful response, or the last answer (a ``RetriedResponse`` carrying the
        reason when tether gave up on a failure).
    Raises:
        TransportError: the last transport error, of its own class, with why tether gave up
            appended to its message.
    """
    policy.budget.deposit()
    gate = throttle
    attempt = 0  # failed attempts that count against max_attempts
    sends = 0
    throttled = 0
    waited = 0.0  # seconds spent waiting for the rate limit since the first throttle
    outcome: Response | TransportError = _NO_ANSWER
    while True:
        now: float = yield _NOW
        checked_at = now
        if gate is not None and gate.active:
            wait = gate.delay(now)
            if wait > 0:
                if throttled and waited + wait > policy.max_throttle_wait:
                    return _give_up(
                        outcome,  # set: a throttled answer came before
                        f"tether gave up after {_times(sends)}: waiting as the server asked "
                        f"would take over max_throttle_wait={policy.max_throttle_wait:g} s in "
                        "all; slow down, or raise RetryPolicy(max_throttle_wait=...)",
                        sends,
                    )
                while wait > 0:
                    if throttled:
                        waited += wait
                    yield Sleep(wait)
                    # A 429 that came in while this call slept closes the gate again.
                    now = yield _NOW
                    wait = gate.still_closed(now)
        if pace is not None:
            wait = pace.reserve(now)
            if wait > 0:
                yield Sleep(wait)
                now += wait
        request = build(now)
        sends += 1
        try:
            response: Response = yield Send(request)
        except TransportError as e:
            outcome = e
        else:
            if response.status < 400 and (is_transient is None or not is_transient(response)):
                if gate is not None and gate.active:
                    gate.on_success(now)
                return response
            outcome = response
        received: float = yield _NOW
        is_throttle, retry_after = _throttle_of(outcome, received)
        if is_throttle:
            if retry_after is not None and retry_after > policy.max_retry_after:
                return _give_up(
                    outcome,
                    f"tether gave up after {_times(sends)}: the server asked to wait "
                    f"{retry_after:g} s (Retry-After), more than max_retry_after="
                    f"{policy.max_retry_after:g} s; wait and call again, or raise "
                    "RetryPolicy(max_retry_after=...)",
                    sends,
                )
            throttled += 1
            if throttled > policy.max_throttles:
                return _give_up(
                    outcome,
                    f"tether gave up after {_times(sends)}: rate-limited {throttled} times "
                    f"(max_throttles={policy.max_throttles}); slow down, or raise "
                    "RetryPolicy(max_throttles=...)",
                    sends,
                )
            if gate is None:
                gate = Throttle(policy.rng)  # no client-wide gate given: this call's own
            gate.on_throttle(checked_at, received, retry_after)
            if retry_after is None:
                # No hint: back off on our own; the gate's pacing slows the client too.
                delay = policy.backoff(throttled)
                waited += delay
                yield Sleep(delay)
            continue
        transient = (
            isinstance(outcome, Response) and is_transient is not None and is_transient(outcome)
        )
        attempt += 1
        delay_or_none, why = policy._verdict(attempt, sends, request, outcome, transient)
        if delay_or_none is None:
            return _give_up(outcome, why, sends)
        yield Sleep(delay_or_none)
