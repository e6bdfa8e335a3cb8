"""OAuth 2 strategies, driven by hand: grants, redirects, PKCE (RFC 7636's vector) and the
single-flight token keeper."""

from __future__ import annotations

import base64
import json
import math
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlsplit

import pytest

from tests.auth.drive import performing_blocking
from tests.flowdriver import Driver, json_response
from tether.auth.keeper import TokenKeeper
from tether.auth.oauth2 import (
    Client,
    Token,
    authorization_code,
    bearer,
    begin_authorization,
    client_credentials,
    implicit_token,
    parse_redirect,
    password,
    pkce_challenge,
    refresh,
)
from tether.core.errors import AuthError
from tether.core.flow import Exclusive, Now
from tether.core.messages import Request, Response

CLOCK = 1_700_000_000.0


def D(responder: Any) -> Driver:
    return Driver(responder, clock=CLOCK)


CLIENT = Client(
    "app", "s3cret", "https://auth.example/token", "https://auth.example/authorize", label="acme"
)


def ok(**body: Any) -> Response:
    return json_response(200, json.dumps(body).encode())


def form_of(request: Request) -> dict[str, str]:
    assert isinstance(request.body, bytes)
    return dict(parse_qsl(request.body.decode()))


def test_rfc7636_known_answer() -> None:
    # RFC 7636 Appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    assert pkce_challenge(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    with pytest.raises(ValueError, match="43 to 128"):
        pkce_challenge("short")
    with pytest.raises(ValueError):
        pkce_challenge("x" * 42 + "!")


def test_client_credentials_request_and_expiry() -> None:
    d = D(lambda r: ok(access_token="AT", token_type="Bearer", expires_in=3600, scope="all"))
    token = d.run(client_credentials(CLIENT, scope="all"))
    (sent,) = d.sent
    assert sent.method == "POST" and sent.url == CLIENT.token_url
    assert sent.header("Authorization") == "Basic " + base64.b64encode(b"app:s3cret").decode()
    assert sent.header("Accept") == "application/json"
    assert form_of(sent) == {"grant_type": "client_credentials", "scope": "all"}
    assert sent.label == "acme oauth2 token"
    assert token.access_token == "AT" and token.scope == "all"
    assert token.expires_at == CLOCK + 3600
    assert token.refresh_at == CLOCK + 3600 - 30  # renewed before it dies
    assert "AT" not in repr(token) and "s3cret" not in repr(CLIENT)


def test_short_lived_tokens_refresh_a_tenth_early_and_zero_means_never() -> None:
    t = D(lambda r: ok(access_token="AT", expires_in=100)).run(client_credentials(CLIENT))
    assert t.refresh_at == CLOCK + 90
    t = D(lambda r: ok(access_token="AT", expires_in=0)).run(client_credentials(CLIENT))
    assert t.expires_at == math.inf and t.fresh(CLOCK + 10**9)


def test_credentials_in_the_body_and_extra_fields_for_vk_style_servers() -> None:
    vk = Client(
        "42", "sec", "https://oauth.example/access_token", basic=False, params=(("v", "5.199"),)
    )
    d = D(lambda r: ok(access_token="AT", expires_in=0, user_id=12345))
    token = d.run(password(vk, "bob@example.com", "hunter2", scope="offline"))
    assert d.sent[0].header("Authorization") is None
    assert form_of(d.sent[0]) == {
        "v": "5.199",
        "client_id": "42",
        "client_secret": "sec",
        "grant_type": "password",
        "username": "bob@example.com",
        "password": "hunter2",
        "scope": "offline",
    }
    assert token.extra == {"user_id": 12345}  # no token_type: VK sends none


@pytest.mark.parametrize(
    ("response", "message"),
    [
        (
            json_response(401, b'{"error":"invalid_client","error_description":"bad secret"}'),
            r"\(invalid_client: bad secret\) \(HTTP 401\)",
        ),
        (json_response(200, b'{"error":"invalid_grant"}'), r"\(invalid_grant\)"),
        (json_response(502, b"<html>"), "HTTP 502 with no JSON object"),
        (json_response(200, b'{"access_token":"AT","token_type":"mac"}'), "not a bearer token"),
        (json_response(200, b'{"access_token":""}'), "no access token"),
    ],
)
def test_refusals_are_auth_errors(response: Response, message: str) -> None:
    with pytest.raises(AuthError, match=message) as e:
        D(lambda r: response).run(client_credentials(CLIENT))
    assert "s3cret" not in str(e.value)


