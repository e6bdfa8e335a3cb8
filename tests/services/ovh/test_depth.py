"""Deep nesting, both ways: an answer nested too deep is a TetherError from the client (sync and
async), and a request body nested too deep is a 400 from the emulator, never a 500."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest
import urllib3

import tether
from tests.support.serve import serving
from tether.auth.ovh import Signer
from tether.core.jsonparse import MAX_DEPTH

DEEP = b"[" * 100_000 + b"]" * 100_000


class _Deep(BaseHTTPRequestHandler):
    """An API answering every call with JSON nested 100,000 levels deep."""

    def do_GET(self) -> None:
        body = b"1700000000" if self.path == "/1.0/auth/time" else DEEP
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def deep_server() -> Iterator[str]:
    with serving(_Deep) as root:
        yield f"{root}/1.0"


def test_deep_answer_is_a_protocol_error(make_client: Any, deep_server: str) -> None:
    c = make_client(
        endpoint=deep_server,
        application_key="a",
        application_secret="b",
        consumer_key="c",
        retry=False,
    )
    with pytest.raises(tether.TetherError) as e:
        c.get("/me")
    assert isinstance(e.value, tether.ProtocolError)
    assert "GET /me" in str(e.value) and f"deeper than {MAX_DEPTH}" in str(e.value)


def test_raw_response_json_is_bounded(make_client: Any, deep_server: str) -> None:
    c = make_client(
        endpoint=deep_server,
        application_key="a",
        application_secret="b",
        consumer_key="c",
        retry=False,
    )
    raw = c.raw_call("GET", "/me")
    assert raw.status_code == 200
    with pytest.raises(tether.ProtocolError, match="nested deeper"):
        raw.json()


# --------------------------------------------------------------------------------------------
# The emulator: bodies nested too deep


def _signed_put(creds: dict[str, Any], root: str, body: bytes) -> urllib3.BaseHTTPResponse:
    url = creds["base_url"] + "/me"
    now = int(time.time())
    signer = Signer(creds["application_secret"], creds["consumer_key"])
    headers = {
        "X-Ovh-Application": creds["application_key"],
        "X-Ovh-Consumer": creds["consumer_key"],
        "X-Ovh-Timestamp": str(now),
        "X-Ovh-Signature": signer.sign("PUT", url, body, now),
        "Content-Type": "application/json",
    }
    return urllib3.request("PUT", url, body=body, headers=headers, retries=False)


@pytest.mark.parametrize("depth", [100_000, 5_000, MAX_DEPTH + 1])
def test_emulator_answers_400_to_a_deep_signed_body(tether_sandbox: Any, depth: int) -> None:
    creds = tether_sandbox.credentials()["ovh"]
    body = b'{"firstname":' + b"[" * depth + b"]" * depth + b"}"
    r = _signed_put(creds, tether_sandbox.url, body)
    assert r.status == 400, r.data[:200]
    assert f"nested deeper than {MAX_DEPTH}" in json.loads(r.data)["message"]
    # The emulator is fine afterwards, and the account unchanged.
    ok = _signed_put(creds, tether_sandbox.url, b'{"firstname":"Ada"}')
    assert ok.status == 200, ok.data[:200]


def test_emulator_answers_400_to_a_deep_unauthenticated_body(tether_sandbox: Any) -> None:
    creds = tether_sandbox.credentials()["ovh"]
    r = urllib3.request(
        "POST",
        creds["base_url"] + "/auth/credential",
        body=b'{"accessRules":' + DEEP + b"}",
        headers={"X-Ovh-Application": creds["application_key"], "Content-Type": "application/json"},
        retries=False,
    )
    assert r.status == 400, r.data[:200]
    assert "nested deeper" in json.loads(r.data)["message"]
