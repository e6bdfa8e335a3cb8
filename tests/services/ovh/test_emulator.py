"""The OVH emulator over real loopback HTTP, driven with raw urllib3 and hand-computed
signatures (ovh.md §3.1), never with tether's own OVH client: these tests pin the *server*."""

from __future__ import annotations

import hashlib
import html
import json
import re
import time
from typing import Any
from urllib.parse import urlencode, urljoin

import pytest
import urllib3

from tether.sandbox import Sandbox, SandboxError
from tether.services.ovh.sandbox.state import AccessRules

QUERY_ID = re.compile(r"^EU\.ext-3\.[0-9a-f]{8}\.\d+\.[0-9a-f]{12}$")
FULL_RULES = [{"method": m, "path": "/*"} for m in ("GET", "POST", "PUT", "DELETE")]
SBG_SERVER = "ns6457228.ip-178-33-61.eu"


def signature(secret: str, ck: str, method: str, url: str, body: bytes, ts: int | str) -> str:
    """``$1$`` + SHA1(AS+CK+METHOD+URL+BODY+TS), exactly as ovh.md §3.1 writes it."""
    text = b"+".join(
        [secret.encode(), ck.encode(), method.encode(), url.encode(), body, str(ts).encode()]
    )
    return "$1$" + hashlib.sha1(text).hexdigest()


class Api:
    """Raw calls to the emulator with the sandbox's credentials."""

    def __init__(self, sandbox: Sandbox) -> None:
        self.sandbox = sandbox
        self.creds: dict[str, Any] = sandbox.credentials()["ovh"]
        self.base: str = self.creds["base_url"]
        self.http = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(10))

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        data: bytes | None = None,
        signed: bool = True,
        ck: str | None = None,
        secret: str | None = None,
        ak: str | None = None,
        ts: int | None = None,
        sign_url: str | None = None,
        base: str | None = None,
        headers: dict[str, str] | None = None,
        redirect: bool = False,
    ) -> urllib3.BaseHTTPResponse:
        url = (base or self.base) + path
        if data is None:
            data = b"" if body is None else json.dumps(body, separators=(",", ":")).encode()
        h = {"X-Ovh-Application": ak if ak is not None else self.creds["application_key"]}
        if data:
            h["Content-type"] = "application/json"
        if signed:
            stamp = int(time.time()) if ts is None else ts
            key = ck or self.creds["consumer_key"]
            h["X-Ovh-Consumer"] = key
            h["X-Ovh-Timestamp"] = str(stamp)
            h["X-Ovh-Signature"] = signature(
                secret or self.creds["application_secret"],
                key,
                method,
                sign_url or url,
                data,
                stamp,
            )
        h.update(headers or {})
        return self.http.request(method, url, body=data or None, headers=h, redirect=redirect)

    def json(self, method: str, path: str, **kwargs: Any) -> Any:
        r = self.request(method, path, **kwargs)
        assert r.status == 200, (r.status, r.data)
        assert QUERY_ID.match(r.headers["X-Ovh-Queryid"])
        return json.loads(r.data)

    def new_ck(self, rules: list[dict[str, str]], *, validate: bool = True, **extra: Any) -> str:
        body = {"accessRules": rules, "redirection": None, "allowedIPs": None, **extra}
        created = self.json("POST", "/auth/credential", body=body, signed=False)
        if validate:
            self.sandbox.validate_consumer_key(created["consumerKey"])
        ck: str = created["consumerKey"]
        return ck


def assert_error(
    r: urllib3.BaseHTTPResponse, status: int, code: str | None = None, message: str | None = None
) -> dict[str, Any]:
    assert r.status == status, (r.status, r.data)
    assert QUERY_ID.match(r.headers["X-Ovh-Queryid"]), r.headers
    assert r.headers["Content-Type"].startswith("application/json")
    body = json.loads(r.data)
    assert isinstance(body, dict)
    if code is not None:
        assert body["errorCode"] == code
        assert body["httpCode"] == {400: "400 Bad Request", 403: "403 Forbidden"}[status]
    if message is not None:
        assert body["message"] == message
    return body


@pytest.fixture
def api(tether_sandbox: Sandbox) -> Api:
    return Api(tether_sandbox)


# --------------------------------------------------------------------------------------------
# the test's own signing helper against the official vectors (so the server is checked
# against a known-good formula)


def test_signature_helper_matches_official_vectors() -> None:
    ak_secret, ck = "EXEgWIz07P0HYwtQDs7cNIqCiQaWSuHF", "MtSwSrPpNjqfVSmJhLbPyr2i45lSwPU1"
    assert (
        signature(ak_secret, ck, "GET", "https://eu.api.ovh.com/1.0/domain/", b"", 1366560945)
        == "$1$6a77f43f2871db97a029f1d1d81c4dcd3c6f7265"
    )
    body = b'{"from":"sales@example.com","to":"contact@example.com","localCopy":false}'
    url = "https://eu.api.ovh.com/1.0/email/domain/example.com/redirection"
    assert (
        signature(ak_secret, ck, "POST", url, body, 1457018875)
        == "$1$8b0977475dcf53ca302ba8bccd06c5ee191fed21"
    )


