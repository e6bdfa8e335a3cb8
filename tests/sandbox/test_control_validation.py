"""Every control route checks every field: what a client sends is a 4xx naming the field and
what it accepts, never a 500, and a refused body changes nothing (the sandbox keeps answering
on that path, and an API call afterwards works)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import urllib3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tether.sandbox import Sandbox

DEEP = b"[" * 100_000 + b"]" * 100_000

#: Every control route that takes a body, with the names it reads (fed to Hypothesis so that
#: well-named fields with bad values are tried, not only random names).
ROUTES: dict[str, tuple[str, ...]] = {
    "/_sandbox/faults": (
        "service",
        "path_prefix",
        "latency_ms",
        "status",
        "drop",
        "count",
        "rate_limit",
    ),
    "/_sandbox/reset": (),
    "/_sandbox/ovh/credentials/{ck}/validate": ("deny", "expires_in"),
    "/_sandbox/ovh/time": ("skew",),
    "/_sandbox/ovh/oauth2": ("expires_in",),
    "/_sandbox/flickr/approve": ("frob", "oauth_token", "perms", "deny"),
    "/_sandbox/flickr/revoke": ("token",),
    "/_sandbox/flickr/quota": ("per_hour",),
    "/_sandbox/flickr/transient": ("code", "count"),
    "/_sandbox/flickr/service": ("available",),
    "/_sandbox/flickr/time": ("skew",),
    "/_sandbox/flickr/tickets": ("polls", "fail_next"),
    "/_sandbox/flickr/app": ("api_key", "callback_url"),
}
GET_ROUTES = (
    "/_sandbox/credentials",
    "/_sandbox/faults",
    "/_sandbox/ovh/time",
    "/_sandbox/ovh/oauth2",
    "/_sandbox/ovh/stats",
    "/_sandbox/flickr/quota",
    "/_sandbox/flickr/service",
    "/_sandbox/flickr/time",
    "/_sandbox/flickr/tickets",
    "/_sandbox/flickr/app",
    "/_sandbox/flickr/stats",
)

_POOL = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(10))


def send(sb: Sandbox, method: str, path: str, raw: bytes = b"") -> tuple[int, Any]:
    r = _POOL.request(
        method, sb.url + path, body=raw or None, headers={"Content-Type": "application/json"}
    )
    try:
        data = json.loads(r.data)
    except ValueError:
        data = r.data[:200]
    return r.status, data


def pending_consumer_key(sb: Sandbox) -> str:
    ovh = sb.credentials()["ovh"]
    r = _POOL.request(
        "POST",
        ovh["base_url"] + "/auth/credential",
        body=json.dumps({"accessRules": [{"method": "GET", "path": "/*"}]}).encode(),
        headers={"X-Ovh-Application": ovh["application_key"], "Content-Type": "application/json"},
    )
    assert r.status == 200, r.data
    ck: str = json.loads(r.data)["consumerKey"]
    return ck


def api_calls_work(sb: Sandbox) -> None:
    """Unsigned API calls of both emulators answer as they should."""
    creds = sb.credentials()
    r = _POOL.request("GET", creds["ovh"]["base_url"] + "/auth/time")
    assert r.status == 200 and isinstance(json.loads(r.data), int), r.data[:200]
    r = _POOL.request(
        "GET",
        creds["flickr"]["rest_url"],
        fields={
            "method": "flickr.test.echo",
            "api_key": creds["flickr"]["api_key"],
            "format": "json",
            "nojsoncallback": "1",
            "x": "1",
        },
    )
    assert r.status == 200 and json.loads(r.data)["stat"] == "ok", r.data[:200]


@pytest.mark.parametrize("route", sorted(ROUTES))
def test_deep_body_is_400_on_every_control_route(tether_sandbox: Sandbox, route: str) -> None:
    path = route.format(ck=pending_consumer_key(tether_sandbox))
    status, data = send(tether_sandbox, "POST", path, DEEP)
    assert status == 400, data
    assert "nests deeper than 512" in data["error"]


@pytest.mark.parametrize(
    ("path", "raw", "field"),
    [
        ("/_sandbox/faults", b'{"latency_ms": NaN}', "latency_ms"),
        ("/_sandbox/faults", b'{"latency_ms": Infinity}', "latency_ms"),
        ("/_sandbox/faults", b'{"latency_ms": 1e400}', "latency_ms"),
        ("/_sandbox/faults", b'{"latency_ms": 1' + b"0" * 400 + b"}", "latency_ms"),
        ("/_sandbox/faults", b'{"rate_limit": {"per_second": Infinity}}', "per_second"),
        ("/_sandbox/faults", b'{"rate_limit": {"per_second": 1, "burst": NaN}}', "burst"),
        ("/_sandbox/faults", b'{"status": 503, "service": ["ovh"]}', "service"),
        ("/_sandbox/ovh/time", b'{"skew": NaN}', "skew"),
        ("/_sandbox/ovh/time", b'{"skew": Infinity}', "skew"),
        ("/_sandbox/ovh/time", b'{"skew": -Infinity}', "skew"),
        ("/_sandbox/ovh/time", b'{"skew": 1' + b"0" * 300 + b"}", "skew"),
        ("/_sandbox/ovh/oauth2", b'{"expires_in": 1' + b"0" * 40 + b"}", "expires_in"),
        ("/_sandbox/ovh/credentials/{ck}/validate", b'{"expires_in": NaN}', "expires_in"),
        ("/_sandbox/ovh/credentials/{ck}/validate", b'{"expires_in": Infinity}', "expires_in"),
        ("/_sandbox/ovh/credentials/{ck}/validate", b'{"deny": "no"}', "deny"),
        ("/_sandbox/flickr/time", b'{"skew": NaN}', "skew"),
        ("/_sandbox/flickr/time", b'{"skew": Infinity}', "skew"),
        ("/_sandbox/flickr/quota", b'{"per_hour": 1' + b"0" * 40 + b"}", "per_hour"),
        ("/_sandbox/flickr/tickets", b'{"polls": 3, "fail_next": -1}', "fail_next"),
        ("/_sandbox/flickr/approve", b'{"frob": "f", "deny": "no"}', "deny"),
        ("/_sandbox/flickr/revoke", b'{"token": ["t"]}', "token"),
        ("/_sandbox/flickr/app", b'{"api_key": {}}', "api_key"),
        ("/_sandbox/reset", b'{"everything": true}', "everything"),
    ],
)
def test_bad_field_is_400_naming_it_and_changes_nothing(
    tether_sandbox: Sandbox, path: str, raw: bytes, field: str
) -> None:
    ck = pending_consumer_key(tether_sandbox)
    before = {p: send(tether_sandbox, "GET", p) for p in GET_ROUTES}
    status, data = send(tether_sandbox, "POST", path.format(ck=ck), raw)
    assert status == 400, data
    assert field in data["error"], data
    assert " must be " in data["error"] or "unknown field" in data["error"], data
    # Nothing was stored: every GET answers as before (none answers 500 from now on) …
    after = {p: send(tether_sandbox, "GET", p) for p in GET_ROUTES}
    for p in GET_ROUTES:
        if p.endswith("/stats") or p.endswith("/time"):
            assert after[p][0] == 200, (p, after[p])  # counters and clocks move on their own
            continue
        assert after[p] == before[p], p
    assert abs(send(tether_sandbox, "GET", "/_sandbox/ovh/time")[1]["skew"]) == 0
    assert abs(send(tether_sandbox, "GET", "/_sandbox/flickr/time")[1]["skew"]) == 0
    # … the credential is still pending (a refused validation did not decide it) …
    status, cred = send(tether_sandbox, "POST", f"/_sandbox/ovh/credentials/{ck}/validate", b"{}")
    assert (status, cred.get("status")) == (200, "validated"), cred
    # … and the API answers.
    api_calls_work(tether_sandbox)


_specials = st.sampled_from([float("nan"), float("inf"), float("-inf"), 10**30, -(10**30)])
_scalars = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(10**40), max_value=10**40)
    | st.floats()
    | _specials
    | st.text(max_size=12)
    | st.sampled_from(["ovh", "flickr", "/ovh/1.0/me", "before", "mid", "read", "delete"])
)
_json = st.recursive(
    _scalars,
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(), children),
    max_leaves=12,
)
_all_fields = sorted({f for fields in ROUTES.values() for f in fields})
_objects = st.dictionaries(st.sampled_from(_all_fields) | st.text(max_size=4), _json, max_size=4)
_bodies = (
    _objects.map(lambda o: json.dumps(o).encode())  # NaN / Infinity written as Python does
    | _json.map(lambda v: json.dumps(v).encode())
    | st.integers(min_value=1, max_value=3000).map(
        lambda n: b'{"skew":' + b"[" * n + b"]" * n + b"}"
    )
    | st.binary(max_size=40)
)


@settings(
    max_examples=250,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(route=st.sampled_from(sorted(ROUTES)), raw=_bodies)
def test_arbitrary_json_never_makes_a_control_route_fail(
    tether_sandbox: Sandbox, route: str, raw: bytes
) -> None:
    path = route.format(ck="ck" * 16)
    status, data = send(tether_sandbox, "POST", path, raw)
    assert status < 500, (path, raw[:200], data)
    # Whatever was stored, every read of the control state still answers …
    for p in GET_ROUTES:
        got, body = send(tether_sandbox, "GET", p)
        assert got == 200, (path, raw[:200], p, body)
    # … and once faults and the Flickr switches are back to neutral, the API answers.
    assert send(tether_sandbox, "DELETE", "/_sandbox/faults")[0] == 200
    for p, body in (
        ("/_sandbox/flickr/service", {"available": True}),
        ("/_sandbox/flickr/quota", {"per_hour": 10**6}),
        ("/_sandbox/flickr/transient", {"count": 0}),
    ):
        assert send(tether_sandbox, "POST", p, json.dumps(body).encode())[0] == 200
    api_calls_work(tether_sandbox)
