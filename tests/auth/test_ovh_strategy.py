"""OVH's two auth strategies, driven by hand: the application-key ``Signature`` (clock delta
taken once under a lock, pure signing, re-sync on a stale clock) and the facade's OAuth2
client credentials on ``TokenKeeper``; then both wired into the real client against the
sandbox."""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

import pytest

from tests.auth.drive import performing_blocking
from tests.flowdriver import Driver, json_response
from tether import ovh
from tether.auth.keeper import TokenKeeper
from tether.auth.ovh import Signature, signature
from tether.core.errors import TransportError
from tether.core.flow import Exclusive, Flow, Now, Send
from tether.core.messages import Request, Response

AK = "7kbG7Bk7S9Nt7ZSV"
AS = "EXEgWIz07P0HYwtQDs7cNIqCiQaWSuHF"
CK = "MtSwSrPpNjqfVSmJhLbPyr2i45lSwPU1"
LOCAL = 1457018875.7
TIME_URL = "https://eu.api.ovh.com/1.0/auth/time"


def server_time() -> Flow[int]:
    """What the facade's ``_server_time`` does, minus its retry policy and error mapping."""
    response: Response = yield Send(Request("GET", TIME_URL))
    value: int = json.loads(response.body)
    return value


def clock_at(server: int) -> Driver:
    return Driver(lambda r: json_response(200, str(server).encode()), clock=LOCAL)


def strategy(**kw: Any) -> Signature:
    return Signature(AK, AS, CK, kw.pop("server_time", server_time), **kw)


def step(flow: Flow[Any], value: Any = None) -> Any:
    return flow.send(value)


def finish(flow: Flow[Any], value: Any) -> Any:
    with pytest.raises(StopIteration) as stop:
        flow.send(value)
    return stop.value.value


# --- the clock delta ---------------------------------------------------------------------


def test_delta_is_taken_once_under_the_time_lock() -> None:
    s = strategy()
    flow = s.synced()
    effect = step(flow)
    assert isinstance(effect, Exclusive) and effect.key == "ovh.time"
    d = clock_at(1457018995)
    assert finish(flow, d.run(effect.flow)) == 1457018995 - 1457018875 == 120
    assert s.delta == 120
    # Taken: the next call is answered with no effect at all (no lock, no clock, no send).
    assert _no_effects(s.synced()) == 120
    assert [r.url for r in d.sent] == [TIME_URL]


def _no_effects(flow: Flow[Any]) -> Any:
    with pytest.raises(StopIteration) as stop:
        next(flow)
    return stop.value.value


def test_calls_that_waited_for_the_lock_share_the_first_fetch() -> None:
    s = strategy()
    first, second = s.synced(), s.synced()
    lock1, lock2 = step(first), step(second)  # both found no delta and asked for the lock
    d = clock_at(1457018875 - 7)
    assert finish(first, d.run(lock1.flow)) == -7
    # The second holds the lock now and finds the delta the first one took.
    assert finish(second, d.run(lock2.flow)) == -7
    assert len(d.sent) == 1


def test_resync_takes_the_delta_again_once_for_calls_refused_together() -> None:
    s = strategy()
    d = clock_at(1457018875)
    assert d.run(s.synced()) == 0
    # Two calls both answered QUERY_TIME_OUT re-sync at once: one fetch between them.
    a, b = s.resync(), s.resync()
    lock_a, lock_b = step(a), step(b)
    assert lock_a.key == lock_b.key == "ovh.time"
    d2 = clock_at(1457018875 + 3600)
    assert finish(a, d2.run(lock_a.flow)) == 3600
    assert finish(b, d2.run(lock_b.flow)) == 3600
    assert len(d2.sent) == 1
    # A later re-sync fetches again even if the server's answer did not move.
    seen = s.taken
    assert d2.run(s.resync(seen)) == 3600
    assert len(d2.sent) == 2
    # A call signed before that re-sync and refused after it only signs anew.
    assert d2.run(s.resync(seen)) == 3600
    assert len(d2.sent) == 2 and s.taken == seen + 1