# --------------------------------------------------------------------------------------------
# unauthenticated routes


def test_auth_time_is_a_bare_integer_near_now(api: Api) -> None:
    r = api.request("GET", "/auth/time", signed=False)
    assert r.status == 200
    assert re.fullmatch(rb"\d+", r.data)
    assert abs(int(r.data) - time.time()) < 5
    assert QUERY_ID.match(r.headers["X-Ovh-Queryid"])


def test_auth_time_follows_injected_skew(api: Api) -> None:
    api.sandbox.set_time_skew(1000)
    server = api.json("GET", "/auth/time", signed=False)
    assert 990 < server - time.time() < 1010


def test_v1_alias_serves_the_same_api(api: Api) -> None:
    v1 = api.base.replace("/1.0", "/v1")
    me = api.json("GET", "/me", base=v1)
    assert me["nichandle"] == api.json("GET", "/me")["nichandle"]


def test_credential_request_returns_pending_key(api: Api) -> None:
    body = (
        b'{"accessRules":[{"method":"GET","path":"/*"},{"method":"POST","path":"/*"},'
        b'{"method":"PUT","path":"/*"},{"method":"DELETE","path":"/*"}],'
        b'"redirection":null,"allowedIPs":null}'
    )
    created = api.json("POST", "/auth/credential", data=body, signed=False)
    assert list(created) == ["validationUrl", "consumerKey", "state"]
    assert created["state"] == "pendingValidation"
    assert re.fullmatch(r"[A-Za-z0-9]{32}", created["consumerKey"])
    prefix = api.sandbox.url + "/ovh/auth/?credentialToken="
    assert created["validationUrl"].startswith(prefix)
    assert re.fullmatch(r"[A-Za-z0-9]{64}", created["validationUrl"][len(prefix) :])
    # pending: known but not usable yet
    r = api.request("GET", "/me", ck=created["consumerKey"])
    assert_error(r, 403, "INVALID_CREDENTIAL", "This credential is not valid")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"accessRules": [{"method": "PATCH", "path": "/*"}]}, "http.MethodEnum"),
        ({"accessRules": [{"method": "GET", "path": 3}]}, "[path] Given data (3) is not a string"),
        ({"accessRules": [{"method": "GET"}]}, "isn't formated correctly"),
        ({"accessRules": "GET /*"}, "isn't formated correctly"),
        ({"redirection": None}, "Missing parameter(s): accessRules"),
        ({"accessRules": FULL_RULES, "redirection": "javascript:alert(1)"}, "not a valid URL"),
        ({"accessRules": FULL_RULES, "allowedIPs": ["300.1.1.1/8"]}, "not a valid ipBlock"),
        ({"accessRules": FULL_RULES, "scope": "all"}, "Received not described parameters: (scope)"),
    ],
)
def test_credential_request_validation(api: Api, body: dict[str, Any], message: str) -> None:
    r = api.request("POST", "/auth/credential", body=body, signed=False)
    assert message in assert_error(r, 400)["message"]


def test_credential_request_needs_known_application(api: Api) -> None:
    body = {"accessRules": FULL_RULES}
    r = api.request("POST", "/auth/credential", body=body, signed=False, ak="AAAAAAAAAAAAAAAA")
    assert_error(r, 403, "INVALID_KEY", "This application key is invalid")


# --------------------------------------------------------------------------------------------
# signature verification and the auth-layer errors


def test_signed_get_me(api: Api) -> None:
    me = api.json("GET", "/me")
    assert me["firstname"] == "Ada"
    assert me["nichandle"] == api.creds["account"]["login"]
    assert {"name", "email", "country", "currency"} <= set(me)


def test_missing_auth_headers_is_401(api: Api) -> None:
    r = api.request("GET", "/me", signed=False)
    assert r.status == 401
    assert json.loads(r.data) == {"message": "You must login first"}
    assert QUERY_ID.match(r.headers["X-Ovh-Queryid"])


def test_unknown_application_key(api: Api) -> None:
    assert_error(api.request("GET", "/me", ak="AAAAAAAAAAAAAAAA"), 403, "INVALID_KEY")


def test_unknown_consumer_key(api: Api) -> None:
    r = api.request("GET", "/me", ck="C" * 32)
    assert_error(r, 403, "NOT_CREDENTIAL", "This credential does not exist")


