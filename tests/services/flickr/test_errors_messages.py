"""What a Flickr failure says: the call, what happened, what to do (issue 7, item 8).

The real client against the sandbox (sync and async), or against a small local server over
127.0.0.1 where the sandbox cannot answer the malformed thing a broken proxy might.
"""

from __future__ import annotations

from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

import tether
from tests.services.flickr.conftest import urls
from tests.support.serve import serving
from tether import flickr as flickrapi


def test_service_error_names_the_call_and_what_to_do(
    tether_sandbox: Any, make_flickr: Any, fcreds: dict[str, Any]
) -> None:
    # Before: "Error: 105: Service currently unavailable" (no method, no advice).
    tether_sandbox.control("POST", "/_sandbox/flickr/transient", {"code": 105, "count": 5})
    f = make_flickr(
        fcreds["api_key"], fcreds["secret"], store_token=False, retry=False, **urls(fcreds)
    )
    with pytest.raises(flickrapi.FlickrUnavailable) as e:
        f.photos.search(tags="cat")
    text = str(e.value)
    assert text.startswith("Error: 105: ")  # FlickrAPI's shape, pinned by the seed
    assert "flickr.photos.search" in text and "retry later" in text
    assert e.value.code == 105


def test_a_transient_code_tether_stopped_retrying_says_so(
    tether_sandbox: Any, make_flickr: Any, fcreds: dict[str, Any]
) -> None:
    from tether.core.retry import RetryPolicy

    tether_sandbox.control("POST", "/_sandbox/flickr/transient", {"code": 105, "count": 5})
    f = make_flickr(
        fcreds["api_key"],
        fcreds["secret"],
        store_token=False,
        retry=RetryPolicy(max_attempts=2, base=0.01),
        **urls(fcreds),
    )
    with pytest.raises(flickrapi.FlickrUnavailable) as e:
        f.photos.search(tags="cat")
    assert str(e.value).startswith("Error: 105: ")
    assert "tether gave up after 2 attempts: max_attempts=2 reached" in str(e.value)


def test_unknown_method_message_keeps_the_seed_shape(
    make_flickr: Any, fcreds: dict[str, Any]
) -> None:
    f = make_flickr(fcreds["api_key"], fcreds["secret"], store_token=False, **urls(fcreds))
    with pytest.raises(flickrapi.FlickrNotFound) as e:
        f.photos.nope()
    assert str(e.value).startswith("Error: 112: ") and e.value.code == 112
    assert "flickr.photos.nope" in str(e.value)


def test_rate_limited_says_what_happened_and_keeps_retry_after(
    tether_sandbox: Any, make_flickr: Any, fcreds: dict[str, Any]
) -> None:
    # Before: always "the API key's hourly quota is used up", retry_after None.
    tether_sandbox.control("POST", "/_sandbox/flickr/quota", {"per_hour": 1})
    f = make_flickr(
        fcreds["api_key"], fcreds["secret"], store_token=False, retry=False, **urls(fcreds)
    )
    f.test.echo()
    with pytest.raises(flickrapi.FlickrRateLimited) as e:
        f.test.echo()
    err = e.value
    assert isinstance(err, tether.RateLimited) and err.status == 429
    assert err.retry_after is not None and err.retry_after > 0
    text = str(err)
    assert "flickr.test.echo" in text and "429" in text
    assert f"{err.retry_after:.0f} s" in text
    assert "used up" not in text


class _NotFlickr(BaseHTTPRequestHandler):
    """Answers what a captive portal or a wrong URL might: JSON, but not Flickr's."""

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = b'{"photos": {"page": 1}, "message": null}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture
def not_flickr() -> Iterator[str]:
    with serving(_NotFlickr) as root:
        yield f"{root}/services/rest/"


def test_json_without_stat_is_not_a_flickr_answer(make_flickr: Any, not_flickr: str) -> None:
    # Before: FlickrError("Error: -1: None").
    f = make_flickr(
        "k" * 32, "s" * 16, store_token=False, format="parsed-json", rest_url=not_flickr
    )
    with pytest.raises(flickrapi.FlickrProtocolError) as e:
        f.photos.search(tags="cat")
    text = str(e.value)
    assert isinstance(e.value, tether.ProtocolError)
    assert "-1" not in text and "None" not in text
    assert "flickr.photos.search" in text and "not a Flickr answer" in text


def _start_login(tether_sandbox: Any, f: Any, deny: bool) -> str:
    from urllib.parse import parse_qs, urlsplit

    f.get_request_token("oob")
    url = f.auth_url("write")
    token = parse_qs(urlsplit(url).query)["oauth_token"][0]
    answer = tether_sandbox.control(
        "POST", "/_sandbox/flickr/approve", {"oauth_token": token, "perms": "write", "deny": deny}
    )
    return str(answer.get("oauth_verifier", ""))


def test_wrong_verifier_says_so(
    tether_sandbox: Any, make_flickr: Any, fcreds: dict[str, Any]
) -> None:
    # Before: "oauth/access_token: OAuth refused (verifier_invalid): authenticate again".
    f = make_flickr(fcreds["api_key"], fcreds["secret"], store_token=False, **urls(fcreds))
    verifier = _start_login(tether_sandbox, f, deny=False)
    wrong = "000-000-000" if verifier != "000-000-000" else "111-111-111"
    with pytest.raises(flickrapi.FlickrAuthError) as e:
        f.get_access_token(wrong)
    text = str(e.value)
    assert "oauth/access_token" in text
    assert "code" in text and "wrong" in text and "log in again" in text
    assert "revoked" not in text and wrong not in text


def test_denied_access_says_so(
    tether_sandbox: Any, make_flickr: Any, fcreds: dict[str, Any]
) -> None:
    # Before: "oauth/access_token: OAuth refused (token_rejected): the token was refused or
    # revoked: authenticate again" -- nothing was revoked; the user said no.
    f = make_flickr(fcreds["api_key"], fcreds["secret"], store_token=False, **urls(fcreds))
    _start_login(tether_sandbox, f, deny=True)
    with pytest.raises(flickrapi.FlickrAuthError) as e:
        f.get_access_token("123-456-789")
    text = str(e.value)
    assert "denied" in text and "log in again" in text
    assert "revoked" not in text


def test_revoked_token_on_a_call_still_says_authenticate_again(
    tether_sandbox: Any, make_flickr: Any, fcreds: dict[str, Any]
) -> None:
    f = make_flickr(
        fcreds["api_key"],
        fcreds["secret"],
        token=flickrapi.OAuthToken(fcreds["oauth_token"], fcreds["oauth_token_secret"], "delete"),
        **urls(fcreds),
    )
    tether_sandbox.control("POST", "/_sandbox/flickr/revoke", {"token": fcreds["oauth_token"]})
    with pytest.raises(flickrapi.FlickrAuthError) as e:
        f.test.login()
    assert "authenticate again" in str(e.value)
    assert fcreds["oauth_token"] not in str(e.value)