def test_refresh_keeps_the_old_refresh_token_when_no_new_one_comes() -> None:
    d = D(lambda r: ok(access_token="AT2", expires_in=60))
    token = d.run(refresh(CLIENT, "RT1"))
    assert form_of(d.sent[0]) == {"grant_type": "refresh_token", "refresh_token": "RT1"}
    assert token.refresh_token == "RT1"
    token = D(lambda r: ok(access_token="AT3", refresh_token="RT2")).run(refresh(CLIENT, "RT1"))
    assert token.refresh_token == "RT2"


def entropy_from(*values: str) -> Any:
    it = iter(values)
    return lambda n: next(it)


VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


def test_authorization_code_with_state_and_pkce() -> None:
    pending = begin_authorization(
        CLIENT, "http://127.0.0.1:9/cb", "public private", entropy=entropy_from("st8", VERIFIER)
    )
    q = parse_qs(urlsplit(pending.url).query)
    assert pending.url.startswith(CLIENT.authorize_url + "?")
    assert q == {
        "response_type": ["code"],
        "client_id": ["app"],
        "redirect_uri": ["http://127.0.0.1:9/cb"],
        "scope": ["public private"],
        "state": ["st8"],
        "code_challenge": ["E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"],
        "code_challenge_method": ["S256"],
    }
    assert "st8" not in repr(pending)
    d = D(lambda r: ok(access_token="AT", token_type="bearer", refresh_token="RT"))
    token = d.run(authorization_code(CLIENT, pending, "http://127.0.0.1:9/cb?code=C0DE&state=st8"))
    assert form_of(d.sent[0]) == {
        "grant_type": "authorization_code",
        "code": "C0DE",
        "redirect_uri": "http://127.0.0.1:9/cb",
        "code_verifier": VERIFIER,
    }
    assert token.refresh_token == "RT"
    # The callback server's captured parameters work as well as the URL.
    d2 = D(lambda r: ok(access_token="AT"))
    d2.run(authorization_code(CLIENT, pending, {"code": "C", "state": "st8"}))
    assert form_of(d2.sent[0])["code"] == "C"


def test_a_code_for_another_login_or_a_refusal_is_never_traded() -> None:
    pending = begin_authorization(CLIENT, "http://x/cb", entropy=entropy_from("mine", VERIFIER))
    d = D(lambda r: pytest.fail("nothing may be sent"))
    with pytest.raises(AuthError, match="state differs"):
        d.run(authorization_code(CLIENT, pending, "http://x/cb?code=C&state=theirs"))
    with pytest.raises(AuthError, match="state differs"):
        d.run(authorization_code(CLIENT, pending, "http://x/cb?code=C"))
    with pytest.raises(AuthError, match=r"access_denied: User denied"):
        d.run(
            authorization_code(
                CLIENT,
                pending,
                "http://x/cb?error=access_denied&error_description=User+denied&state=mine",
            )
        )
    with pytest.raises(AuthError, match="no code"):
        d.run(authorization_code(CLIENT, pending, "http://x/cb?state=mine"))
    assert d.sent == []


def test_implicit_grant_reads_the_fragment() -> None:
    pending = begin_authorization(
        CLIENT,
        "https://oauth.vk.com/blank.html",
        "offline",
        response_type="token",
        entropy=entropy_from("s1"),
    )
    assert "code_challenge" not in pending.url and "response_type=token" in pending.url
    assert pending.code_verifier is None
    # vk.md §2.3: the token in the fragment, expires_in=0 for an offline token.
    url = "https://oauth.vk.com/blank.html#access_token=TOK&expires_in=0&user_id=42&state=s1"
    token = implicit_token(url, "s1", CLOCK)
    assert token.access_token == "TOK" and token.expires_at == math.inf
    assert token.extra == {"user_id": "42", "state": "s1"}
    timed = implicit_token(url.replace("expires_in=0", "expires_in=86400"), "s1", CLOCK)
    assert timed.expires_at == CLOCK + 86400
    with pytest.raises(AuthError, match="state differs"):
        implicit_token(url.replace("state=s1", "state=s2"), "s1", CLOCK)
    with pytest.raises(AuthError, match="access_denied"):
        parse_redirect("https://x/#error=access_denied&state=s1", "s1", fragment=True)