def test_consumer_key_of_another_application(api: Api) -> None:
    # The seeded home-automation credential belongs to another application.
    other = "wV92BEA4AGgeCb9lF5mMpDcMe7v5Kcxa"
    assert_error(api.request("GET", "/me", ck=other), 403, "NOT_CREDENTIAL")


def test_wrong_secret_is_invalid_signature(api: Api) -> None:
    r = api.request("GET", "/me", secret="W" * 32)
    assert_error(r, 400, "INVALID_SIGNATURE", "Invalid signature")


def test_signature_covers_scheme_and_host(api: Api) -> None:
    r = api.request("GET", "/me", sign_url="https://eu.api.ovh.com/1.0/me")
    assert_error(r, 400, "INVALID_SIGNATURE")


def test_signature_covers_body(api: Api) -> None:
    path = "/email/domain/example.com/redirection"
    url = api.base + path
    stamp = int(time.time())
    sent = b'{"from":"a@example.com","to":"b@example.com","localCopy":false}'
    signed = b'{"from":"a@example.com","to":"b@example.com","localCopy":true}'
    headers = {
        "X-Ovh-Consumer": api.creds["consumer_key"],
        "X-Ovh-Timestamp": str(stamp),
        "X-Ovh-Signature": signature(
            api.creds["application_secret"], api.creds["consumer_key"], "POST", url, signed, stamp
        ),
    }
    r = api.request("POST", path, data=sent, signed=False, headers=headers)
    assert_error(r, 400, "INVALID_SIGNATURE")


def test_signature_is_over_the_raw_query(api: Api) -> None:
    # python-ovh encodes '@' as %40 and signs the encoded form (TV5); the server must not decode.
    path = "/email/domain/example.com/redirection?from=info%40example.com"
    assert api.json("GET", path) == ["7100001"]
    decoded_url = api.base + "/email/domain/example.com/redirection?from=info@example.com"
    assert_error(api.request("GET", path, sign_url=decoded_url), 400, "INVALID_SIGNATURE")


def test_boolean_query_params_are_ignored_filters(api: Api) -> None:
    assert len(api.json("GET", "/dedicated/server?visible=true&active=false")) == 6


def test_stale_timestamp_is_query_time_out(api: Api) -> None:
    r = api.request("GET", "/me", ts=int(time.time()) - 3600)
    assert_error(r, 400, "QUERY_TIME_OUT", "Query out of time")


def test_skewed_server_clock_needs_the_delta(api: Api) -> None:
    api.sandbox.set_time_skew(3600)
    assert_error(api.request("GET", "/me"), 400, "QUERY_TIME_OUT")
    server_time = api.json("GET", "/auth/time", signed=False)
    assert api.json("GET", "/me", ts=server_time)["firstname"] == "Ada"


def test_readonly_key_is_limited_to_its_rules(api: Api) -> None:
    ro = api.creds["consumer_key_readonly"]
    assert api.json("GET", "/me", ck=ro)["firstname"] == "Ada"
    r = api.request("GET", "/me/bill", ck=ro)
    assert_error(r, 403, "NOT_GRANTED_CALL", "This call has not been granted")
    # reachable whatever the rules
    current = api.json("GET", "/auth/currentCredential", ck=ro)
    assert current["rules"] == [{"method": "GET", "path": "/me"}]
    assert current["status"] == "validated"


def test_current_credential_shape(api: Api) -> None:
    cred = api.json("GET", "/auth/currentCredential")
    assert set(cred) == {
        "credentialId",
        "applicationId",
        "status",
        "creation",
        "expiration",
        "lastUse",
        "ovhSupport",
        "rules",
        "allowedIPs",
    }
    assert cred["rules"] == FULL_RULES
    assert cred["lastUse"] is not None


def test_logout_expires_the_key(api: Api) -> None:
    ck = api.new_ck([{"method": "GET", "path": "/me"}])
    assert api.json("GET", "/me", ck=ck)
    assert api.json("POST", "/auth/logout", ck=ck) is None
    assert_error(api.request("GET", "/me", ck=ck), 403, "INVALID_CREDENTIAL")


def test_validity_runs_out(api: Api) -> None:
    created = api.json("POST", "/auth/credential", body={"accessRules": FULL_RULES}, signed=False)
    api.sandbox.validate_consumer_key(created["consumerKey"], expires_in=60)
    assert api.json("GET", "/me", ck=created["consumerKey"])
    api.sandbox.set_time_skew(120)
    server_time = api.json("GET", "/auth/time", signed=False)
    r = api.request("GET", "/me", ck=created["consumerKey"], ts=server_time)
    assert_error(r, 403, "INVALID_CREDENTIAL")


def test_allowed_ips_restrict_the_key(api: Api) -> None:
    outside = api.new_ck(FULL_RULES, allowedIPs=["192.0.2.0/24"])
    assert_error(api.request("GET", "/me", ck=outside), 403, "FORBIDDEN")
    inside = api.new_ck(FULL_RULES, allowedIPs=["127.0.0.0/8", "::1/128"])
    assert api.json("GET", "/me", ck=inside)["firstname"] == "Ada"


