"""The VK emulator's sign-in pages (login.py) driven by hand with plain HTTP and the form
reader: each page holds exactly one form whose action carries ``act=``, wrong answers come
back with ``service_msg_warning``, the session cookie skips the password (and, once allowed,
the dialog), Cancel lands on ``error=access_denied``, and error 17's check page gives a new
token in ``success=1&access_token=…``."""

from __future__ import annotations

import http.client
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tests.services.vk.sandbox.wire import Answer, Wire
from tether.services.vk.htmlform import LoginPage, read_page
from tether.services.vk.sandbox.model.auth import (
    APP_ID,
    USER_2FA_CODE,
    USER_2FA_LOGIN,
    USER_2FA_PASSWORD,
    USER_ID,
    USER_LOGIN,
    USER_MOBILE,
    USER_PASSWORD,
    USER_PHONE,
    USER_PHONE_LOGIN,
    USER_PHONE_PASSWORD,
)

FORM = {"Content-Type": "application/x-www-form-urlencoded"}
AUTHORIZE = "/vk/oauth/authorize?" + urlencode(
    {"client_id": APP_ID, "display": "mobile", "redirect_uri": "https://oauth.vk.com/blank.html",
     "scope": "2", "response_type": "token", "v": "5.131"}
)  # fmt: skip


class Browser:
    """One person's cookies, over ``Wire``."""

    def __init__(self, wire: Wire) -> None:
        self.wire = wire
        self.cookies: dict[str, str] = {}

    def go(self, verb: str, url: str, fields: dict[str, str] | None = None) -> Answer:
        path = url[len(self.wire.root) :] if url.startswith("http") else url
        headers = dict(FORM) if verb == "POST" else {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = urlencode(fields or {}).encode() if verb == "POST" else None
        parts = urlsplit(self.wire.root)
        conn = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=30)
        try:
            conn.request(verb, path, body=body, headers=headers)
            r = conn.getresponse()
            pairs = r.getheaders()
            answer = Answer(r.status, {k.lower(): v for k, v in pairs}, r.read())
        finally:
            conn.close()
        for name, value in pairs:  # every Set-Cookie, not only the last
            if name.lower() == "set-cookie":
                k, _, v = value.split(";")[0].partition("=")
                self.cookies[k.strip()] = v
        return answer

    def follow(self, answer: Answer) -> Answer:
        while answer.status in (302, 303) and "#" not in answer.headers["location"]:
            answer = self.go("GET", answer.headers["location"])
        return answer

    def page(self, answer: Answer) -> LoginPage:
        assert answer.status == 200, (answer.status, answer.body[:200])
        assert answer.body.count(b"<form") == 1
        return read_page(answer.body.decode(), self.wire.root + "/vk/")

    def submit(self, page: LoginPage, **fields: str) -> Answer:
        return self.follow(self.go("POST", page.action, {**dict(page.fields), **fields}))


def fragment(answer: Answer) -> dict[str, str]:
    assert answer.status == 302
    return dict(parse_qsl(urlsplit(answer.headers["location"]).fragment))


def test_password_then_dialog_then_token_first_in_the_fragment(wire: Wire) -> None:
    b = Browser(wire)
    login = b.page(b.go("GET", AUTHORIZE))
    assert login.act == "login" and {"_origin", "ip_h", "lg_h", "to", "email", "pass"} <= {
        k for k, _ in login.fields
    }
    assert login.action.startswith(wire.root + "/vk/login?act=login")
    wrong = b.page(b.submit(login, email=USER_LOGIN, **{"pass": "nope-nope-nope"}))
    assert wrong.warning == "Invalid login or password." and wrong.act == "login"
    dialog = b.page(b.submit(wrong, email=USER_LOGIN, **{"pass": USER_PASSWORD}))
    assert dialog.act == "grant_access" and dialog.fields == () and "friends" in dialog.text
    assert "remixsid" in b.cookies and b.cookies["l"] == str(USER_ID)
    done = b.go("POST", dialog.action)
    location = done.headers["location"]
    assert urlsplit(location).fragment.startswith("access_token=")
    got = fragment(done)
    assert got["user_id"] == str(USER_ID)
    assert wire.ok("account.getAppPermissions", token=got["access_token"]) == 2
    # The session and the allowed rights: the next authorize answers the token at once.
    again = b.go("GET", AUTHORIZE)
    assert "access_token" in fragment(again)
    # revoke=1 shows the dialog even so; a stranger without the cookie gets the password page.
    assert b.page(b.go("GET", AUTHORIZE + "&revoke=1")).act == "grant_access"
    assert Browser(wire).page(Browser(wire).go("GET", AUTHORIZE)).act == "login"


