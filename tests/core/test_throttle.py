"""Rate limits and give-up reasons in the pure core: ``Throttle`` and ``retrying`` driven by
hand (no socket), tables and properties."""

from __future__ import annotations

import itertools
import math
import random
import threading
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.flowdriver import Driver
from tether.core.errors import ConnectError, ConnectionLost, TetherError
from tether.core.flow import Now, Send, Sleep
from tether.core.messages import Request, Response
from tether.core.ratelimit import MAX_JITTER, MIN_RATE, Throttle
from tether.core.retry import (
    RetriedResponse,
    RetryBudget,
    RetryPolicy,
    give_up_note,
    parse_retry_after,
    retrying,
)

GET = Request("GET", "http://x/")
POST = Request("POST", "http://x/")
OK = Response(200, body=b"ok")


def _429(retry_after: str | None = "1") -> Response:
    return Response(429, (("Retry-After", retry_after),) if retry_after is not None else ())


def scripted(answers: list[Response | TetherError]) -> Callable[[Request], Response]:
    def responder(r: Request) -> Response:
        a = answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a

    return responder


def build_of(req: Request) -> Callable[[float], Request]:
    return lambda now: req


def policy(**kw: object) -> RetryPolicy:
    return RetryPolicy(rng=random.Random(7), **kw)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("7", 7.0),
        ("0", 0.0),
        (" 2.5 ", 2.5),
        ("-5", None),  # was 0.0: four attempts in 10 ms
        ("nan", None),
        ("inf", None),
        ("-inf", None),
        ("garbage", None),
        ("", None),
        (None, None),
        ("Thu, 01 Jan 1970 00:00:10 GMT", 0.0),  # a date in the past: go now
        ("Thu, 01 Jan 1970 00:01:40 GMT", 60.0),
    ],
)
def test_parse_retry_after_rejects_out_of_range(value: str | None, expected: float | None) -> None:
    assert parse_retry_after(value, 40.0) == expected


def test_negative_retry_after_is_backoff_not_a_storm() -> None:
    built: list[float] = []

    def build(now: float) -> Request:
        built.append(now)
        return GET

    d = Driver(scripted([_429("-5"), _429("-5"), _429("-5"), OK]))
    assert d.run(retrying(policy(), build)) is OK
    gaps = [b - a for a, b in itertools.pairwise(built)]
    # Was [0.0, 0.0, 0.0]. Now backoff (ceilings 0.25, 0.5, 1 s; the pacing that starts after
    # repeated throttles may add to it): with this seed every gap is well above zero.
    assert len(gaps) == 3 and all(g > 0.01 for g in gaps), gaps
    assert d.slept[0] <= 0.25


def test_throttles_spend_neither_budget_nor_attempts() -> None:
    budget = RetryBudget(ratio=0.0, max_tokens=1)
    p = policy(max_attempts=2, budget=budget)
    d = Driver(scripted([_429("1")] * 6 + [Response(503), OK]))
    resp = d.run(retrying(p, build_of(GET), throttle=Throttle(random.Random(1))))
    assert resp is OK and len(d.sent) == 8  # six throttles, one error retried, then success
    assert budget.tokens == 0.0  # only the 503 retry was paid for


@given(
    retry_after=st.integers(min_value=0, max_value=120),
    seed=st.integers(min_value=0, max_value=2**32),
)
def test_wait_after_429_is_never_before_retry_after_and_bounded(
    retry_after: int, seed: int
) -> None:
    d = Driver(scripted([_429(str(retry_after)), OK]))
    d.run(retrying(policy(), build_of(GET), throttle=Throttle(random.Random(seed))))
    (slept,) = d.slept
    assert retry_after <= slept <= retry_after + min(MAX_JITTER, 0.1 * retry_after + 0.05)


def throttled_call(gate: Throttle, retry_after: str, now: float) -> float:
    """Drive one call up to its wait after a 429 (the call is then left waiting)."""
    flow = retrying(policy(), build_of(GET), throttle=gate)
    assert isinstance(next(flow), Now)
    assert isinstance(flow.send(now), Send)
    assert isinstance(flow.send(_429(retry_after)), Now)  # when the answer came
    assert isinstance(flow.send(now), Now)  # the next attempt starts
    sleep = flow.send(now)
    assert isinstance(sleep, Sleep)
    return sleep.seconds