def test_control_validate_unknown_key_is_404(api: Api) -> None:
    with pytest.raises(SandboxError, match="404"):
        api.sandbox.validate_consumer_key("Z" * 32)


def test_control_deny_refuses_the_key(api: Api) -> None:
    ck = api.new_ck(FULL_RULES, validate=False)
    assert api.sandbox.validate_consumer_key(ck, deny=True)["status"] == "refused"
    assert_error(api.request("GET", "/me", ck=ck), 403, "INVALID_CREDENTIAL")


# --------------------------------------------------------------------------------------------
# access rules


RULE_CASES = [
    ([("GET", "/sms/*")], "GET", "/sms", False),
    ([("GET", "/sms/*")], "GET", "/sms/sms-la42-1", True),
    ([("GET", "/sms"), ("GET", "/sms/*")], "GET", "/sms", True),
    (
        [("DELETE", "/domain/zone/*/record/*")],
        "DELETE",
        "/domain/zone/example.com/record/8100001",
        True,
    ),
    (
        [("DELETE", "/domain/zone/*/record/*")],
        "GET",
        "/domain/zone/example.com/record/8100001",
        False,
    ),
    ([("GET", "/domain/zone/example.com/*")], "GET", "/domain/zone/example.com/record", True),
    ([("GET", "/domain/zone/example.com/*")], "GET", "/domain/zone", False),
    ([("GET", "/domain/zone/example.org/*")], "GET", "/domain/zone/example.com/record", False),
    ([("GET", "/me")], "GET", "/me/bill", False),
    ([("GET", "/me/bill")], "GET", "/me/bill?date.from=2024-01-01", True),
    ([("GET", "me")], "GET", "/me", False),
    ([("GET", "/*")], "DELETE", "/domain/zone/example.com/record/8100001", False),
    ([("GET", "/dedicated/server/*/burst")], "GET", f"/dedicated/server/{SBG_SERVER}/burst", True),
]


@pytest.mark.parametrize(("rules", "method", "path", "allowed"), RULE_CASES)
def test_access_rules_over_http(
    api: Api, rules: list[tuple[str, str]], method: str, path: str, allowed: bool
) -> None:
    ck = api.new_ck([{"method": m, "path": p} for m, p in rules])
    r = api.request(method, path, ck=ck)
    if allowed:
        assert r.status == 200, r.data
    else:
        assert_error(r, 403, "NOT_GRANTED_CALL")


@pytest.mark.parametrize(("rules", "method", "path", "allowed"), RULE_CASES)
def test_access_rules_table(
    rules: list[tuple[str, str]], method: str, path: str, allowed: bool
) -> None:
    compiled = AccessRules([{"method": m, "path": p} for m, p in rules])
    assert compiled.allows(method, path.split("?")[0]) is allowed


def test_rule_star_is_literal_elsewhere() -> None:
    rules = AccessRules([{"method": "GET", "path": "/domain/zone/a.b/*"}])
    assert rules.allows("GET", "/domain/zone/a.b/record")
    assert not rules.allows("GET", "/domain/zone/aXb/record")  # the dot is not a wildcard
    assert not rules.allows("POST", "/domain/zone/a.b/record")


# --------------------------------------------------------------------------------------------
# generic API errors


def test_unknown_route(api: Api) -> None:
    body = assert_error(api.request("GET", "/no/such/route"), 404)
    assert body == {"class": "Client::NotFound", "message": "Got an invalid (or empty) URL"}


def test_unknown_route_outside_the_api_branches(api: Api) -> None:
    r = api.http.request("GET", api.sandbox.url + "/ovh/nothing/here")
    assert_error(r, 404)
    assert len(r.headers.getlist("X-Ovh-Queryid")) == 1


def test_body_on_a_bodyless_route(api: Api) -> None:
    r = api.request("POST", "/auth/logout", body={})
    assert_error(r, 400, message="You provided an input body while none was expected")


def test_invalid_json(api: Api) -> None:
    r = api.request("POST", "/email/domain/example.com/redirection", data=b'{"from": ')
    assert_error(r, 400, message="Invalid JSON received")


def test_undescribed_parameters(api: Api) -> None:
    body = {"from": "a@example.com", "to": "b@example.com", "localCopy": False, "x": 1, "y": 2}
    r = api.request("POST", "/email/domain/example.com/redirection", body=body)
    assert_error(
        r, 400, message="Received not described parameters: (x, y) while calling redirection"
    )


