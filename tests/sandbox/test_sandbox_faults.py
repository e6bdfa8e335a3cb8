"""Fault injection seen from the client side: raw sockets and urllib3 over loopback."""

from __future__ import annotations

import hashlib
import json
import re
import socket
import time
from typing import Any

import pytest
import urllib3

from tether.sandbox import Sandbox

TIME_PATH = "/ovh/1.0/auth/time"


def http() -> urllib3.PoolManager:
    return urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(10))


def raw_exchange(sandbox: Sandbox, request: bytes) -> bytes:
    """Send ``request`` on a fresh connection and read until the server closes it."""
    host, port = sandbox.url.split("://", 1)[1].rsplit(":", 1)
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while True:
            try:
                chunk = sock.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            data += chunk
    return data


def get_request(sandbox: Sandbox, path: str, extra: bytes = b"") -> bytes:
    host = sandbox.url.split("://", 1)[1].encode()
    return b"GET %s HTTP/1.1\r\nHost: %s\r\n%s\r\n" % (path.encode(), host, extra)


def signed_headers(
    sandbox: Sandbox, method: str, url: str, ck: str | None = None
) -> dict[str, str]:
    c = sandbox.credentials()["ovh"]
    ck = ck or c["consumer_key"]
    ts = str(int(time.time()))
    text = "+".join([c["application_secret"], ck, method, url, "", ts])
    return {
        "X-Ovh-Application": c["application_key"],
        "X-Ovh-Consumer": ck,
        "X-Ovh-Timestamp": ts,
        "X-Ovh-Signature": "$1$" + hashlib.sha1(text.encode()).hexdigest(),
    }


# --------------------------------------------------------------------------------------------
# dropped connections


