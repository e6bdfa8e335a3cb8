"""The VK emulator's OAuth endpoints over loopback, driven by hand with ``http.client``: the
authorize page and its decisions, the control approve, the code exchange (GET and POST), the
password grant with 2FA, validation and captcha, the blank page, and the dashboard's list."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import pytest

from tests.services.vk.sandbox.wire import Wire
from tether.services.vk.sandbox.model.auth import (
    APP_ID,
    CLIENT_SECRET,
    USER_2FA_CODE,
    USER_2FA_LOGIN,
    USER_2FA_PASSWORD,
    USER_ID,
    USER_LOGIN,
    USER_PASSWORD,
    USER_PHONE_LOGIN,
    USER_PHONE_PASSWORD,
)
from tether.services.vk.sandbox.oauth import CODE_LIFETIME

BLANK = "https://oauth.vk.com/blank.html"
SERVER = "https://app.example/vkauth"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


def authorize_url(wire: Wire, **params: str) -> str:
    base = {"client_id": APP_ID, "redirect_uri": SERVER, "response_type": "code", "v": "5.131"}
    return f"{wire.root}/vk/oauth/authorize?{urlencode({**base, **params})}"


def approve(wire: Wire, url: str, deny: bool = False) -> str:
    body: dict[str, Any] = {"authorize_url": url}
    if deny:
        body["deny"] = True
    landed: str = wire.set("/approve", body)["redirect_url"]
    return landed


def query(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).query))


def fragment(url: str) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(url).fragment))


def exchange(wire: Wire, verb: str = "GET", **params: str) -> tuple[int, Any]:
    base = {"client_id": APP_ID, "client_secret": CLIENT_SECRET, "redirect_uri": SERVER}
    fields = urlencode({**base, **params})
    if verb == "GET":
        answer = wire.raw("GET", f"/vk/oauth/access_token?{fields}")
    else:
        answer = wire.raw("POST", "/vk/oauth/access_token", fields.encode(), FORM)
    return answer.status, answer.json()


def password_grant(wire: Wire, **params: str) -> tuple[int, Any]:
    base = {
        "grant_type": "password",
        "client_id": APP_ID,
        "client_secret": CLIENT_SECRET,
        "username": USER_LOGIN,
        "password": USER_PASSWORD,
    }
    answer = wire.raw("POST", "/vk/oauth/token", urlencode({**base, **params}).encode(), FORM)
    return answer.status, answer.json()


# -- the code flow ---------------------------------------------------------------------------


@pytest.mark.parametrize("verb", ["GET", "POST"])
def test_approve_gives_a_code_that_buys_one_working_token(wire: Wire, verb: str) -> None:
    landed = approve(wire, authorize_url(wire, scope="2", state="s 1&x"))
    assert landed.startswith(SERVER + "?")
    got = query(landed)
    assert got["state"] == "s 1&x" and set(got) == {"code", "state"}
    status, token = exchange(wire, verb, code=got["code"])
    assert status == 200, token
    assert set(token) == {"access_token", "expires_in", "user_id"}
    assert token["user_id"] == USER_ID and token["expires_in"] > 0
    me = wire.ok("users.get", token=token["access_token"])
    assert me[0]["id"] == USER_ID
    # The scope asked (friends) is what the token has: no wall.
    assert wire.ok("account.getAppPermissions", token=token["access_token"]) == 2
    assert wire.error("wall.post", {"message": "x"}, token=token["access_token"])["error_code"] in (
        7,
        15,
    )


def test_a_code_is_single_use(wire: Wire) -> None:
    code = query(approve(wire, authorize_url(wire)))["code"]
    assert exchange(wire, code=code)[0] == 200
    status, again = exchange(wire, code=code)
    assert status == 401
    assert again == {"error": "invalid_grant", "error_description": "Code is invalid or expired."}


def test_a_code_expires_after_an_hour(wire: Wire) -> None:
    code = query(approve(wire, authorize_url(wire)))["code"]
    wire.set("/time", {"skew": CODE_LIFETIME + 5})
    status, answer = exchange(wire, code=code)
    assert (status, answer["error"]) == (401, "invalid_grant")


@pytest.mark.parametrize(
    ("change", "status", "error", "said"),
    [
        ({"client_secret": "wrong"}, 401, "invalid_client", "client_secret is incorrect"),
        ({"client_id": "1"}, 401, "invalid_client", "client_id is incorrect"),
        ({"redirect_uri": "https://other.example/"}, 400, "invalid_request", "redirect_uri"),
        ({"code": ""}, 400, "invalid_request", "code"),
        ({"code": "nope"}, 401, "invalid_grant", "Code is invalid"),
    ],
)
def test_a_refused_exchange_spends_nothing(
    wire: Wire, change: dict[str, str], status: int, error: str, said: str
) -> None:
    code = query(approve(wire, authorize_url(wire)))["code"]
    got_status, answer = exchange(wire, **{"code": code, **change})
    assert got_status == status and answer["error"] == error
    assert said in answer["error_description"]
    assert exchange(wire, code=code)[0] == 200  # the code still works


def test_deny_redirects_with_vks_error(wire: Wire) -> None:
    landed = approve(wire, authorize_url(wire, state="abc"), deny=True)
    assert query(landed) == {
        "error": "access_denied",
        "error_reason": "user_denied",
        "error_description": "User denied your request",
        "state": "abc",
    }


def test_the_code_flow_leaves_out_wall_and_messages(wire: Wire) -> None:
    code = query(approve(wire, authorize_url(wire, scope="friends,wall,messages,offline")))["code"]
    token = exchange(wire, code=code)[1]
    assert token["expires_in"] == 0  # offline: never expires
    assert wire.ok("account.getAppPermissions", token=token["access_token"]) == 2 | 65536


# -- the implicit flow and the blank page ------------------------------------------------------


def test_the_implicit_flow_lands_on_the_sandboxs_blank_page_token_first(wire: Wire) -> None:
    landed = approve(
        wire, authorize_url(wire, response_type="token", redirect_uri=BLANK, scope="4", state="z")
    )
    assert landed.startswith(f"{wire.root}/vk/oauth/blank.html#access_token=")
    got = fragment(landed)
    assert got["state"] == "z" and got["user_id"] == str(USER_ID)
    assert wire.ok("account.getAppPermissions", token=got["access_token"]) == 4
    page = wire.raw("GET", "/vk/oauth/blank.html")
    assert page.status == 200 and b"Copy the address" in page.body


@pytest.mark.parametrize(
    ("params", "error"),
    [
        ({"response_type": "magic"}, "unsupported_response_type"),
        ({"scope": "friends,flying"}, "invalid_scope"),
    ],
)
def test_a_bad_request_is_answered_at_the_redirect(
    wire: Wire, params: dict[str, str], error: str
) -> None:
    landed = approve(wire, authorize_url(wire, state="q", **params))
    assert landed.startswith(SERVER)
    got = query(landed)
    assert got["error"] == error and got["state"] == "q"


@pytest.mark.parametrize(
    "params", [{"client_id": "42"}, {"redirect_uri": "javascript:alert(1)"}, {"redirect_uri": ""}]
)
def test_an_unknown_app_or_redirect_is_never_redirected_to(
    wire: Wire, params: dict[str, str]
) -> None:
    answer = wire.control("/approve", {"authorize_url": authorize_url(wire, **params)})
    assert answer.status == 400
    page = wire.raw("GET", urlsplit(authorize_url(wire, **params))._replace(scheme="", netloc="")
                    .geturl())  # fmt: skip
    assert page.status == 400 and "location" not in page.headers


# -- the page a person sees ------------------------------------------------------------------


def test_the_page_signs_in_and_allows_like_a_browser(wire: Wire) -> None:
    path = urlsplit(authorize_url(wire, scope="2", state="p")).geturl()[len(wire.root) :]
    page = wire.raw("GET", path)
    assert page.status == 200 and USER_LOGIN.encode() in page.body
    ref = re.search(rb'name="request" value="([0-9a-f]+)"', page.body)
    assert ref is not None
    pending = wire.emulator.pending_grants()
    assert [p.ref for p in pending] == [ref[1].decode()] and pending[0].asks == "friends"
    form = {"request": ref[1].decode(), "login": USER_LOGIN, "action": "approve"}
    wrong = wire.raw("POST", path, urlencode({**form, "password": "nope"}).encode(), FORM)
    assert wrong.status == 401 and b"Wrong login or password" in wrong.body
    right = wire.raw("POST", path, urlencode({**form, "password": USER_PASSWORD}).encode(), FORM)
    assert right.status == 303
    code = parse_qs(urlsplit(right.headers["location"]).query)["code"][0]
    assert exchange(wire, code=code)[0] == 200
    assert wire.emulator.pending_grants() == []


def test_the_dashboard_approves_a_pending_authorization(wire: Wire) -> None:
    wire.raw("GET", authorize_url(wire, state="d", redirect_uri=BLANK)[len(wire.root) :])
    (grant,) = wire.emulator.pending_grants()
    landed = grant.approve()
    assert isinstance(landed, str) and query(landed)["state"] == "d"
    assert landed.startswith(f"{wire.root}/vk/oauth/blank.html?code=")
    assert wire.emulator.pending_grants() == []


# -- the password grant ----------------------------------------------------------------------


def test_the_password_grant_gives_a_working_token(wire: Wire) -> None:
    status, token = password_grant(wire, scope=str(2 | 8192))
    assert status == 200 and token["user_id"] == USER_ID
    assert wire.ok("account.getAppPermissions", token=token["access_token"]) == 2 | 8192


def test_a_wrong_password_then_a_captcha(wire: Wire) -> None:
    for _ in range(3):
        status, answer = password_grant(wire, password="wrong")
        assert status == 401 and answer["error"] == "invalid_client"
        assert answer["error_type"] == "username_or_password_is_incorrect"
    status, answer = password_grant(wire)
    assert status == 401 and answer["error"] == "need_captcha"
    sid = answer["captcha_sid"]
    assert answer["captcha_img"].startswith(f"{wire.root}/vk/captcha.php?sid={sid}")
    key = wire.control(f"/captcha/{sid}", verb="GET").json()["key"]
    status, token = password_grant(wire, captcha_sid=sid, captcha_key=key)
    assert status == 200 and "access_token" in token


def test_two_factor_needs_the_code(wire: Wire) -> None:
    login = {"username": USER_2FA_LOGIN, "password": USER_2FA_PASSWORD, "2fa_supported": "1"}
    status, answer = password_grant(wire, **login)
    assert status == 401 and answer["error"] == "need_validation"
    assert answer["validation_type"] == "2fa_app" and "phone_mask" in answer
    status, answer = password_grant(wire, **login, code="000000")
    assert (status, answer["error_type"]) == (401, "wrong_otp")
    status, token = password_grant(wire, **login, code=USER_2FA_CODE)
    assert status == 200 and token["user_id"] != USER_ID


def test_a_phone_check_account_must_open_the_redirect(wire: Wire) -> None:
    status, answer = password_grant(wire, username=USER_PHONE_LOGIN, password=USER_PHONE_PASSWORD)
    assert status == 401 and answer["error"] == "need_validation"
    assert "security_check" in answer["redirect_uri"]


@pytest.mark.parametrize(
    ("change", "error"),
    [
        ({"grant_type": "refresh_token"}, "unsupported_grant_type"),
        ({"client_secret": "x"}, "invalid_client"),
        ({"username": ""}, "invalid_request"),
    ],
)
def test_a_refused_password_grant(wire: Wire, change: dict[str, str], error: str) -> None:
    status, answer = password_grant(wire, **change)
    assert status in (400, 401) and answer["error"] == error
    assert USER_PASSWORD not in str(answer)


def test_a_reset_forgets_codes(wire: Wire) -> None:
    code = query(approve(wire, authorize_url(wire)))["code"]
    wire.set("/reset", {})
    assert exchange(wire, code=code)[0] == 401