def test_the_clock_is_read_after_the_answer() -> None:
    s = strategy()
    order: list[str] = []

    def responder(r: Request) -> Response:
        order.append("send")
        return json_response(200, b"1000")

    inner = step(s.synced()).flow
    assert isinstance(next(inner), Send)
    assert isinstance(inner.send(responder(Request("GET", TIME_URL))), Now)
    assert finish(inner, 990.9) == 10
    assert order == ["send"]


def test_a_failed_fetch_leaves_no_delta_and_the_next_call_asks_again() -> None:
    s = strategy()

    def down(r: Request) -> Response:
        raise TransportError("connection refused")

    with pytest.raises(TransportError):
        Driver(down).run(s.synced())
    assert s.delta is None
    d = clock_at(1457018876)
    assert d.run(s.synced()) == 1
    assert len(d.sent) == 1


# --- signing -----------------------------------------------------------------------------


def test_sign_known_answer_tv12() -> None:
    # ovh.md §10 TV12: DELETE with a query, the server 120 s ahead of the local clock.
    s = strategy()
    s.delta = 120
    request = Request("DELETE", "https://eu.api.ovh.com/1.0/x/y?force=true", (("X-A", "1"),))
    signed = s.sign(request, LOCAL)
    assert signed.header("X-Ovh-Timestamp") == "1457018995"
    assert signed.header("X-Ovh-Signature") == "$1$9a1d2f9e1aebc64f9b7c34c5c6dfee7bb17c920c"
    assert signed.header("X-Ovh-Application") == AK
    assert signed.header("X-Ovh-Consumer") == CK
    # Added after the request's own headers, nothing else changed; the input is untouched.
    assert signed.headers[0] == ("X-A", "1") and len(signed.headers) == 5
    assert (signed.method, signed.url, signed.body) == (request.method, request.url, b"")
    assert request.headers == (("X-A", "1"),)


def test_sign_is_pure_and_matches_the_reference_signature() -> None:
    s = strategy()
    s.delta = -3
    body = b'{"a":1}'
    r = Request("post", "https://eu.api.ovh.com/1.0/me/contact", (), body)
    one, two = s.sign(r, 2000.9), s.sign(r, 2000.9)
    assert one.headers == two.headers
    assert one.header("X-Ovh-Timestamp") == "1997"
    assert one.header("X-Ovh-Signature") == signature(AS, CK, "POST", r.url, body, 1997)
    # ``headers`` is ``sign``'s work for a caller that builds its own request (the facade).
    assert one.headers == s.headers("POST", r.url, body, 2000.9)
    # Every attempt is signed for its own time.
    assert s.sign(r, 2001.0).header("X-Ovh-Signature") != one.header("X-Ovh-Signature")


def test_a_new_consumer_key_is_signed_with() -> None:
    s = strategy()
    s.delta = 0
    r = Request("GET", "https://eu.api.ovh.com/1.0/me")
    before = s.sign(r, 100.0).header("X-Ovh-Signature")
    s.consumer_key = "NEWCK"
    after = s.sign(r, 100.0)
    assert after.header("X-Ovh-Consumer") == "NEWCK"
    assert after.header("X-Ovh-Signature") == signature(AS, "NEWCK", "GET", r.url, b"", 100)
    assert after.header("X-Ovh-Signature") != before


def test_sign_refuses_a_streamed_body() -> None:
    r = Request("POST", "https://eu.api.ovh.com/1.0/x", (), iter([b"a"]))
    with pytest.raises(TypeError, match="bytes"):
        strategy().sign(r, 0.0)


