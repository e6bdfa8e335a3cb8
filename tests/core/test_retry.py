from __future__ import annotations

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.flowdriver import Driver
from tether.core.errors import ConnectError, ConnectionLost, TetherError, TimeoutError
from tether.core.messages import Request, Response
from tether.core.retry import RetryBudget, RetryPolicy, parse_retry_after, retrying

GET = Request("GET", "http://x/")
POST = Request("POST", "http://x/")


def policy(**kw) -> RetryPolicy:
    return RetryPolicy(rng=random.Random(7), **kw)


@pytest.mark.parametrize(
    ("request_", "outcome", "retried"),
    [
        (GET, Response(500), True),
        (GET, Response(503), True),
        (GET, Response(429), True),
        (POST, Response(429), True),  # refused before acting: safe for any method
        (POST, Response(500), False),  # may have acted: never re-send a POST
        (GET, Response(404), False),
        (GET, Response(400), False),
        (POST, ConnectError("x"), True),  # never reached the server
        (GET, ConnectionLost("x"), True),
        (POST, ConnectionLost("x"), False),
        (POST, TimeoutError("x"), False),
        (GET, TimeoutError("x"), True),
        (Request("POST", "http://x/", idempotent=True), Response(502), True),
    ],
)
def test_only_safe_retries(
    request_: Request, outcome: Response | TetherError, retried: bool
) -> None:
    assert (policy().decide(1, request_, outcome, 0.0) is not None) is retried


def test_retry_after_seconds_and_date_honoured() -> None:
    r = Response(429, (("Retry-After", "7"),))
    assert policy().decide(1, GET, r, 0.0) == 7.0
    r = Response(503, (("Retry-After", "Thu, 01 Jan 1970 00:01:40 GMT"),))
    assert policy().decide(1, GET, r, 40.0) == pytest.approx(60.0)
    assert parse_retry_after("garbage", 0) is None


def test_retry_after_too_long_gives_up() -> None:
    r = Response(429, (("Retry-After", "3600"),))
    assert policy(max_retry_after=60).decide(1, GET, r, 0.0) is None


@given(st.integers(min_value=1, max_value=50), st.integers(min_value=0, max_value=2**32))
def test_backoff_is_bounded_full_jitter(attempt: int, seed: int) -> None:
    p = RetryPolicy(max_attempts=100, base=0.5, cap=8.0, rng=random.Random(seed))
    delay = p.decide(attempt, GET, Response(503), 0.0)
    assert delay is not None
    assert 0.0 <= delay <= min(8.0, 0.5 * 2 ** (attempt - 1))


def test_attempts_are_capped() -> None:
    p = policy(max_attempts=3)
    assert p.decide(2, GET, Response(500), 0) is not None
    assert p.decide(3, GET, Response(500), 0) is None


def test_budget_stops_retry_storms() -> None:
    budget = RetryBudget(ratio=0.25, max_tokens=2)
    p = RetryPolicy(max_attempts=10, budget=budget, rng=random.Random(1))
    assert p.decide(1, GET, Response(500), 0) is not None
    assert p.decide(1, GET, Response(500), 0) is not None
    assert p.decide(1, GET, Response(500), 0) is None  # budget spent
    for _ in range(4):
        budget.deposit()  # four fresh requests earn one retry
    assert p.decide(1, GET, Response(500), 0) is not None


def _build(req: Request):
    def build(now: float) -> Request:
        return req

    return build


def test_retrying_flow_sleeps_then_succeeds() -> None:
    answers = [Response(503), ConnectError("refused"), Response(200, body=b"ok")]

    def responder(r: Request) -> Response:
        a = answers.pop(0)
        if isinstance(a, Exception):
            raise a
        return a

    d = Driver(responder)
    resp = d.run(retrying(policy(), _build(GET)))
    assert resp.body == b"ok"
    assert len(d.sent) == 3
    assert len(d.slept) == 2 and all(s >= 0 for s in d.slept)


def test_retrying_flow_raises_last_transport_error() -> None:
    def responder(r: Request) -> Response:
        raise ConnectionLost("reset")

    d = Driver(responder)
    with pytest.raises(ConnectionLost):
        d.run(retrying(policy(), _build(POST)))
    assert len(d.sent) == 1  # a POST is not re-sent after a lost connection


def test_retrying_returns_final_error_response() -> None:
    d = Driver(lambda r: Response(500))
    resp = d.run(retrying(policy(max_attempts=3), _build(GET)))
    assert resp.status == 500 and len(d.sent) == 3


def test_retrying_paces_each_attempt_and_resigns_with_fresh_time() -> None:
    from tether.core.ratelimit import TokenBucket

    built_at: list[float] = []

    def build(now: float) -> Request:
        built_at.append(now)
        return GET

    answers = [Response(503), Response(200)]
    d = Driver(lambda r: answers.pop(0), clock=100.0)
    bucket = TokenBucket(rate=1.0, capacity=1)
    bucket.reserve(100.0)  # the bucket is empty: the first attempt waits a second
    d.run(retrying(policy(), build, pace=bucket))
    assert d.slept[0] == 1.0
    assert built_at[0] == 101.0  # signed after the wait, not before
    assert built_at[1] > built_at[0]  # a retry is built (signed) again


def test_retry_after_of_an_answer_reads_seconds_and_dates_against_its_own_clock() -> None:
    from tether.core.messages import Response
    from tether.core.retry import retry_after_of

    def answer(*headers: tuple[str, str]) -> Response:
        return Response(429, headers)

    assert retry_after_of(answer(("Retry-After", "7"))) == 7.0
    assert retry_after_of(answer(("Retry-After", "-5"))) is None
    assert retry_after_of(answer()) is None
    dated = ("Retry-After", "Wed, 02 Dec 2026 10:00:30 GMT")
    assert retry_after_of(answer(dated, ("Date", "Wed, 02 Dec 2026 10:00:00 GMT"))) == 30.0
    assert retry_after_of(answer(dated)) is None  # no server clock to measure it against