def test_bearer_adds_the_header_only() -> None:
    r = Request("GET", "https://api.example/me", (("Accept", "x"),), label="me")
    signed = bearer(r, Token("AT"))
    assert signed.headers == (("Accept", "x"), ("Authorization", "Bearer AT"))
    assert signed.label == "me" and r.header("Authorization") is None


# --- the keeper ---------------------------------------------------------------------------


class Server:
    def __init__(self, expires_in: int = 3600) -> None:
        self.n = 0
        self.expires_in = expires_in

    def __call__(self, request: Request) -> Response:
        self.n += 1
        fields = form_of(request)
        body = {"access_token": f"AT{self.n}", "expires_in": self.expires_in}
        if fields["grant_type"] != "refresh_token":
            body["refresh_token"] = f"RT{self.n}"
        return ok(**body)


def keeper(**kw: Any) -> TokenKeeper:
    return TokenKeeper(
        "acme.oauth2",
        lambda: client_credentials(CLIENT),
        renew=lambda old: refresh(CLIENT, old.refresh_token or ""),
        **kw,
    )


def test_the_keeper_fetches_once_then_renews_before_expiry() -> None:
    server = Server(expires_in=300)
    d = D(server)
    k = keeper()
    assert d.run(k.access_token()) == "AT1"
    assert d.run(k.access_token()) == "AT1"
    assert server.n == 1
    d.clock += 300 - 31  # before refresh_at: still the same token
    assert d.run(k.access_token()) == "AT1"
    d.clock += 2  # inside the 30 s margin: renewed, with the refresh grant
    assert d.run(k.access_token()) == "AT2"
    assert form_of(d.sent[-1]) == {"grant_type": "refresh_token", "refresh_token": "RT1"}
    assert k.token is not None and k.token.refresh_token == "RT1"


def test_the_grant_runs_under_the_keepers_lock_and_looks_again_inside() -> None:
    """Two calls find no token; the first takes the lock and fetches; the second, once it
    holds the lock, sees the fresh token and sends nothing."""
    server = Server()
    d = D(server)
    k = keeper()
    second = k.access_token()
    effect = next(second)
    assert isinstance(effect, Exclusive) and effect.key == "acme.oauth2"  # no token yet
    assert d.run(k.access_token()) == "AT1"  # the first caller, all the way
    inner = effect.flow
    assert isinstance(next(inner), Now)
    with pytest.raises(StopIteration) as stop:
        inner.send(CLOCK)
    assert stop.value.value.access_token == "AT1" and server.n == 1


def test_persistence_goes_through_blocking_effects() -> None:
    saved: list[Token] = []
    stored = Token("OLD", expires_at=CLOCK + 1000, refresh_at=CLOCK + 900, refresh_token="RT0")
    k = keeper(load=lambda: stored, save=saved.append)
    log: list[Any] = []
    d = D(Server())
    assert d.run(performing_blocking(k.access_token(), log)) == "OLD"  # loaded, no grant
    assert d.sent == [] and saved == []
    assert ("exclusive", "acme.oauth2") in log and sum(callable(e) for e in log) == 1
    d.clock = CLOCK + 950
    assert d.run(performing_blocking(k.access_token(), log)) == "AT1"
    assert form_of(d.sent[0])["refresh_token"] == "RT0"
    assert [t.access_token for t in saved] == ["AT1"]


def test_invalidate_forces_a_renewal_of_that_token_only() -> None:
    d = D(Server())
    k = keeper()
    d.run(k.access_token())
    k.invalidate("someone-elses")
    assert d.run(k.access_token()) == "AT1"
    k.invalidate("AT1")
    assert d.run(k.access_token()) == "AT2"
    assert form_of(d.sent[-1])["grant_type"] == "refresh_token"