@pytest.mark.parametrize(
    ("status", "body", "stale"),
    [
        (400, b'{"errorCode":"QUERY_TIME_OUT","message":"Query out of time"}', True),
        (400, b'{"errorCode":"INVALID_SIGNATURE"}', False),
        (200, b'{"note":"QUERY_TIME_OUT"}', False),
        (403, b'{"errorCode":"QUERY_TIME_OUT"}', False),
    ],
)
def test_stale_is_only_a_400_query_time_out(status: int, body: bytes, stale: bool) -> None:
    assert Signature.stale(json_response(status, body)) is stale


def test_repr_shows_no_secret() -> None:
    s = strategy()
    s.delta = 5
    text = repr(s)
    assert AS not in text and CK not in text and "delta=5" in text


# --- the facade on both strategies, by hand ------------------------------------------------


class NoTransport:
    def send(self, request: Request) -> Response:
        raise AssertionError("driven by hand: no transport")

    def close(self) -> None:
        pass


def signed_client() -> ovh.Client:
    return ovh.Client(
        endpoint="ovh-eu",
        application_key=AK,
        application_secret=AS,
        consumer_key=CK,
        transport=NoTransport(),
        environ={},
    )


def test_facade_re_signs_once_after_a_stale_clock() -> None:
    c = signed_client()
    answers = iter([b"1457018875", b'{"errorCode":"QUERY_TIME_OUT"}', b"1457022475", b"{}"])

    def responder(r: Request) -> Response:
        body = next(answers)
        return json_response(400 if b"QUERY" in body else 200, body)

    d = Driver(responder, clock=LOCAL)
    c._run = d.run
    assert c.get("/me") == {}
    urls = [r.url.rsplit("/", 1)[1] for r in d.sent]
    assert urls == ["time", "me", "time", "me"]
    assert [r.header("X-Ovh-Timestamp") for r in d.sent[1::2]] == ["1457018875", "1457022475"]
    assert c._signature.delta == 3600


def test_facade_gives_up_after_one_re_sync() -> None:
    c = signed_client()

    def responder(r: Request) -> Response:
        if r.url == TIME_URL:
            return json_response(200, b"1457018875")
        return json_response(400, b'{"errorCode":"QUERY_TIME_OUT","message":"Query out of time"}')

    d = Driver(responder, clock=LOCAL)
    c._run = d.run
    with pytest.raises(ovh.BadParametersError):
        c.get("/me")
    assert [r.url == TIME_URL for r in d.sent] == [True, False, True, False]


def oauth2_client() -> ovh.Client:
    return ovh.Client(
        endpoint="ovh-eu",
        client_id="my_client_id",
        client_secret="my_client_secret",
        transport=NoTransport(),
        environ={},
    )


TOKEN_URL = "https://www.ovh.com/auth/oauth2/token"


def grants(*bodies: bytes, status: int = 200) -> Any:
    answers = iter(bodies)

    def responder(r: Request) -> Response:
        if r.url == TOKEN_URL:
            return json_response(status, next(answers))
        return json_response(200, b'{"firstname":"Ada"}')

    return responder


def token_body(token: str, expires_in: Any = 3599) -> bytes:
    return json.dumps({"access_token": token, "token_type": "Bearer", "expires_in": expires_in})


def test_the_oauth2_keeper_gets_a_token_once_and_renews_it_before_expiry() -> None:
    c = oauth2_client()
    assert isinstance(c._oauth2, TokenKeeper) and c._oauth2.key == "ovh.oauth2"
    d = Driver(grants(token_body("T1", 300).encode(), token_body("T2").encode()), clock=1000.0)
    c._run = d.run
    c.get("/me")
    c.get("/me/bill")
    token = c._oauth2.token
    assert token is not None and token.access_token == "T1"
    # ``expires_in`` counts from before the grant; renewed min(30 s, a tenth) early.
    assert (token.expires_at, token.refresh_at) == (1300.0, 1270.0)
    d.clock = 1269.9
    c.get("/me")
    d.clock = 1270.0
    c.get("/me")
    bearers = [r.header("Authorization") for r in d.sent if r.url != TOKEN_URL]
    assert bearers == ["Bearer T1", "Bearer T1", "Bearer T1", "Bearer T2"]
    assert sum(r.url == TOKEN_URL for r in d.sent) == 2
    # Every token is known to the redaction layer.
    assert {"T1", "T2"} <= set(c._secrets)


