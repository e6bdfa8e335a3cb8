"""What an OVH failure or configuration problem says (issue 7, items 8 and 9).

The real client (sync and async) against a small local server over 127.0.0.1 answering what a
misconfigured endpoint or proxy answers, or against the sandbox.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

import tether
from tests.support.serve import serving
from tether import ovh


class _Misconfigured(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/1.0/moved"):
            # What a wrong endpoint (http:// for https://, a missing /1.0 …) often gets.
            body = b"<html><body>Moved</body></html>"
            self.send_response(302)
            self.send_header(
                "Location", "https://eu.api.ovh.com/1.0/moved?token=SECRETINLOCATION&x=1"
            )
        else:
            body = b"<html><body>Service Unavailable</body></html>"
            self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def misconfigured() -> Iterator[str]:
    with serving(_Misconfigured) as root:
        yield f"{root}/1.0"


def _client(make_client: Any, endpoint: str) -> Any:
    return make_client(
        endpoint=endpoint,
        application_key="a" * 16,
        application_secret="b" * 32,
        consumer_key="c" * 32,
        retry=False,
    )


def test_invalid_response_reads_as_a_sentence(make_client: Any, misconfigured: str) -> None:
    # Before: "('Failed to decode API response', 'HTTP 200, text/html, …')" -- a tuple.
    c = _client(make_client, misconfigured)
    with pytest.raises(ovh.InvalidResponse) as e:
        c.get("/me", _need_auth=False)
    text = str(e.value)
    assert not text.startswith("(") and "', '" not in text
    assert text.startswith("Failed to decode API response: HTTP 200")
    assert "GET /me" in text
    assert e.value.args[0] == "Failed to decode API response"  # python-ovh's first argument


def test_redirect_is_reported_as_a_redirect(make_client: Any, misconfigured: str) -> None:
    # Before: "Failed to decode API response" -- the 302 was never mentioned.
    c = _client(make_client, misconfigured)
    with pytest.raises(ovh.InvalidResponse) as e:
        c.get("/moved", _need_auth=False)
    text = str(e.value)
    assert isinstance(e.value, tether.ProtocolError) and e.value.status == 302
    assert "Failed to decode" not in text
    assert "GET /moved" in text and "HTTP 302" in text and "redirect" in text
    assert "https://eu.api.ovh.com/1.0/moved?token=***&x=1" in text
    assert "SECRETINLOCATION" not in text
    assert "endpoint" in text


def test_consumer_key_without_application_key_is_refused_with_the_sandbox(
    make_client: Any, tether_sandbox: Any
) -> None:
    # Before: OVH_CONSUMER_KEY was silently replaced by the sandbox's own key.
    with pytest.raises(ovh.InvalidConfiguration) as e:
        make_client(environ={"TETHER_SANDBOX": tether_sandbox.url, "OVH_CONSUMER_KEY": "MYCK" * 8})
    text = str(e.value)
    assert isinstance(e.value, tether.ConfigError)
    assert "OVH_CONSUMER_KEY" in text and "application_key" in text
    assert "MYCK" not in text


def test_the_sandbox_still_fills_an_empty_configuration(
    make_client: Any, tether_sandbox: Any
) -> None:
    c = make_client(environ={"TETHER_SANDBOX": tether_sandbox.url})
    assert c.get("/me")["firstname"]


def test_explain_shows_sandbox_values_and_their_provenance(tether_sandbox: Any) -> None:
    # Before: `tether config explain ovh` with TETHER_SANDBOX showed "(unset)" everywhere.
    from tether.services.ovh.api import explain

    creds = tether_sandbox.credentials()["ovh"]
    ex = explain(environ={"TETHER_SANDBOX": tether_sandbox.url})
    rows = {s.name: s for s in ex.settings}
    assert rows["endpoint"].value == creds["base_url"]
    assert "TETHER_SANDBOX" in rows["endpoint"].source
    assert rows["application_key"].shown() == creds["application_key"]
    assert rows["consumer_key"].shown() == "***"
    assert ex.problem is None
    assert any(creds["base_url"] in note for note in ex.notes)


def test_explain_reports_a_problem_instead_of_raising() -> None:
    from tether.services.ovh.api import explain

    ex = explain(environ={"OVH_ENDPOINT": "ovh-mars"})
    assert ex.problem is not None and "ovh-mars" in ex.problem


class _DatedTooMany(BaseHTTPRequestHandler):
    """A 429 whose Retry-After is an HTTP date, 30 s after the answer's own Date."""

    def do_GET(self) -> None:
        body = b'{"message": "Too many requests"}'
        self.send_response_only(429)  # no automatic Date: the one below is the server's
        self.send_header("Date", "Wed, 02 Dec 2026 10:00:00 GMT")
        self.send_header("Retry-After", "Wed, 02 Dec 2026 10:00:30 GMT")
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_retry_after_as_an_http_date_is_measured_from_the_answer(make_client: Any) -> None:
    # Before: the date was measured from the epoch, so retry_after was about 1.8e9 seconds.
    with serving(_DatedTooMany) as root:
        c = make_client(
            endpoint=f"{root}/1.0", application_key="a", application_secret="b", retry=False
        )
        with pytest.raises(ovh.TooManyRequests) as e:
            c.get("/auth/time", _need_auth=False)
    assert e.value.retry_after == 30.0