def test_wrong_types_and_missing_parameters(api: Api) -> None:
    path = "/email/domain/example.com/redirection"
    r = api.request("POST", path, body={"from": "a@example.com", "to": "b@example.com"})
    assert "localCopy" in assert_error(r, 400)["message"]
    body = {"from": "a@example.com", "to": "b@example.com", "localCopy": "no"}
    r = api.request("POST", path, body=body)
    assert assert_error(r, 400)["message"] == "[localCopy] Given data (no) is not a boolean"


def test_unknown_object(api: Api) -> None:
    body = assert_error(api.request("GET", "/me/bill/FR0000"), 404)
    assert body["message"] == "The requested object (billId = FR0000) does not exist"


def test_void_answers_are_never_empty_200(api: Api) -> None:
    r = api.request("PUT", f"/dedicated/server/{SBG_SERVER}/burst", body={"status": "active"})
    assert (r.status, r.data) == (200, b"null")
    r = api.request("POST", "/domain/zone/example.com/refresh")
    assert (r.status, r.data) == (204, b"")
    assert QUERY_ID.match(r.headers["X-Ovh-Queryid"])


def test_body_with_charset_content_type(api: Api) -> None:
    body = {"status": "active"}
    r = api.request(
        "PUT",
        f"/dedicated/server/{SBG_SERVER}/burst",
        body=body,
        headers={"Content-Type": "application/json;charset=utf-8"},
    )
    assert r.status == 200


def test_query_ids_are_unique(api: Api) -> None:
    ids = {
        api.request("GET", "/auth/time", signed=False).headers["X-Ovh-Queryid"] for _ in range(5)
    }
    assert len(ids) == 5


# --------------------------------------------------------------------------------------------
# the python-ovh README examples


def test_readme_bill_list(api: Api) -> None:
    bills = api.json("GET", "/me/bill")
    assert len(bills) == 8
    for bill_id in bills:
        details = api.json("GET", f"/me/bill/{bill_id}")
        assert details["billId"] == bill_id
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d", details["date"])
        price = details["priceWithTax"]
        assert price["text"] == f"{price['value']:.2f} €"
        assert price["currencyCode"] == "EUR"
        assert details["pdfUrl"].startswith(api.sandbox.url + "/ovh/cgi-bin/order/facture.pdf?")
    pdf = api.http.request("GET", details["pdfUrl"])
    assert pdf.status == 200 and pdf.data.startswith(b"%PDF-1.4")
    assert pdf.headers["Content-Type"] == "application/pdf"


def test_bill_date_filters(api: Api) -> None:
    assert api.json("GET", "/me/bill?date.from=2024-01-01") == [
        "FR38004411",
        "FR38620097",
        "FR39117302",
    ]
    # TV3-style encoded offset, both bounds
    qs = urlencode({"date.from": "2023-07-01T00:00:00+01:00", "date.to": "2023-09-01"})
    assert api.json("GET", f"/me/bill?{qs}") == ["FR35981274", "FR36502245"]
    r = api.request("GET", "/me/bill?date.from=yesterday")
    assert "date.from" in assert_error(r, 400)["message"]


def test_bill_details(api: Api) -> None:
    ids = api.json("GET", "/me/bill/FR38004411/details")
    assert len(ids) == 3
    line = api.json("GET", f"/me/bill/FR38004411/details/{ids[0]}")
    assert line["billDetailId"] == ids[0]
    assert line["totalPrice"]["value"] == 49.99
    assert_error(api.request("GET", "/me/bill/FR38004411/details/nope"), 404)


def test_readme_mail_redirection(api: Api) -> None:
    path = "/email/domain/example.com/redirection"
    body = b'{"from":"sales@example.com","to":"contact@example.com","localCopy":false}'
    task = api.json("POST", path, data=body)
    assert task["action"] == "add"
    assert task["domain"] == "example.com"
    ids = api.json("GET", path + "?from=sales%40example.com")
    assert len(ids) == 1
    redirection = api.json("GET", f"{path}/{ids[0]}")
    assert redirection == {"id": ids[0], "from": "sales@example.com", "to": "contact@example.com"}
    assert api.json("GET", path + "?to=contact%40example.com") == ids
    # same redirection again: conflict
    assert_error(api.request("POST", path, data=body), 409)
    assert api.json("DELETE", f"{path}/{ids[0]}")["action"] == "delete"
    assert api.json("GET", path + "?from=sales%40example.com") == []
    assert_error(api.request("GET", "/email/domain/unknown.test/redirection"), 404)