@pytest.mark.parametrize("expires_in", [None, 0, -5, "3600"])
def test_a_token_without_a_usable_lifetime_never_expires(expires_in: Any) -> None:
    c = oauth2_client()
    d = Driver(grants(token_body("T", expires_in).encode()))
    c._run = d.run
    c.get("/me")
    assert c._oauth2 is not None and c._oauth2.token is not None
    assert c._oauth2.token.expires_at == c._oauth2.token.refresh_at == math.inf


def test_calls_waiting_for_the_oauth2_lock_share_one_grant() -> None:
    c = oauth2_client()
    keeper = c._oauth2
    assert keeper is not None
    first, second = keeper.access_token(), keeper.access_token()
    lock1, lock2 = step(first), step(second)
    assert isinstance(lock1, Exclusive) and lock1.key == lock2.key == "ovh.oauth2"
    d = Driver(grants(token_body("ONLY").encode()))
    log: list[Any] = []
    assert finish(first, d.run(performing_blocking(lock1.flow, log))) == "ONLY"
    assert finish(second, d.run(lock2.flow)) == "ONLY"
    assert len(d.sent) == 1 and log == []  # no stored token: no Blocking either


def test_a_refused_grant_keeps_python_ovh_errors_and_no_token() -> None:
    c = oauth2_client()
    refused = b'{"error":"invalid_client","error_description":"bad secret"}'
    d = Driver(grants(refused, status=401))
    c._run = d.run
    with pytest.raises(ovh.OAuth2FailureError) as e:
        c.get("/me")
    assert str(e.value).startswith("OAuth2 failure: (invalid_client) bad secret")
    assert "my_client_secret" not in str(e.value)
    assert c._oauth2 is not None and c._oauth2.token is None
    # The next call asks again rather than remembering the failure.
    d.responder = grants(token_body("LATER").encode())
    assert c.get("/me") == {"firstname": "Ada"}


def test_a_bearer_token_is_redacted_from_a_transport_failure() -> None:
    c = oauth2_client()

    def responder(r: Request) -> Response:
        if r.url == TOKEN_URL:
            return json_response(200, token_body("SECRET-BEARER-1").encode())
        raise TransportError("proxy said: Authorization: Bearer SECRET-BEARER-1")

    c._run = Driver(responder).run
    with pytest.raises(ovh.HTTPError) as e:
        c.get("/me")
    assert "SECRET-BEARER-1" not in str(e.value)


# --- wired: the real client against the sandbox --------------------------------------------


def test_one_time_fetch_for_many_concurrent_signed_calls(tether_sandbox: Any) -> None:
    creds = tether_sandbox.credentials()["ovh"]
    before = tether_sandbox.stats()["requests"].get("/ovh/1.0/auth/time", 0)

    async def main() -> list[Any]:
        async with ovh.AsyncClient(
            endpoint=creds["base_url"],
            application_key=creds["application_key"],
            application_secret=creds["application_secret"],
            consumer_key=creds["consumer_key"],
            environ={},
        ) as c:
            first = await asyncio.gather(*(c.get("/me") for _ in range(20)))
            tether_sandbox.set_time_skew(3600)
            again = await asyncio.gather(*(c.get("/me") for _ in range(20)))
            assert 3590 < await c.time_delta < 3610
            return first + again

    results = asyncio.run(main())
    assert all(r["firstname"] for r in results)
    # One fetch for the first 20 calls, one re-sync for the 20 refused together.
    assert tether_sandbox.stats()["requests"]["/ovh/1.0/auth/time"] - before == 2