def test_the_2fa_and_phone_pages_take_wrong_answers_then_right_ones(wire: Wire) -> None:
    b = Browser(wire)
    login = b.page(b.go("GET", AUTHORIZE))
    code = b.page(b.submit(login, email=USER_2FA_LOGIN, **{"pass": USER_2FA_PASSWORD}))
    assert code.act == "authcheck_code" and ("remember", "1") in code.fields
    wrong = b.page(b.submit(code, code="000000"))
    assert wrong.warning == "Incorrect code." and wrong.act == "authcheck_code"
    assert b.page(b.submit(wrong, code=USER_2FA_CODE)).act == "grant_access"

    p = Browser(wire)
    login = p.page(p.go("GET", AUTHORIZE))
    check = p.page(p.submit(login, email=USER_PHONE_LOGIN, **{"pass": USER_PHONE_PASSWORD}))
    assert check.act == "security_check" and len(check.rows) == 2
    assert check.prefixes == (USER_PHONE[:2], USER_PHONE[-2:])
    bad = p.page(p.follow(p.go("POST", check.action, {"code": "1"})))
    assert bad.warning and bad.act == "security_check"
    assert p.page(p.submit(bad, code=USER_PHONE[2:-2])).act == "grant_access"


def test_cancel_is_a_link_landing_on_access_denied(wire: Wire) -> None:
    b = Browser(wire)
    login = b.page(b.go("GET", AUTHORIZE))
    dialog = b.page(b.submit(login, email=USER_LOGIN, **{"pass": USER_PASSWORD}))
    assert "cancel=1" in dialog.cancel
    got = fragment(b.go("GET", dialog.cancel))
    assert got["error"] == "access_denied" and got["error_reason"] == "user_denied"


def test_a_captcha_after_three_wrong_passwords(wire: Wire) -> None:
    b = Browser(wire)
    page = b.page(b.go("GET", AUTHORIZE))
    for _ in range(3):
        page = b.page(b.submit(page, email=USER_LOGIN, **{"pass": "nope-nope-nope"}))
    assert "captcha_sid" in dict(page.fields) and "/vk/captcha.php?sid=" in page.image
    sid = dict(page.fields)["captcha_sid"]
    key: Any = wire.control(f"/captcha/{sid}", verb="GET").json()["key"]
    ok = b.submit(page, email=USER_LOGIN, captcha_key=key, **{"pass": USER_PASSWORD})
    assert b.page(ok).act == "grant_access"


def test_error_17s_page_checks_the_digits_then_gives_a_new_token(wire: Wire) -> None:
    wire.set("/validation", {"count": 1})
    error = wire.error("users.get")
    assert error["error_code"] == 17
    b = Browser(wire)
    login = b.page(b.go("GET", error["redirect_uri"]))
    assert login.act == "login"
    check = b.page(b.submit(login, email=USER_LOGIN, **{"pass": USER_PASSWORD}))
    assert check.act == "security_check"
    done = b.go("POST", check.action, {"code": USER_MOBILE[2:-2]})
    got = fragment(done)
    assert urlsplit(done.headers["location"]).fragment.startswith("success=1&access_token=")
    assert got["user_id"] == str(USER_ID)
    assert wire.ok("users.get", token=got["access_token"])[0]["id"] == USER_ID
    # With the session now open, the next check asks the digits at once.
    wire.set("/validation", {"count": 1})
    again = b.page(b.follow(b.go("GET", wire.error("users.get")["redirect_uri"])))
    assert again.act == "security_check"


def test_a_spent_or_unknown_step_has_no_form(wire: Wire) -> None:
    b = Browser(wire)
    answer = b.go("GET", "/vk/login?act=authcheck&hash=deadbeef")
    assert answer.status == 400 and b"<form" not in answer.body