def test_readme_burst_in_sbg1(api: Api) -> None:
    servers = api.json("GET", "/dedicated/server/")
    assert servers == api.json("GET", "/dedicated/server")
    datacenters = {
        name: api.json("GET", f"/dedicated/server/{name}")["datacenter"] for name in servers
    }
    in_sbg = [n for n, dc in datacenters.items() if dc == "sbg1"]
    assert len(in_sbg) == 3 and SBG_SERVER in in_sbg
    assert set(datacenters.values()) - {"sbg1"}  # others elsewhere
    for name in in_sbg:
        assert api.json("PUT", f"/dedicated/server/{name}/burst", body={"status": "active"}) is None
    for name, dc in datacenters.items():
        status = api.json("GET", f"/dedicated/server/{name}/burst")["status"]
        assert (status == "active") == (dc == "sbg1" or name == "ns7001234.ip-92-222-5.eu")
    r = api.request("PUT", f"/dedicated/server/{SBG_SERVER}/burst", body={"status": "on"})
    message = assert_error(r, 400)["message"]
    assert message == (
        "[status] Given data (on) does not belong to the dedicated.server.BurstStatusEnum "
        "enumeration"
    )


def test_readme_credential_table(api: Api) -> None:
    ids = api.json("GET", "/me/api/credential?status=validated")
    assert ids == [2000001, 2000002, 2000003]
    for credential_id in ids:
        credential = api.json("GET", f"/me/api/credential/{credential_id}")
        application = api.json("GET", f"/me/api/credential/{credential_id}/application")
        assert {"creation", "expiration", "lastUse"} <= set(credential)
        assert application["status"] in ("active", "blocked", "inactive", "trusted")
        assert application["name"] and application["description"]
    assert api.json("GET", "/me/api/credential?status=expired") == [2000004]
    assert api.json("GET", "/me/api/credential?applicationId=1100001") == [
        2000001,
        2000002,
        2000006,
    ]
    assert_error(api.request("GET", "/me/api/credential?status=sleeping"), 400)


def test_revoking_a_credential(api: Api) -> None:
    ck = api.new_ck(FULL_RULES)
    credential_id = api.json("GET", "/auth/currentCredential", ck=ck)["credentialId"]
    assert api.json("DELETE", f"/me/api/credential/{credential_id}") is None
    assert_error(api.request("GET", "/me", ck=ck), 403, "NOT_CREDENTIAL")
    assert_error(api.request("GET", f"/me/api/credential/{credential_id}"), 404)


def test_readme_ipmi_kvm(api: Api) -> None:
    access = f"/dedicated/server/{SBG_SERVER}/features/ipmi/access"
    assert_error(api.request("GET", access + "?type=kvmipJnlp"), 404)
    task = api.json(
        "POST", access, body={"ipToAllow": "192.0.2.10", "ttl": 15, "type": "kvmipJnlp"}
    )
    assert task["taskId"] and task["function"]
    got = api.json("GET", f"/dedicated/server/{SBG_SERVER}/task/{task['taskId']}")
    assert got["status"] == "done"
    kvm = api.json("GET", access + "?type=kvmipJnlp")
    assert kvm["value"].startswith("<?xml") and "<jnlp" in kvm["value"]
    assert "192.0.2.10" in kvm["value"]
    assert kvm["expiration"]
    # other types are separate
    assert_error(api.request("GET", access + "?type=kvmipHtml5URL"), 404)
    bad = {"ipToAllow": "192.0.2.10", "ttl": 7, "type": "kvmipJnlp"}
    assert "CacheTTLEnum" in assert_error(api.request("POST", access, body=bad), 400)["message"]


def test_dns_records_crud(api: Api) -> None:
    base = "/domain/zone/example.com/record"
    created = api.json("POST", base, body={"fieldType": "TXT", "subDomain": "t", "target": "x"})
    assert created["id"] in api.json("GET", base + "?fieldType=TXT")
    assert api.json("PUT", f"{base}/{created['id']}", body={"target": "y"}) is None
    assert api.json("GET", f"{base}/{created['id']}")["target"] == "y"
    assert api.json("DELETE", f"{base}/{created['id']}") is None
    assert_error(api.request("GET", f"{base}/{created['id']}"), 404)


def test_put_me_only_accepts_writable_fields(api: Api) -> None:
    assert api.json("PUT", "/me", body={"firstname": "Zoë"}) is None
    assert api.json("GET", "/me")["firstname"] == "Zoë"
    r = api.request("PUT", "/me", body={"firstname": "A", "nichandle": "x"})
    assert_error(r, 400, message="Received not described parameters: (nichandle) while calling me")


# --------------------------------------------------------------------------------------------
# the validation page


def _page_form(api: Api, validation_url: str) -> tuple[str, str]:
    r = api.http.request("GET", validation_url)
    assert r.status == 200
    assert r.headers["Content-Type"].startswith("text/html")
    page = r.data.decode()
    action = re.search(r'<form method="post" action="([^"]+)"', page)
    assert action is not None
    return page, urljoin(validation_url, html.unescape(action.group(1)))


def _post_form(api: Api, url: str, fields: dict[str, str]) -> urllib3.BaseHTTPResponse:
    return api.http.request(
        "POST",
        url,
        body=urlencode(fields).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded"},
        redirect=False,
    )


