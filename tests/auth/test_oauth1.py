"""OAuth 1.0a: RFC 5849's known answer, and the three-legged dance driven by hand."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from oauthlib.oauth1 import Client as OAuthlibClient

from tests.auth.drive import form, send_once
from tests.flowdriver import Driver
from tether.auth.oauth1 import FORM, Endpoints, OAuth1, TokenPair
from tether.core.errors import AuthError, ProtocolError
from tether.core.messages import Request, Response

ENDPOINTS = Endpoints.under("https://sp.example/oauth/")


def header_params(value: str) -> dict[str, str]:
    assert value.startswith("OAuth ")
    out = {}
    for part in value[6:].split(", "):
        k, _, v = part.partition("=")
        out[k] = unquote(v.strip('"'))
    return out


def consumer(**kw: Any) -> OAuth1:
    return OAuth1("key", "sekrit", ENDPOINTS, nonce=lambda: "n0nce", **kw)


def test_rfc5849_known_answer() -> None:
    # RFC 5849 §1.2 (and its errata): the photos.example.net GET, signed with HMAC-SHA1.
    o = OAuth1(
        "dpf43f3p2l4k3l03",
        "kd94hf93k423kf44",
        ENDPOINTS,
        nonce=lambda: "kllo9940pd9333jh",
    )
    request = Request("GET", "http://photos.example.net/photos?file=vacation.jpg&size=original")
    signed = o.sign(request, 1191242096.9, TokenPair("nnch734d00sl2jdk", "pfkkdhi9sl3r4s00"))
    params = header_params(signed.header("Authorization") or "")
    assert params["oauth_signature"] == "tR3+Ty81lMeYAr/Fid0kMTYa/WM="
    assert params["oauth_timestamp"] == "1191242096" and params["oauth_token"] == "nnch734d00sl2jdk"
    assert request.header("Authorization") is None  # the original is left as it was


def test_sign_covers_a_form_body_as_oauthlib_does() -> None:
    body = b"title=a+b&tags=x%2Cy"
    request = Request("POST", "https://api.example/rest", (("Content-Type", FORM),), body)
    mine = header_params(
        consumer().sign(request, 1700000000, TokenPair("tok", "tsec")).header("Authorization") or ""
    )
    ref = OAuthlibClient(
        "key",
        client_secret="sekrit",
        resource_owner_key="tok",
        resource_owner_secret="tsec",
        nonce="n0nce",
        timestamp="1700000000",
    )
    _, headers, _ = ref.sign(
        "https://api.example/rest", "POST", body.decode(), {"Content-Type": FORM}
    )
    assert mine["oauth_signature"] == header_params(headers["Authorization"])["oauth_signature"]


def test_repr_hides_the_secrets() -> None:
    assert "sekrit" not in repr(consumer()) and "tsec" not in repr(TokenPair("t", "tsec"))


def test_the_three_legs() -> None:
    answers = {
        ENDPOINTS.request_token: form(
            200, "oauth_callback_confirmed=true&oauth_token=rt&oauth_token_secret=rts"
        ),
        ENDPOINTS.access_token: form(
            200, "oauth_token=at&oauth_token_secret=ats&username=bob&user_nsid=1%40N0"
        ),
    }
    d = Driver(lambda r: answers[r.url])
    o = consumer()
    rt = d.run(o.request_token(send_once, "http://127.0.0.1:5/"))
    assert (rt.token, rt.secret) == ("rt", "rts")
    leg1 = header_params(d.sent[0].header("Authorization") or "")
    assert leg1["oauth_callback"] == "http://127.0.0.1:5/" and "oauth_token" not in leg1
    assert d.sent[0].method == "POST" and d.sent[0].body == b""

    url = o.authorize_url(rt, perms="write")
    assert urlsplit(url)._replace(query="").geturl() == ENDPOINTS.authorize
    assert parse_qs(urlsplit(url).query) == {"oauth_token": ["rt"], "perms": ["write"]}

    body = d.run(o.access_token(send_once, rt, "  123-456 \n"))
    assert body["oauth_token"] == "at" and body["user_nsid"] == "1@N0"
    leg3 = header_params(d.sent[1].header("Authorization") or "")
    assert leg3["oauth_token"] == "rt" and leg3["oauth_verifier"] == "123-456"
    # Signed with the request token's secret: oauthlib, given the same inputs, agrees.
    ref = OAuthlibClient(
        "key",
        client_secret="sekrit",
        resource_owner_key="rt",
        resource_owner_secret="rts",
        verifier="123-456",
        nonce="n0nce",
        timestamp=leg3["oauth_timestamp"],
    )
    _, headers, _ = ref.sign(ENDPOINTS.access_token, "POST")
    assert leg3["oauth_signature"] == header_params(headers["Authorization"])["oauth_signature"]


class ServiceAuth(AuthError):
    def __init__(self, message: str, method: str = "") -> None:
        super().__init__(message)
        self.method = method


def test_an_unconfirmed_callback_is_the_services_auth_error() -> None:
    d = Driver(lambda r: form(200, "oauth_token=rt"))
    with pytest.raises(ServiceAuth, match="Acme did not confirm the OAuth callback") as e:
        d.run(consumer(service="Acme", auth_error=ServiceAuth).request_token(send_once))
    assert e.value.method == "oauth/request_token"


def test_an_access_answer_without_token_is_a_protocol_error() -> None:
    d = Driver(lambda r: form(200, "oauth_problem=nothing"))
    with pytest.raises(ProtocolError, match="answer has no oauth_token"):
        d.run(consumer().access_token(send_once, TokenPair("rt", "rts"), "v"))


def test_each_attempt_is_signed_afresh_through_the_services_exchange() -> None:
    """The facade's exchange may build the request more than once (retries): each build has
    its own nonce and timestamp, and its label is the service's."""
    nonces = iter(["a", "b"])
    o = OAuth1("key", "s", ENDPOINTS, nonce=lambda: next(nonces), label="acme")
    seen: list[Request] = []

    def twice(build: Any, method: str) -> Any:
        seen.append(build(1.0))
        seen.append(build(2.0))
        assert method == "oauth/request_token"
        if False:
            yield
        return Response(200, (), b"oauth_callback_confirmed=true&oauth_token=t")

    Driver(lambda r: form(500, "")).run(o.request_token(twice))
    first, second = (header_params(r.header("Authorization") or "") for r in seen)
    assert (first["oauth_nonce"], second["oauth_nonce"]) == ("a", "b")
    assert (first["oauth_timestamp"], second["oauth_timestamp"]) == ("1", "2")
    assert seen[0].label == "acme oauth request_token"