def test_waiters_do_not_all_return_at_once() -> None:
    gate = Throttle(random.Random(3))
    assert throttled_call(gate, "10", 100.0) >= 10.0
    waits = []
    for _ in range(20):  # twenty calls arriving while the gate is closed (all left waiting)
        flow = retrying(policy(), build_of(GET), throttle=gate)
        assert isinstance(next(flow), Now)
        sleep = flow.send(101.0)
        assert isinstance(sleep, Sleep)
        waits.append(sleep.seconds)
    assert all(w >= 9.0 for w in waits)  # nobody goes before the server's time...
    assert len(set(waits)) == 20  # ...and they do not all go at the same instant


def test_one_gate_pauses_every_call_of_the_client() -> None:
    gate = Throttle(random.Random(3))
    throttled_call(gate, "5", 100.0)
    other = Driver(scripted([OK]), clock=102.0)  # another call, 2 s later: 3 s still to wait
    other.run(retrying(policy(), build_of(POST), throttle=gate))
    assert len(other.slept) == 1 and other.slept[0] >= 3.0


def test_a_sleeper_checks_the_gate_again_when_a_later_429_closed_it() -> None:
    # Before: a call told to wait until the gate opened sent as soon as it woke, even when
    # another call's 429 had closed the gate again meanwhile (seen in the soak as sends inside
    # a Retry-After window).
    gate = Throttle(random.Random(3))
    throttled_call(gate, "2", 100.0)  # the gate is closed until 102 (+ jitter)
    waiter = retrying(policy(), build_of(GET), throttle=gate)
    assert isinstance(next(waiter), Now)
    first = waiter.send(100.5)
    assert isinstance(first, Sleep) and 1.5 <= first.seconds < 2.5
    # While it sleeps, a call sent before the first 429 gets one too: closed until 106.
    gate.on_throttle(99.0, 101.0, 5.0)
    assert isinstance(waiter.send(None), Now)  # it wakes and looks again
    again = waiter.send(100.5 + first.seconds)
    assert isinstance(again, Sleep)
    assert 100.5 + first.seconds + again.seconds >= 106.0  # never before the new time
    assert isinstance(waiter.send(None), Now)
    assert isinstance(waiter.send(106.6), Send)


def test_pacing_starts_after_repeated_throttles_and_recovers() -> None:
    gate = Throttle(random.Random(5))
    t = 0.0
    assert gate.delay(t) == 0.0 or not gate.active
    gate.on_throttle(t, t, 1.0)  # first throttle: the gate only
    assert gate.active and gate.rate is None
    for _ in range(30):
        gate.delay(0.5)  # thirty sends counted
    gate.on_throttle(1.5, 1.5, 1.0)  # still throttled: pace at 0.7 x measured (30 / 1.5 s)
    assert gate.rate == pytest.approx(0.7 * 20)
    gate.on_throttle(0.2, 1.6, 1.0)  # decided before the cut: no second cut
    assert gate.rate == pytest.approx(0.7 * 20)
    gate.on_success(2.6)
    assert gate.rate is not None and gate.rate < 20  # CUBIC: below W_max just after the cut
    gate.on_success(60.0)  # long quiet: far past W_max, pacing off
    assert gate.rate is None and not gate.active


@settings(max_examples=200)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["delay", "throttle", "success"]),
            st.floats(min_value=0.0, max_value=3.0),
            st.one_of(st.none(), st.floats(min_value=0.0, max_value=30.0)),
        ),
        max_size=60,
    )
)
def test_throttle_properties(events: list[tuple[str, float, float | None]]) -> None:
    """Waits are never negative, never end before the gate opens, and stay bounded;
    the pacing rate never drops under MIN_RATE."""
    gate = Throttle(random.Random(0))
    now = 0.0
    for kind, step, retry_after in events:
        now += step
        if kind == "delay":
            opens = gate.open_at()
            wait = gate.delay(now)
            assert wait >= 0.0
            assert now + wait >= opens
            # bounded: the gate, its jitter, then at most this many paced slots
            assert wait <= max(0.0, opens - now) + MAX_JITTER + 61 / MIN_RATE
        elif kind == "throttle":
            gate.on_throttle(now, now, retry_after)
        else:
            gate.on_success(now)
        assert gate.rate is None or gate.rate >= MIN_RATE


