"""The loopback callback server over real loopback HTTP: only the awaited answer is taken."""

from __future__ import annotations

import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest

from tether.auth.callback import CallbackServer
from tether.core.errors import AuthError


def get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=5) as r:
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, e.read()


@pytest.fixture
def server() -> Iterator[CallbackServer]:
    s = CallbackServer("oauth_token", ("oauth_verifier",))
    yield s
    s.close()


def test_listens_on_loopback_only(server: CallbackServer) -> None:
    assert server.url.startswith("http://127.0.0.1:") and server.url.endswith("/")


def test_a_stray_answer_is_ignored_and_the_right_one_taken(server: CallbackServer) -> None:
    server.expect("rt-right")
    status, body = get(
        server.url + "?" + urlencode({"oauth_token": "rt-wrong", "oauth_verifier": "v1"})
    )
    assert status == 400 and b"not the answer" in body
    with pytest.raises(AuthError, match="no answer from the browser within 0 s"):
        server.wait(0.2)  # still waiting: the stray verifier was not taken
    right = {"oauth_token": "rt-right", "oauth_verifier": "v2", "extra": "x y"}
    status, body = get(server.url + "?" + urlencode(right))
    assert status == 200 and b"you can close this page" in body
    assert server.wait(1) == right  # every named parameter captured


def test_nothing_is_taken_before_the_pending_request_is_known(server: CallbackServer) -> None:
    status, _ = get(server.url + "?oauth_token=rt&oauth_verifier=v")
    assert status == 400
    server.expect("rt")
    with pytest.raises(AuthError):
        server.wait(0.1)
    assert get(server.url + "?oauth_token=rt&oauth_verifier=v")[0] == 200
    assert server.wait(0)["oauth_verifier"] == "v"


def test_a_match_without_a_verifier_or_on_another_path_is_ignored(server: CallbackServer) -> None:
    server.expect("rt")
    assert get(server.url + "?oauth_token=rt")[0] == 400
    assert get(server.url + "favicon.ico?oauth_token=rt&oauth_verifier=v")[0] == 400
    with pytest.raises(AuthError):
        server.wait(0.1)


def test_only_one_answer_is_taken(server: CallbackServer) -> None:
    server.expect("rt")
    assert get(server.url + "?oauth_token=rt&oauth_verifier=first")[0] == 200
    assert get(server.url + "?oauth_token=rt&oauth_verifier=second")[0] == 400
    assert server.wait(0)["oauth_verifier"] == "first"


def test_oauth2_state_and_error_answers() -> None:
    with CallbackServer("state", ("code", "error"), path="/cb") as s:
        s.expect("st-1")
        assert s.url.endswith("/cb")
        assert get(s.url + "?state=st-2&code=c")[0] == 400
        assert get(s.url + "?state=st-1&error=access_denied")[0] == 200
        assert s.wait(1) == {"state": "st-1", "error": "access_denied"}


def test_wait_in_a_thread_returns_when_the_browser_answers(server: CallbackServer) -> None:
    server.expect("rt")
    got: list[dict[str, str]] = []
    t = threading.Thread(target=lambda: got.append(server.wait(5)))
    t.start()
    get(server.url + "?oauth_token=rt&oauth_verifier=v")
    t.join(5)
    assert got == [{"oauth_token": "rt", "oauth_verifier": "v"}]


def test_timeout_error_is_the_services_and_nothing_secret_shows(
    capfd: pytest.CaptureFixture[str],
) -> None:
    class ServiceAuthError(Exception):
        pass

    with CallbackServer(error=ServiceAuthError, what="Flickr's page") as s:
        s.expect("rt")
        get(s.url + "?oauth_token=rt&oauth_verifier=secret-verifier")
        assert "secret-verifier" not in repr(s) and "answered" in repr(s)
    out, err = capfd.readouterr()
    assert "secret-verifier" not in out + err  # the request line is never logged
    with (
        CallbackServer(error=ServiceAuthError, what="Flickr's page") as s2,
        pytest.raises(ServiceAuthError, match="no answer from Flickr's page"),
    ):
        s2.wait(0.05)


def test_close_twice_is_harmless() -> None:
    s = CallbackServer()
    s.close()
    s.close()
    with pytest.raises(OSError):
        get(s.url + "?oauth_token=a&oauth_verifier=b")
