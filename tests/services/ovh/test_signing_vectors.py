"""Every signature and URL test vector of ovh.md §10, driven through the real client flows
with no socket: the flow's Send effects are answered by hand and the clock is fixed."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.flowdriver import Driver, json_response
from tether.auth.ovh import signature
from tether.core.messages import Request, Response
from tether.ovh import API_READ_ONLY, API_READ_WRITE, API_READ_WRITE_SAFE, Client

AK = "7kbG7Bk7S9Nt7ZSV"
AS = "EXEgWIz07P0HYwtQDs7cNIqCiQaWSuHF"
CK = "MtSwSrPpNjqfVSmJhLbPyr2i45lSwPU1"
LOCAL = 1457018875.7


class NoTransport:
    def send(self, request: Request) -> Response:
        raise AssertionError("vectors must not touch a transport")

    def close(self) -> None:
        pass


def client(**kw: Any) -> Client:
    args: dict[str, Any] = dict(
        endpoint="ovh-eu", application_key=AK, application_secret=AS, consumer_key=CK
    )
    args.update(kw)
    return Client(**args, transport=NoTransport(), environ={})


def run(_c: Client, _method: str, _path: str, _server_time: int = 1457018875, **kw: Any):
    """Run ``_c.<_method>(_path, **kw)`` as a flow; return (driver, last request)."""

    def responder(req: Request) -> Response:
        if req.url.endswith("/auth/time"):
            return json_response(200, str(_server_time).encode())
        return json_response(200, b"null")

    driver = Driver(responder, clock=LOCAL)
    _c._run = driver.run  # the facade hands its flow to our hand driver
    getattr(_c, _method)(_path, **kw)
    return driver, driver.sent[-1]


def test_tv1_official_guide_example() -> None:
    assert (
        signature(AS, CK, "GET", "https://eu.api.ovh.com/1.0/domain/", b"", 1366560945)
        == "$1$6a77f43f2871db97a029f1d1d81c4dcd3c6f7265"
    )
    # The server clock is the guide's; the clock delta makes our timestamp the guide's too.
    c2 = client()
    driver = Driver(
        lambda r: (
            json_response(200, b"1366560945")
            if r.url.endswith("/auth/time")
            else json_response(200, b"[]")
        ),
        clock=LOCAL,
    )
    c2._run = driver.run
    c2.get("/domain/")
    assert driver.sent[-1].url == "https://eu.api.ovh.com/1.0/domain/"
    assert driver.sent[-1].header("X-Ovh-Timestamp") == "1366560945"
    assert (
        driver.sent[-1].header("X-Ovh-Signature") == "$1$6a77f43f2871db97a029f1d1d81c4dcd3c6f7265"
    )


VECTORS = [
    (
        "get",
        "/me",
        {},
        "https://eu.api.ovh.com/1.0/me",
        b"",
        "$1$2a64a6eafe4efecd3eda6d28d9b88a0a76f1c4de",
    ),
    (
        "get",
        "/me/bill",
        {"date.from": "2014-01-01"},
        "https://eu.api.ovh.com/1.0/me/bill?date.from=2014-01-01",
        b"",
        "$1$794822aa6ec51b1528a8b7ed2e7b2761fcbe8de6",
    ),
    (
        "get",
        "/me/bill",
        {"date.from": "2014-01-01T00:00:00+01:00", "date.to": "2015-01-01"},
        "https://eu.api.ovh.com/1.0/me/bill?date.from=2014-01-01T00%3A00%3A00%2B01%3A00&date.to=2015-01-01",
        b"",
        "$1$a279d8264e6031975750b201f5174a9b15aa1aff",
    ),
    (
        "get",
        "/dedicated/server",
        {"visible": True, "active": False},
        "https://eu.api.ovh.com/1.0/dedicated/server?visible=true&active=false",
        b"",
        "$1$67dc2d9117d3b218028da028bc72c04782c27b5d",
    ),
    (
        "get",
        "/email/domain/example.com/redirection",
        {"_from": "sales@example.com", "_to": "x", "_type": "y"},
        "https://eu.api.ovh.com/1.0/email/domain/example.com/redirection?from=sales%40example.com&_to=x&_type=y",
        b"",
        "$1$62eeb9e9e109c24eae379bc75aa1b87f08fa320b",
    ),
    (
        "get",
        "/x",
        {"a": None, "b": [1, 2], "c": 3, "d": "a b/c"},
        "https://eu.api.ovh.com/1.0/x?a=null&b=%5B1%2C+2%5D&c=3&d=a+b%2Fc",
        b"",
        "$1$e13b79e9dda172cc46bdfcd3156e47014dc2d87c",
    ),
    (
        "get",
        "/dedicated/server/ns1/features/ipmi/access?type=kvmipJnlp",
        {"foo": "bar"},
        "https://eu.api.ovh.com/1.0/dedicated/server/ns1/features/ipmi/access?type=kvmipJnlp&foo=bar",
        b"",
        "$1$8aeb1de729591a1835decbf308e0f5a336828a43",
    ),
    (
        "post",
        "/email/domain/example.com/redirection",
        {"_from": "sales@example.com", "to": "contact@example.com", "localCopy": False},
        "https://eu.api.ovh.com/1.0/email/domain/example.com/redirection",
        b'{"from":"sales@example.com","to":"contact@example.com","localCopy":false}',
        "$1$8b0977475dcf53ca302ba8bccd06c5ee191fed21",
    ),
    (
        "post",
        "/domain/zone/example.com/refresh",
        {},
        "https://eu.api.ovh.com/1.0/domain/zone/example.com/refresh",
        b"",
        "$1$2746f236519c58d6dbee096e296b908b9e52bec9",
    ),
    (
        "put",
        "/me",
        {"firstname": "Zoë", "address": {"city": "Roubaix", "zip": 59100}, "flag": None},
        "https://eu.api.ovh.com/1.0/me",
        b'{"firstname":"Zo\\u00eb","address":{"city":"Roubaix","zip":59100},"flag":null}',
        "$1$40ae839fdd795880eda83d9bdbb6cbff96efc87b",
    ),
    (
        "get",
        "/v2/iam/policy",
        {},
        "https://eu.api.ovh.com/v2/iam/policy",
        b"",
        "$1$2b7851ad1fd493b5aba379732204e657144af756",
    ),
]


@pytest.mark.parametrize(("method", "path", "kw", "url", "body", "sig"), VECTORS)
def test_vectors(
    method: str, path: str, kw: dict[str, Any], url: str, body: bytes, sig: str
) -> None:
    _, req = run(client(), method, path, **kw)
    assert req.url == url
    assert req.body == body
    assert req.method == method.upper()
    assert req.header("X-Ovh-Signature") == sig
    assert req.header("X-Ovh-Timestamp") == "1457018875"
    assert req.header("X-Ovh-Application") == AK
    assert req.header("X-Ovh-Consumer") == CK
    # Content-type only when a body exists (TV9: none at all for a body-less POST).
    assert (req.header("Content-type") == "application/json") == bool(body)


def test_tv12_clock_skew_and_delete() -> None:
    driver, req = run(client(), "delete", "/x/y", _server_time=1457018995, force=True)
    time_req = driver.sent[0]
    assert time_req.url == "https://eu.api.ovh.com/1.0/auth/time"
    assert dict(time_req.headers) == {"X-Ovh-Application": AK}
    assert req.url == "https://eu.api.ovh.com/1.0/x/y?force=true"
    assert req.header("X-Ovh-Timestamp") == "1457018995"
    assert req.header("X-Ovh-Signature") == "$1$9a1d2f9e1aebc64f9b7c34c5c6dfee7bb17c920c"


def test_time_delta_fetched_once_for_many_calls() -> None:
    c = client()
    driver, _ = run(c, "get", "/me")
    c.get("/me")
    c.get("/me/bill")
    assert [r.url.endswith("/auth/time") for r in driver.sent] == [True, False, False, False]


def _ck_request(c: Client, build) -> Request:
    driver = Driver(
        lambda r: json_response(
            200, b'{"consumerKey":"NEWCK","state":"pendingValidation","validationUrl":"u"}'
        )
    )
    c._run = driver.run
    ck = c.new_consumer_key_request()
    build(ck)
    result = ck.request() if not hasattr(build, "kw") else ck.request(**build.kw)
    assert result["consumerKey"] == "NEWCK"
    assert c.consumer_key == "NEWCK"
    return driver.sent[-1]


def test_tv13_full_access_consumer_key_request() -> None:
    req = _ck_request(client(), lambda ck: ck.add_recursive_rules(API_READ_WRITE, "/"))
    assert req.method == "POST" and req.url == "https://eu.api.ovh.com/1.0/auth/credential"
    assert dict(req.headers) == {"Content-type": "application/json", "X-Ovh-Application": AK}
    assert req.body == (
        b'{"accessRules":[{"method":"GET","path":"/*"},{"method":"POST","path":"/*"},'
        b'{"method":"PUT","path":"/*"},{"method":"DELETE","path":"/*"}],'
        b'"redirection":null,"allowedIPs":null}'
    )


def test_tv14_mixed_rules_redirect_and_ips() -> None:
    def build(ck: Any) -> None:
        ck.add_rules(API_READ_ONLY, "/me")
        ck.add_recursive_rules(API_READ_WRITE_SAFE, "/sms")
        ck.add_rule("delete", "/domain/zone/*/record/*")

    build.kw = {"redirect_url": "https://example.org/cb", "allowedIPs": ["192.0.2.0/24"]}  # type: ignore[attr-defined]
    req = _ck_request(client(), build)
    assert json.loads(req.body) == {
        "accessRules": [
            {"method": "GET", "path": "/me"},
            {"method": "GET", "path": "/sms"},
            {"method": "POST", "path": "/sms"},
            {"method": "PUT", "path": "/sms"},
            {"method": "GET", "path": "/sms/*"},
            {"method": "POST", "path": "/sms/*"},
            {"method": "PUT", "path": "/sms/*"},
            {"method": "DELETE", "path": "/domain/zone/*/record/*"},
        ],
        "redirection": "https://example.org/cb",
        "allowedIPs": ["192.0.2.0/24"],
    }


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/", ["/*"]),
        ("/*", ["/*"]),
        ("", ["/*"]),
        ("/me", ["/me", "/me/*"]),
        ("/me/", ["/me", "/me/*"]),
        ("/me/*", ["/me", "/me/*"]),
        ("/sms/*/ ", ["/sms", "/sms/*"]),
        ("me", ["me", "me/*"]),
    ],
)
def test_recursive_rules_table(path: str, expected: list[str]) -> None:
    ck = client().new_consumer_key_request()
    ck.add_recursive_rules(["GET"], path)
    assert [r["path"] for r in ck._access_rules] == expected


def test_tv15_oauth2_token_request() -> None:
    c = Client(
        endpoint="ovh-eu",
        client_id="my_client_id",
        client_secret="my_client_secret",
        transport=NoTransport(),
        environ={},
    )

    def responder(req: Request) -> Response:
        if req.url == "https://www.ovh.com/auth/oauth2/token":
            return json_response(
                200, b'{"access_token":"TOK","token_type":"Bearer","expires_in":3599,"scope":"all"}'
            )
        return json_response(200, b'{"firstname":"Ada"}')

    driver = Driver(responder)
    c._run = driver.run
    assert c.get("/me") == {"firstname": "Ada"}
    token_req, call = driver.sent
    assert token_req.method == "POST"
    assert token_req.header("Authorization") == "Basic bXlfY2xpZW50X2lkOm15X2NsaWVudF9zZWNyZXQ="
    assert token_req.header("Content-Type") == "application/x-www-form-urlencoded"
    assert token_req.header("Accept") == "application/json"
    assert token_req.body == b"grant_type=client_credentials&scope=all"
    assert call.url == "https://eu.api.ovh.com/1.0/me"
    assert dict(call.headers) == {"Authorization": "Bearer TOK"}
