"""Bad input and bad networks: each a clear TetherError, sync and async."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

import tether
from tests.support.serve import serving
from tether import ovh
from tether.core.retry import RetryPolicy


def test_wrong_secret(make_client: Any, ovh_creds: dict[str, Any]) -> None:
    c = make_client(
        endpoint=ovh_creds["base_url"],
        application_key=ovh_creds["application_key"],
        application_secret="W" * 32,
        consumer_key=ovh_creds["consumer_key"],
    )
    with pytest.raises(ovh.BadParametersError) as e:
        c.get("/me")
    assert e.value.error_code == "INVALID_SIGNATURE"
    assert e.value.query_id and f"OVH-Query-ID: {e.value.query_id}" in str(e.value)
    assert "application_secret" in str(e.value)  # says what to check
    assert "W" * 32 not in str(e.value)


def test_unknown_application_key(make_client: Any, ovh_creds: dict[str, Any]) -> None:
    c = make_client(
        endpoint=ovh_creds["base_url"],
        application_key="x" * 16,
        application_secret="y" * 32,
        consumer_key=ovh_creds["consumer_key"],
    )
    with pytest.raises(ovh.InvalidKey):
        c.get("/me")


def test_unknown_consumer_key(make_client: Any, ovh_creds: dict[str, Any]) -> None:
    c = make_client(
        endpoint=ovh_creds["base_url"],
        application_key=ovh_creds["application_key"],
        application_secret=ovh_creds["application_secret"],
        consumer_key="z" * 32,
    )
    with pytest.raises(ovh.NotCredential) as e:
        c.get("/me")
    assert isinstance(e.value, tether.AuthError)


def test_expired_consumer_key_after_logout(signed: Any) -> None:
    assert signed.get("/me")
    signed.post("/auth/logout")
    with pytest.raises(ovh.InvalidCredential) as e:
        signed.get("/me")
    assert "new_consumer_key_request" in str(e.value) or "validat" in str(e.value)


def test_call_outside_access_rules(make_client: Any, ovh_creds: dict[str, Any]) -> None:
    c = make_client(
        endpoint=ovh_creds["base_url"],
        application_key=ovh_creds["application_key"],
        application_secret=ovh_creds["application_secret"],
        consumer_key=ovh_creds["consumer_key_readonly"],
    )
    assert c.get("/me")
    with pytest.raises(ovh.NotGrantedCall):
        c.put("/me", firstname="X")


def test_missing_consumer_key_fails_before_network(
    make_client: Any, ovh_creds: dict[str, Any]
) -> None:
    c = make_client(
        endpoint=ovh_creds["base_url"],
        application_key=ovh_creds["application_key"],
        application_secret=ovh_creds["application_secret"],
    )
    with pytest.raises(ovh.InvalidKey, match="ConsumerKey"):
        c.get("/me")


def test_timestamp_out_of_window_recovers(signed: Any, tether_sandbox: Any) -> None:
    """The clock delta is taken again when the server says the timestamp is stale."""
    assert signed.get("/me")
    assert abs(signed.time_delta) < 5
    tether_sandbox.set_time_skew(3600)
    assert signed.get("/me")["firstname"]
    assert 3590 < signed.time_delta < 3610


def test_unknown_route_is_not_found(signed: Any) -> None:
    with pytest.raises(ovh.ResourceNotFoundError) as e:
        signed.get("/no/such/route")
    assert isinstance(e.value, tether.TetherError)


def test_retry_on_503_then_success(signed: Any, tether_sandbox: Any) -> None:
    signed.get("/me")
    tether_sandbox.set_faults(path_prefix="/ovh/1.0/me", status=503, count=2)
    assert signed.get("/me")["firstname"]


def test_post_not_retried_on_500(signed: Any, tether_sandbox: Any) -> None:
    signed.get("/me")
    tether_sandbox.set_faults(path_prefix="/ovh/1.0/email", status=500, count=1)
    with pytest.raises(ovh.ServerSideError):
        signed.post(
            "/email/domain/example.com/redirection",
            _from="a@example.com",
            to="b@example.com",
            localCopy=False,
        )
    # Not re-sent: the redirection must not exist twice (or at all, since the fault answered).
    assert signed.get("/email/domain/example.com/redirection", _from="a@example.com") == []


def test_dropped_connection_before_response_is_retried_for_get(
    signed: Any, tether_sandbox: Any
) -> None:
    signed.get("/me")
    tether_sandbox.set_faults(path_prefix="/ovh/1.0/me", drop="before", count=1)
    assert signed.get("/me")["firstname"]


def test_connection_reset_mid_response(
    make_client: Any, ovh_creds: dict[str, Any], tether_sandbox: Any
) -> None:
    c = make_client(
        endpoint=ovh_creds["base_url"],
        application_key=ovh_creds["application_key"],
        application_secret=ovh_creds["application_secret"],
        consumer_key=ovh_creds["consumer_key"],
        retry=False,
    )
    c.get("/me")
    tether_sandbox.set_faults(path_prefix="/ovh/1.0/me", drop="mid")
    with pytest.raises(ovh.HTTPError) as e:
        c.get("/me")
    assert isinstance(e.value, tether.TransportError)
    assert "connection lost" in str(e.value)


def test_rate_limited_then_retried_after(signed: Any, tether_sandbox: Any) -> None:
    signed.get("/me")
    tether_sandbox.set_faults(rate_limit={"per_second": 20, "burst": 1})
    for _ in range(4):
        assert signed.get("/me")["firstname"]


def test_connection_refused_is_http_error(make_client: Any) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = make_client(
        endpoint=f"http://127.0.0.1:{port}/1.0",
        application_key="a",
        application_secret="b",
        consumer_key="c",
        retry=RetryPolicy(max_attempts=2, base=0.01),
    )
    with pytest.raises(ovh.HTTPError) as e:
        c.get("/me")
    assert isinstance(e.value.__cause__, tether.ConnectError)


class _Weird(BaseHTTPRequestHandler):
    """A server behind a broken proxy: HTML error pages, bad JSON, truncated bodies."""

    def do_GET(self) -> None:
        answers = {
            "/1.0/auth/time": (200, b"1700000000", "application/json"),
            "/1.0/html": (502, b"<html><body>Bad Gateway</body></html>", "text/html"),
            "/1.0/empty": (200, b"", "application/json"),
            "/1.0/notjson": (200, b"{not json", "application/json"),
            "/1.0/errnull": (404, b"null", "application/json"),
            "/1.0/errlist": (400, b"[1,2]", "application/json"),
        }
        status, body, ctype = answers.get(self.path, (404, b"{}", "application/json"))
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def weird_server() -> Iterator[str]:
    with serving(_Weird) as root:
        yield f"{root}/1.0"


@pytest.mark.parametrize("path", ["/html", "/empty", "/notjson"])
def test_non_json_answers_are_invalid_response(
    make_client: Any, weird_server: str, path: str
) -> None:
    c = make_client(
        endpoint=weird_server,
        application_key="a",
        application_secret="b",
        consumer_key="c",
        retry=False,
    )
    with pytest.raises(ovh.InvalidResponse) as e:
        c.get(path)
    assert isinstance(e.value, tether.ProtocolError)
    assert "not JSON" in str(e.value)


def test_error_bodies_that_are_not_objects_do_not_crash(
    make_client: Any, weird_server: str
) -> None:
    c = make_client(
        endpoint=weird_server, application_key="a", application_secret="b", consumer_key="c"
    )
    with pytest.raises(ovh.ResourceNotFoundError):
        c.get("/errnull")  # python-ovh crashes here with AttributeError
    with pytest.raises(ovh.BadParametersError):
        c.get("/errlist")