def test_drop_before_closes_without_any_response(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(path_prefix=TIME_PATH, drop="before", count=1)
    # the raw client sees the connection closed and not a single byte of response
    assert raw_exchange(tether_sandbox, get_request(tether_sandbox, TIME_PATH)) == b""
    # the count is used up: the next request is answered normally, on the same server
    answer = raw_exchange(
        tether_sandbox, get_request(tether_sandbox, TIME_PATH, b"Connection: close\r\n")
    )
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_drop_before_is_a_connection_error_for_urllib3(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(service="ovh", drop="before")
    with pytest.raises(urllib3.exceptions.ProtocolError) as err:
        http().request("GET", tether_sandbox.url + TIME_PATH)
    assert "without response" in str(err.value) or "reset" in str(err.value).lower()
    # control routes are never faulted
    assert http().request("GET", tether_sandbox.url + "/_sandbox/faults").status == 200


def test_drop_before_never_reaches_the_emulator(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(path_prefix=TIME_PATH, drop="before", count=2)
    for _ in range(2):
        assert raw_exchange(tether_sandbox, get_request(tether_sandbox, TIME_PATH)) == b""
    assert tether_sandbox.stats()["requests"].get(TIME_PATH) is None
    assert tether_sandbox.faults() == []


def test_drop_mid_sends_headers_and_part_of_the_body(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(path_prefix="/ovh/1.0/me", drop="mid")
    url = tether_sandbox.base_url("ovh") + "/me"
    headers = b"".join(
        b"%s: %s\r\n" % (k.encode(), v.encode())
        for k, v in signed_headers(tether_sandbox, "GET", url).items()
    )
    data = raw_exchange(tether_sandbox, get_request(tether_sandbox, "/ovh/1.0/me", headers))
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 200 ")
    length = re.search(rb"(?im)^content-length: (\d+)$", head)
    assert length is not None
    assert 0 < len(body) < int(length.group(1))
    assert body.startswith(b'{"address"')


def test_drop_mid_is_an_error_for_urllib3_but_the_call_happened(tether_sandbox: Sandbox) -> None:
    path = "/ovh/1.0/email/domain/example.com/redirection"
    tether_sandbox.set_faults(path_prefix=path, drop="mid", count=1)
    url = tether_sandbox.url + path
    body = b'{"from":"lost@example.com","to":"b@example.com","localCopy":false}'
    c = tether_sandbox.credentials()["ovh"]
    ts = str(int(time.time()))
    text = "+".join([c["application_secret"], c["consumer_key"], "POST", url, body.decode(), ts])
    headers = {
        "X-Ovh-Application": c["application_key"],
        "X-Ovh-Consumer": c["consumer_key"],
        "X-Ovh-Timestamp": ts,
        "X-Ovh-Signature": "$1$" + hashlib.sha1(text.encode()).hexdigest(),
        "Content-Type": "application/json",
    }
    with pytest.raises(urllib3.exceptions.ProtocolError):
        http().request("POST", url, body=body, headers=headers)
    # the emulator processed the request before the answer was cut
    check = url + "?from=lost%40example.com"
    r = http().request("GET", check, headers=signed_headers(tether_sandbox, "GET", check))
    assert len(json.loads(r.data)) == 1


def test_drop_mid_with_status_truncates_the_error(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(path_prefix=TIME_PATH, drop="mid", status=500)
    data = raw_exchange(tether_sandbox, get_request(tether_sandbox, TIME_PATH))
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 500 ")
    assert body and b"InternalServerError" not in body[-5:]
    assert b'"class"' in body or len(body) < 20


# --------------------------------------------------------------------------------------------
# statuses, counts, latency, scoping


def test_status_fault_uses_the_service_error_shape(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(service="ovh", status=503, count=2)
    for _ in range(2):
        r = http().request("GET", tether_sandbox.url + TIME_PATH)
        assert r.status == 503
        assert json.loads(r.data) == {
            "class": "Server::ServiceUnavailable",
            "message": "Service unavailable",
        }
        assert r.headers["X-Ovh-Queryid"].startswith("EU.ext-3.")
    assert http().request("GET", tether_sandbox.url + TIME_PATH).status == 200
    assert tether_sandbox.faults() == []


def test_fault_scoped_by_path_prefix(tether_sandbox: Sandbox) -> None:
    fault = tether_sandbox.set_faults(path_prefix="/ovh/1.0/me/bill", status=500)
    base = tether_sandbox.base_url("ovh")
    me = http().request(
        "GET", base + "/me", headers=signed_headers(tether_sandbox, "GET", base + "/me")
    )
    assert me.status == 200
    bills = base + "/me/bill"
    r = http().request("GET", bills, headers=signed_headers(tether_sandbox, "GET", bills))
    assert r.status == 500
    assert json.loads(r.data)["class"] == "Server::InternalServerError"
    applied = {f["id"]: f["applied"] for f in tether_sandbox.faults()}
    assert applied[fault["id"]] == 1


def test_first_terminal_fault_wins_and_latencies_add_up(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(latency_ms=150)
    tether_sandbox.set_faults(status=502, count=1)
    tether_sandbox.set_faults(status=504, count=1)
    started = time.perf_counter()
    r = http().request("GET", tether_sandbox.url + TIME_PATH)
    assert time.perf_counter() - started >= 0.15
    assert r.status == 502
    # the 504 spec was not consulted, so it is still there, and applies next
    assert http().request("GET", tether_sandbox.url + TIME_PATH).status == 504


def test_latency_only_fault_delays_then_answers(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(latency_ms=200, count=1)
    started = time.perf_counter()
    r = http().request("GET", tether_sandbox.url + TIME_PATH)
    elapsed = time.perf_counter() - started
    assert r.status == 200 and elapsed >= 0.2
    started = time.perf_counter()
    http().request("GET", tether_sandbox.url + TIME_PATH)
    assert time.perf_counter() - started < 0.2


def test_unknown_paths_get_a_generic_json_error(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(status=500)
    r = http().request("GET", tether_sandbox.url + "/elsewhere")
    assert r.status == 500 and json.loads(r.data) == {"message": "Internal Server Error"}


# --------------------------------------------------------------------------------------------
# rate limits


def _me(sandbox: Sandbox, ck: str | None = None) -> urllib3.BaseHTTPResponse:
    url = sandbox.base_url("ovh") + "/me"
    return http().request("GET", url, headers=signed_headers(sandbox, "GET", url, ck))


def test_rate_limit_is_per_consumer_key(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(service="ovh", rate_limit={"per_second": 0.5, "burst": 2})
    assert [_me(tether_sandbox).status for _ in range(2)] == [200, 200]
    limited = _me(tether_sandbox)
    assert limited.status == 429
    assert json.loads(limited.data) == {"message": "Too many requests"}
    assert re.fullmatch(r"[1-9]\d*", limited.headers["Retry-After"])
    assert 1 <= int(limited.headers["Retry-After"]) <= 2
    # another consumer key has its own bucket
    readonly = tether_sandbox.credentials()["ovh"]["consumer_key_readonly"]
    assert _me(tether_sandbox, readonly).status == 200


def test_rate_limit_refills(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(rate_limit={"per_second": 20, "burst": 1})
    statuses = [_me(tether_sandbox).status for _ in range(3)]
    assert 429 in statuses
    time.sleep(0.06)
    assert _me(tether_sandbox).status == 200


def test_status_429_fault_carries_retry_after(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(status=429, count=1)
    r = http().request("GET", tether_sandbox.url + TIME_PATH)
    assert r.status == 429 and r.headers["Retry-After"] == "1"


def test_faults_listing_reports_spec(tether_sandbox: Sandbox) -> None:
    spec: dict[str, Any] = {"rate_limit": {"per_second": 2.0, "burst": 3.0}, "count": 4}
    added = tether_sandbox.set_faults(**spec)
    assert added["rate_limit"] == spec["rate_limit"] and added["count"] == 4
    assert added["applied"] == 0