@pytest.mark.parametrize(
    ("req", "answers", "kw", "reason"),
    [
        (GET, [Response(500)] * 3, {"max_attempts": 3}, "gave up after 3 attempts: max_attempts=3"),
        (GET, [Response(500)], {"max_attempts": 1}, "retries are off (max_attempts=1)"),
        (POST, [Response(500)], {}, "POST is not idempotent"),
        (
            GET,
            [Response(500)] * 2,
            {"budget": RetryBudget(ratio=0.0, max_tokens=1)},
            "gave up after 2 attempts: the retry budget is spent",
        ),
        (
            GET,
            [_429("3600")],
            {"max_retry_after": 60},
            "the server asked to wait 3600 s (Retry-After), more than max_retry_after=60 s",
        ),
        (GET, [_429("0")] * 4, {"max_throttles": 3}, "rate-limited 4 times (max_throttles=3)"),
        (
            GET,
            [_429("50")] * 3,
            {"max_throttle_wait": 120},
            "would take over max_throttle_wait=120 s",
        ),
    ],
)
def test_gives_up_with_the_reason(
    req: Request, answers: list[Response | TetherError], kw: dict[str, object], reason: str
) -> None:
    n = len(answers)
    d = Driver(scripted(list(answers)))
    resp = d.run(retrying(policy(**kw), build_of(req), throttle=Throttle(random.Random(1))))
    assert isinstance(resp, RetriedResponse) and resp.attempts == len(d.sent) == n
    assert reason in give_up_note(resp), give_up_note(resp)


def test_a_plain_answer_is_no_give_up() -> None:
    resp = Driver(scripted([Response(404)])).run(retrying(policy(), build_of(GET)))
    assert resp.status == 404 and give_up_note(resp) == ""


def test_transport_error_reraised_as_same_class_with_reason_and_cause() -> None:
    root = BrokenPipeError("pipe")
    errors: list[TetherError] = []
    for _ in range(2):
        e = ConnectionLost("connection lost")
        e.__cause__ = root
        errors.append(e)
    d = Driver(scripted(list(errors)))
    with pytest.raises(ConnectionLost) as info:
        d.run(retrying(policy(max_attempts=2), build_of(GET)))
    assert str(info.value).startswith("connection lost; tether gave up after 2 attempts")
    assert "max_attempts=2" in str(info.value)
    assert info.value.__cause__ is root
    with pytest.raises(ConnectError, match="retries are off"):
        Driver(scripted([ConnectError("refused")])).run(
            retrying(policy(max_attempts=1), build_of(POST))
        )


def test_defaults_reach_three_nines_under_30_percent_faults() -> None:
    """The soak's arithmetic, by hand: 30 % faults, a quarter of them 429 + Retry-After, the
    rest 5xx or dropped connections; every call an idempotent read, one client's policy and
    gate shared by all calls."""
    rng = random.Random(2026)
    p = RetryPolicy(rng=random.Random(1))
    gate = Throttle(random.Random(2))
    faults: list[Callable[[], Response]] = [lambda: _429("1")] + [lambda: Response(503)] * 2

    def responder(r: Request) -> Response:
        x = rng.random()
        if x < 0.30:
            if x < 0.075:
                return faults[0]()
            if x < 0.19:
                return faults[1]()
            raise ConnectionLost("dropped")
        return OK

    ok = 0
    calls = 20_000
    d = Driver(responder)
    for _ in range(calls):
        try:
            if d.run(retrying(p, build_of(GET), throttle=gate)) is OK:
                ok += 1
        except ConnectionLost:
            pass
        d.clock += 0.05  # calls spread in time (the gate's pacing counts per second)
    assert ok / calls >= 0.999, (ok, calls)


def test_budget_still_stops_an_outage() -> None:
    """At 60 % failures the budget caps retries to about half a retry per call."""
    rng = random.Random(9)
    p = RetryPolicy(rng=random.Random(1))

    def responder(r: Request) -> Response:
        return Response(503) if rng.random() < 0.6 else OK

    d = Driver(responder)
    calls = 2_000
    for _ in range(calls):
        d.run(retrying(p, build_of(GET)))
    retries = len(d.sent) - calls
    assert retries <= 0.5 * calls + p.budget.max_tokens


def test_shared_state_is_thread_safe() -> None:
    gate = Throttle(random.Random(0))
    budget = RetryBudget(ratio=0.5, max_tokens=1e9, tokens=0.0)
    start = threading.Barrier(8)

    def work(i: int) -> None:
        start.wait()
        for j in range(2000):
            t = j * 0.001
            gate.on_throttle(t, t, 0.0)
            gate.delay(t)
            gate.on_success(t)
            budget.deposit()

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert gate.throttles == 8 * 2000
    assert math.isclose(budget.tokens, 0.5 * 8 * 2000)
