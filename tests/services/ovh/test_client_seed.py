"""The python-ovh README's behaviours, against the sandbox over loopback, sync and async."""

from __future__ import annotations

from typing import Any

import pytest

from tether import ovh


def test_welcome_message(signed: Any) -> None:
    me = signed.get("/me")
    assert isinstance(me["firstname"], str) and me["firstname"]


def test_consumer_key_flow(
    make_client: Any, ovh_creds: dict[str, Any], tether_sandbox: Any
) -> None:
    client = make_client(
        endpoint=ovh_creds["base_url"],
        application_key=ovh_creds["application_key"],
        application_secret=ovh_creds["application_secret"],
    )
    ck = client.new_consumer_key_request()
    ck.add_rules(ovh.API_READ_ONLY, "/me")
    validation = ck.request()
    assert validation["state"] == "pendingValidation"
    assert validation["validationUrl"].startswith(tether_sandbox.url + "/ovh/auth/")
    assert client.consumer_key == validation["consumerKey"]
    with pytest.raises(ovh.InvalidCredential):
        client.get("/me")  # not validated yet
    tether_sandbox.validate_consumer_key(validation["consumerKey"])
    assert client.get("/me")["firstname"]
    with pytest.raises(ovh.NotGrantedCall) as e:
        client.get("/me/bill")  # outside the rules asked for
    assert e.value.query_id and e.value.query_id in str(e.value)
    current = client.get("/auth/currentCredential")
    assert current["status"] == "validated"
    assert current["rules"] == [{"method": "GET", "path": "/me"}]


def test_mail_redirection_with_reserved_keyword(signed: Any) -> None:
    domain = "example.com"
    signed.post(
        f"/email/domain/{domain}/redirection",
        _from="sales@example.com",
        to="contact@example.com",
        localCopy=False,
    )
    ids = signed.get(f"/email/domain/{domain}/redirection", _from="sales@example.com")
    assert len(ids) == 1
    red = signed.get(f"/email/domain/{domain}/redirection/{ids[0]}")
    assert red["from"] == "sales@example.com" and red["to"] == "contact@example.com"
    assert signed.delete(f"/email/domain/{domain}/redirection/{ids[0]}") is None or True
    assert signed.get(f"/email/domain/{domain}/redirection", _from="sales@example.com") == []


def test_bill_list(signed: Any) -> None:
    bills = signed.get("/me/bill")
    assert len(bills) >= 2
    for bill in bills:
        details = signed.get(f"/me/bill/{bill}")
        assert details["date"] and details["pdfUrl"]
        assert isinstance(details["priceWithTax"]["text"], str)
        for detail_id in signed.get(f"/me/bill/{bill}/details"):
            assert signed.get(f"/me/bill/{bill}/details/{detail_id}")


def test_dotted_parameters_via_kwargs(signed: Any) -> None:
    everything = signed.get("/me/bill")
    params = {"date.from": "2100-01-01"}
    assert signed.get("/me/bill", **params) == []
    params = {"date.from": "1970-01-01", "date.to": "2100-01-01"}
    assert signed.get("/me/bill", **params) == everything


def test_burst_on_sbg1_servers(signed: Any) -> None:
    enabled = []
    for server in signed.get("/dedicated/server/"):
        details = signed.get(f"/dedicated/server/{server}")
        if details["datacenter"] == "sbg1":
            signed.put(f"/dedicated/server/{server}/burst", status="active")
            enabled.append(server)
    assert enabled
    assert len(enabled) < len(signed.get("/dedicated/server"))  # others untouched
    for server in enabled:
        assert signed.get(f"/dedicated/server/{server}/burst")["status"] == "active"


def test_authorised_applications_table(signed: Any) -> None:
    credentials = signed.get("/me/api/credential", status="validated")
    assert credentials
    for credential_id in credentials:
        path = f"/me/api/credential/{credential_id}"
        credential = signed.get(path)
        application = signed.get(path + "/application")
        assert credential["status"] == "validated"
        assert {"creation", "expiration", "lastUse"} <= set(credential)
        assert {"status", "name", "description"} <= set(application)


def test_kvm_access(signed: Any) -> None:
    server = signed.get("/dedicated/server")[0]
    base = f"/dedicated/server/{server}/features/ipmi/access"
    with pytest.raises(ovh.ResourceNotFoundError):
        signed.get(base + "?type=kvmipJnlp")
    signed.post(base, ipToAllow="192.0.2.10", ttl=15, type="kvmipJnlp")
    assert "jnlp" in signed.get(base + "?type=kvmipJnlp")["value"].lower()


def test_unauthenticated_call_and_time_delta(signed: Any) -> None:
    t = signed.get("/auth/time", _need_auth=False)
    assert isinstance(t, int)
    assert abs(signed.time_delta) < 5


def test_call_and_raw_call(signed: Any) -> None:
    assert signed.call("GET", "/me")["firstname"]
    raw = signed.raw_call("GET", "/me/bill/does-not-exist")
    assert raw.status_code == 404
    assert raw.headers["x-ovh-queryid"]
    assert raw.json()["message"]


def test_v2_cursor_pagination_yields_every_item_once(signed: Any) -> None:
    items = signed.iterate("/v2/iam/resource", page_size=25)
    assert len(items) > 25
    ids = [item["id"] for item in items]
    assert len(ids) == len(set(ids))
    assert items == signed.iterate("/v2/iam/resource", page_size=1000)


def test_tether_sandbox_env_runs_seed_unchanged(make_client: Any, tether_sandbox: Any) -> None:
    client = make_client(environ={"TETHER_SANDBOX": tether_sandbox.url})
    assert client.get("/me")["firstname"]
    assert client.endpoint == tether_sandbox.base_url("ovh")