def test_validation_page_approve_with_login_and_redirect(api: Api) -> None:
    rules = [{"method": "GET", "path": "/me"}, {"method": "GET", "path": "/me/<script>x</script>"}]
    body = {"accessRules": rules, "redirection": "https://example.org/cb?a=1&b=2"}
    created = api.json("POST", "/auth/credential", body=body, signed=False)
    page, action = _page_form(api, created["validationUrl"])
    assert "<script>x" not in page and "&lt;script&gt;x&lt;/script&gt;" in page
    assert 'name="login"' in page and 'name="password"' in page
    assert "https://example.org/cb?a=1&amp;b=2" in page
    account = api.creds["account"]

    wrong = _post_form(
        api, action, {"login": account["login"], "password": "bad", "action": "approve"}
    )
    assert wrong.status == 200
    assert "Invalid account ID or password." in wrong.data.decode()
    assert_error(api.request("GET", "/me", ck=created["consumerKey"]), 403, "INVALID_CREDENTIAL")

    ok = _post_form(
        api,
        action,
        {"login": account["login"], "password": account["password"], "action": "approve"},
    )
    assert ok.status == 303
    assert ok.headers["Location"] == "https://example.org/cb?a=1&b=2"
    assert api.json("GET", "/me", ck=created["consumerKey"])["firstname"] == "Ada"
    # a second submission cannot flip it
    again = _post_form(api, action, {"action": "deny"})
    assert again.status == 409
    assert (
        api.json("GET", "/auth/currentCredential", ck=created["consumerKey"])["status"]
        == "validated"
    )


def test_validation_page_without_redirection_and_with_validity(api: Api) -> None:
    created = api.json("POST", "/auth/credential", body={"accessRules": FULL_RULES}, signed=False)
    _page, action = _page_form(api, created["validationUrl"])
    account = api.creds["account"]
    fields = {
        "login": api.sandbox.credentials()["ovh"]["account"]["login"].upper(),
        "password": account["password"],
        "validity": "3600",
        "action": "approve",
    }
    r = _post_form(api, action, fields)
    assert r.status == 200
    assert "You can close this page" in r.data.decode()
    cred = api.json("GET", "/auth/currentCredential", ck=created["consumerKey"])
    assert cred["expiration"] is not None


def test_validation_page_deny(api: Api) -> None:
    created = api.json("POST", "/auth/credential", body={"accessRules": FULL_RULES}, signed=False)
    _page, action = _page_form(api, created["validationUrl"])
    r = _post_form(api, action, {"action": "deny"})
    assert r.status == 200 and "refused" in r.data.decode()
    assert_error(api.request("GET", "/me", ck=created["consumerKey"]), 403, "INVALID_CREDENTIAL")


def test_validation_page_unknown_token(api: Api) -> None:
    r = api.http.request("GET", api.sandbox.url + "/ovh/auth/?credentialToken=nope")
    assert r.status == 404 and r.headers["Content-Type"].startswith("text/html")
    assert QUERY_ID.match(r.headers["X-Ovh-Queryid"])


# --------------------------------------------------------------------------------------------
# v2 and cursor pagination


def _v2(api: Api, path: str, headers: dict[str, str] | None = None) -> urllib3.BaseHTTPResponse:
    return api.request("GET", path, base=api.creds["base_url_v2"], headers=headers)


def test_v2_cursor_walk_yields_every_item_once(api: Api) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        headers = {"X-Pagination-Size": "25"}
        if cursor:
            headers["X-Pagination-Cursor"] = cursor
        r = _v2(api, "/iam/resource", headers)
        assert r.status == 200, r.data
        page = json.loads(r.data)
        assert len(page) <= 25
        seen += [item["id"] for item in page]
        pages += 1
        cursor = r.headers.get("X-Pagination-Cursor-Next")
        if cursor is None:
            break
        assert pages < 50, "pagination does not end"
    assert pages == 5
    assert len(seen) == len(set(seen)) == 120


def test_v2_default_page_and_bad_cursor(api: Api) -> None:
    r = _v2(api, "/iam/resource")
    assert len(json.loads(r.data)) == 100
    assert r.headers.get("X-Pagination-Cursor-Next")
    assert_error(_v2(api, "/iam/resource", {"X-Pagination-Cursor": "!!!"}), 400)
    assert_error(_v2(api, "/iam/resource", {"X-Pagination-Size": "0"}), 400)
    servers = json.loads(_v2(api, "/iam/resource?resourceType=dedicatedServer").data)
    assert len(servers) == 6
    one = json.loads(_v2(api, f"/iam/resource/{servers[0]['id']}").data)
    assert one == servers[0]


# --------------------------------------------------------------------------------------------
# OAuth2


def _token(api: Api, **kwargs: Any) -> urllib3.BaseHTTPResponse:
    return api.http.request("POST", api.creds["token_url"], **kwargs)


def test_oauth2_client_credentials_and_bearer_call(api: Api) -> None:
    basic = urllib3.make_headers(
        basic_auth=f"{api.creds['client_id']}:{api.creds['client_secret']}"
    )
    r = _token(
        api,
        body=b"grant_type=client_credentials&scope=all",
        headers={
            **basic,
            "Content-Type": "application/x-www-form-urlencoded",
            "Accept": "application/json",
        },
    )
    assert r.status == 200, r.data
    token = json.loads(r.data)
    assert token["token_type"] == "Bearer" and token["scope"] == "all"
    assert token["expires_in"] == 3599
    me = api.request(
        "GET",
        "/me",
        signed=False,
        ak="",
        headers={"Authorization": f"Bearer {token['access_token']}"},
    )
    assert me.status == 200 and json.loads(me.data)["firstname"] == "Ada"
    # form-style credentials too
    form = urlencode(
        {
            "grant_type": "client_credentials",
            "client_id": api.creds["client_id"],
            "client_secret": api.creds["client_secret"],
        }
    )
    r = _token(
        api, body=form.encode(), headers={"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert r.status == 200
    assert api.sandbox.stats()["token_grants"] == 2


def test_oauth2_errors(api: Api) -> None:
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    bad = urllib3.make_headers(basic_auth=f"{api.creds['client_id']}:nope-nope-nope")
    r = _token(api, body=b"grant_type=client_credentials", headers={**bad, **form})
    assert r.status == 401
    assert json.loads(r.data)["error"] == "invalid_client"
    assert QUERY_ID.match(r.headers["X-Ovh-Queryid"])
    good = urllib3.make_headers(basic_auth=f"{api.creds['client_id']}:{api.creds['client_secret']}")
    r = _token(api, body=b"grant_type=password", headers={**good, **form})
    assert (r.status, json.loads(r.data)["error"]) == (400, "unsupported_grant_type")
    assert api.sandbox.stats()["token_grants"] == 0
    r = api.request("GET", "/me", signed=False, headers={"Authorization": "Bearer nope"})
    assert r.status == 401 and json.loads(r.data)["class"] == "Client::Unauthorized"


def test_oauth2_token_expiry_and_configurable_lifetime(api: Api) -> None:
    api.sandbox.set_oauth2(expires_in=60)
    good = urllib3.make_headers(basic_auth=f"{api.creds['client_id']}:{api.creds['client_secret']}")
    r = _token(
        api,
        body=b"grant_type=client_credentials&scope=all",
        headers={**good, "Content-Type": "application/x-www-form-urlencoded"},
    )
    token = json.loads(r.data)
    assert token["expires_in"] == 60
    bearer = {"Authorization": f"Bearer {token['access_token']}"}
    assert api.request("GET", "/me", signed=False, headers=bearer).status == 200
    # bearer tokens are not consumer keys
    assert api.request("GET", "/auth/currentCredential", signed=False, headers=bearer).status == 403
    api.sandbox.set_time_skew(120)
    assert api.request("GET", "/me", signed=False, headers=bearer).status == 401


# --------------------------------------------------------------------------------------------
# control API: reset, stats


def _snapshot(api: Api) -> Any:
    return [
        api.json("GET", "/me"),
        api.json("GET", "/me/bill"),
        api.json("GET", "/email/domain/example.com/redirection"),
        [
            api.json("GET", f"/dedicated/server/{n}/burst")
            for n in api.json("GET", "/dedicated/server")
        ],
        api.json("GET", "/me/api/credential"),
        api.json("GET", "/domain/zone/example.com/record"),
    ]


def test_reset_restores_the_seeded_state(api: Api) -> None:
    before = _snapshot(api)
    first_ck = api.new_ck(FULL_RULES, validate=False)
    api.json("PUT", "/me", body={"firstname": "Grace"})
    api.json(
        "POST",
        "/email/domain/example.com/redirection",
        body={"from": "x@example.com", "to": "y@example.com", "localCopy": True},
    )
    api.json("PUT", f"/dedicated/server/{SBG_SERVER}/burst", body={"status": "active"})
    api.json("DELETE", "/domain/zone/example.com/record/8100001")
    assert _snapshot(api) != before
    api.sandbox.reset()
    assert _snapshot(api) == before
    # generated keys restart from the same seed too
    assert api.new_ck(FULL_RULES, validate=False) == first_ck


def test_stats_count_requests_per_path(api: Api) -> None:
    for _ in range(3):
        api.json("GET", "/me")
    api.request("GET", "/auth/time", signed=False)
    stats = api.sandbox.stats()
    assert stats["requests"]["/ovh/1.0/me"] == 3
    assert stats["calls"]["GET /ovh/1.0/auth/time"] == 1
    assert stats["token_grants"] == 0
