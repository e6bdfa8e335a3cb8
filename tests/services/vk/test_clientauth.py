"""PyVK's ``ClientAuth`` against the real sandbox over loopback: the sign-in pages with each
test user (password; 2FA code; phone digits), a captcha, the permission dialog allowed and
denied, wrong answers as ``AuthError``, the remembered token and session (kept only with
every requested bit), sync and async; and, on an API an auth object made, error 5 renewed
and error 17 validated."""

from __future__ import annotations

import asyncio
import os
import stat
from typing import Any
from urllib.parse import urlencode

import pytest

from tether.services.vk.sandbox.model.auth import USER_2FA_MOBILE, USER_MOBILE
from tether.vk import (
    AsyncClientAuth,
    ClientAuth,
    ServerAuth,
    p_friends,
    p_photos,
    p_wall,
)
from tether.vk.exceptions import APIError, AuthError, AuthorizationFailed


def env(sb: Any) -> dict[str, str]:
    return {"TETHER_SANDBOX": sb.url}


def middle(number: str) -> str:
    return number[2:-2]


class Person:
    """Answers ClientAuth's questions as the test user would, and remembers what was asked."""

    def __init__(self, account: dict[str, Any], **wrong: str) -> None:
        self.account = account
        self.wrong = wrong
        self.asked: list[str] = []
        self.messages: dict[str, dict[str, Any]] = {}
        self.mobile = account.get("phone") or {100: USER_MOBILE, 101: USER_2FA_MOBILE}.get(
            account["user_id"], ""
        )
        self.grant = "yes"
        self.captcha: Any = None

    def ask(self, field: str, **kw: Any) -> str:
        self.asked.append(field)
        self.messages[field] = kw
        if field in self.wrong:
            return self.wrong[field]
        if field == "password":
            return str(self.account["password"])
        if field == "secret_code":
            return str(self.account["code"])
        if field == "phone":
            return middle(self.mobile)
        if field == "grant_access":
            return self.grant
        if field == "captcha":
            return str(self.captcha(kw["img"]))
        raise ValueError(field)


def accounts(sb: Any) -> dict[str, dict[str, Any]]:
    vk = sb.credentials()["vk"]
    return {k: vk[k] for k in ("user", "user_2fa", "user_phone_check")}


def client(sb: Any, account: dict[str, Any], person: Person, tmp: Any, **kw: Any) -> ClientAuth:
    kw.setdefault("token_dir", str(tmp))
    return ClientAuth(username=account["login"], environ=env(sb), input=person, **kw)


@pytest.mark.parametrize(
    ("who", "asked"),
    [
        ("user", ["password", "grant_access"]),
        ("user_2fa", ["password", "secret_code", "grant_access"]),
        ("user_phone_check", ["password", "phone", "grant_access"]),
    ],
)
def test_each_test_user_signs_in_through_the_pages(
    tether_sandbox: Any, tmp_path: Any, who: str, asked: list[str]
) -> None:
    account = accounts(tether_sandbox)[who]
    person = Person(account)
    with client(tether_sandbox, account, person, tmp_path, scope=p_friends | p_wall) as auth:
        auth.auth()
        assert person.asked == asked
        assert auth.user_id == account["user_id"] and auth.scope == p_friends | p_wall
        assert auth.token and auth.token not in repr(auth)
        if who == "user_phone_check":
            assert "+7" in person.messages["phone"]["msg"]
        with auth.api() as api:
            assert api.users.get()[0]["id"] == account["user_id"]
            assert api.account.getAppPermissions() == p_friends | p_wall


def test_the_remembered_token_skips_the_pages_and_lives_in_a_private_file(
    tether_sandbox: Any, tmp_path: Any
) -> None:
    account = accounts(tether_sandbox)["user"]
    first = Person(account)
    with client(tether_sandbox, account, first, tmp_path, scope=p_friends) as auth:
        auth.auth()
        token = auth.token
    (path,) = [p for p in tmp_path.iterdir() if not p.name.startswith(".")]
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    text = path.read_text()
    assert account["password"] not in text and "remixsid" in text
    again = Person(account)
    with client(tether_sandbox, account, again, tmp_path, scope=p_friends) as auth:
        auth.auth()
        assert again.asked == [] and auth.token == token and auth.scope == p_friends


def test_a_remembered_token_lacking_a_bit_is_replaced_without_the_password(
    tether_sandbox: Any, tmp_path: Any
) -> None:
    account = accounts(tether_sandbox)["user"]
    with client(tether_sandbox, account, Person(account), tmp_path, scope=p_friends) as auth:
        auth.auth()
        old = auth.token
    # p_photos (4) is numerically above p_friends (2) yet not granted: a bit test refuses it.
    person = Person(account)
    with client(tether_sandbox, account, person, tmp_path, scope=p_photos) as auth:
        auth.auth()
        assert auth.token != old and auth.scope == p_photos
        # The session cookie spared the password; the new rights needed the dialog.
        assert person.asked == ["grant_access"]


def test_disable_cache_writes_nothing(tether_sandbox: Any, tmp_path: Any) -> None:
    account = accounts(tether_sandbox)["user"]
    person = Person(account)
    with client(tether_sandbox, account, person, tmp_path, disable_cache=True) as auth:
        auth.auth()
        assert auth.token
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("who", "wrong", "said"),
    [
        ("user", {"password": "nope-nope-nope"}, "wrong login or password"),
        ("user_2fa", {"secret_code": "000000"}, "2FA code was wrong"),
        ("user_phone_check", {"phone": "00000000"}, "digits of the phone number"),
        ("user", {"grant_access": "no"}, "did not allow"),
    ],
)
def test_wrong_answers_and_a_denied_dialog_are_auth_errors(
    tether_sandbox: Any, tmp_path: Any, who: str, wrong: dict[str, str], said: str
) -> None:
    account = accounts(tether_sandbox)[who]
    person = Person(account, **wrong)
    with client(tether_sandbox, account, person, tmp_path) as auth:
        with pytest.raises(AuthError, match=said) as info:
            auth.auth()
        assert auth.token is None
        assert account["password"] not in str(info.value)
    assert list(tmp_path.iterdir()) == []


def test_a_captcha_after_three_wrong_passwords_is_asked_and_answered(
    tether_sandbox: Any, tmp_path: Any
) -> None:
    account = accounts(tether_sandbox)["user"]
    for _ in range(3):
        wrong = Person(account, password="W" * 32)
        with client(tether_sandbox, account, wrong, tmp_path) as a, pytest.raises(AuthError):
            a.auth()
    person = Person(account)

    def read(img: str) -> str:
        sid = img.split("sid=")[1].split("&")[0]
        key: str = tether_sandbox.control("GET", f"/_sandbox/vk/captcha/{sid}")["key"]
        return key

    person.captcha = read
    with client(tether_sandbox, account, person, tmp_path) as auth:
        auth.auth()
        assert person.asked == ["password", "captcha", "grant_access"]
        assert "/vk/captcha.php?sid=" in person.messages["captcha"]["img"]


def test_the_async_twin_signs_in_and_remembers(tether_sandbox: Any, tmp_path: Any) -> None:
    account = accounts(tether_sandbox)["user_2fa"]
    person = Person(account)

    async def main() -> tuple[Any, Any]:
        async with AsyncClientAuth(
            username=account["login"], environ=env(tether_sandbox), input=person,
            token_dir=str(tmp_path), scope=p_friends,
        ) as auth:  # fmt: skip
            await auth.auth()
            async with auth.api() as api:
                me = (await api.users.get())[0]["id"]
        async with AsyncClientAuth(
            username=account["login"], environ=env(tether_sandbox), input=person,
            token_dir=str(tmp_path), scope=p_friends,
        ) as again:  # fmt: skip
            await again.auth()
        return me, again.token

    me, token = asyncio.run(main())
    assert me == account["user_id"] and token
    assert person.asked == ["password", "secret_code", "grant_access"]


# -- errors 5 and 17 on an API an auth object made ------------------------------------------


def test_error_5_renews_through_client_auth_with_its_session(
    tether_sandbox: Any, tmp_path: Any
) -> None:
    account = accounts(tether_sandbox)["user"]
    person = Person(account)
    with client(tether_sandbox, account, person, tmp_path, scope=p_friends) as auth:
        auth.auth()
        old = auth.token
        with auth.api() as api:
            tether_sandbox.control("POST", "/_sandbox/vk/expire", {"token": old})
            assert api.users.get()[0]["id"] == account["user_id"]
            assert api.token != old and api.token == auth.token
        # Signed in again on the session cookie: no password, and the app was allowed.
        assert person.asked == ["password", "grant_access"]


def test_error_5_through_an_auth_that_cannot_renew_says_so(tether_sandbox: Any) -> None:
    creds = tether_sandbox.credentials()["vk"]
    auth = ServerAuth(redirect_uri="https://app.example/cb", environ=env(tether_sandbox))
    landed = tether_sandbox.control(
        "POST", "/_sandbox/vk/approve", {"authorize_url": auth.auth_url}
    )["redirect_url"]
    auth.auth(landed, creds["client_secret"])
    with auth.api() as api:
        tether_sandbox.control("POST", "/_sandbox/vk/expire", {"token": auth.token})
        with pytest.raises(AuthorizationFailed, match="cannot renew"):
            api.users.get()
    auth.close()


def test_error_17_is_validated_by_client_auth_on_the_check_page(
    tether_sandbox: Any, tmp_path: Any
) -> None:
    account = accounts(tether_sandbox)["user"]
    person = Person(account)
    with client(tether_sandbox, account, person, tmp_path, scope=p_friends) as auth:
        auth.auth()
        old = auth.token
        with auth.api() as api:
            tether_sandbox.control("POST", "/_sandbox/vk/validation", {"count": 1})
            assert api.users.get()[0]["id"] == account["user_id"]
            assert api.token != old and auth.token == api.token
        assert person.asked == ["password", "grant_access", "phone"]
        with auth.api(validation=False) as plain:
            tether_sandbox.control("POST", "/_sandbox/vk/validation", {"count": 1})
            with pytest.raises(APIError) as info:
                plain.users.get()
            assert info.value.error_code == 17


def test_error_17_through_another_auth_opens_the_page_and_takes_the_new_token(
    tether_sandbox: Any,
) -> None:
    creds = tether_sandbox.credentials()["vk"]
    account = creds["user"]
    opened: list[str] = []

    def browse(effect: Any) -> None:
        opened.append(effect.url)

    class Paster:
        """Passes the check as a person in a browser would (plain HTTP), then pastes."""

        @staticmethod
        def ask(field: str, **kw: Any) -> str:
            assert field == "redirect_url"
            return pass_check(kw["url"], account)

    auth = ServerAuth(
        redirect_uri="https://app.example/cb", environ=env(tether_sandbox), browse=browse,
        input=Paster,
    )  # fmt: skip
    landed = tether_sandbox.control(
        "POST", "/_sandbox/vk/approve", {"authorize_url": auth.auth_url}
    )["redirect_url"]
    auth.auth(landed, creds["client_secret"])
    old = auth.token
    with auth.api() as api:
        tether_sandbox.control("POST", "/_sandbox/vk/validation", {"count": 1})
        assert api.users.get()[0]["id"] == account["user_id"]
        assert api.token != old and auth.token == api.token
    assert len(opened) == 1 and "act=security_check" in opened[0]
    auth.close()


def pass_check(url: str, account: dict[str, Any]) -> str:
    """Sign in on the check page and type the digits, with plain HTTP and a cookie jar."""
    import http.cookiejar
    import urllib.request

    from tether.services.vk.htmlform import read_page

    jar = http.cookiejar.CookieJar()

    class Stop(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, req, fp, code, msg, headers, newurl):  # type: ignore[no-untyped-def]
            if "#" in newurl:
                raise LandedError(newurl)
            return super().redirect_request(req, fp, code, msg, headers, newurl)

    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), Stop)
    try:
        with opener.open(url) as r:
            page = read_page(r.read().decode(), r.geturl())
        fields = dict(page.fields)
        fields.update(email=account["login"], **{"pass": account["password"]})
        with opener.open(page.action, urlencode(fields).encode()) as r:
            page = read_page(r.read().decode(), r.geturl())
        assert page.act == "security_check"
        with opener.open(page.action, urlencode({"code": middle(USER_MOBILE)}).encode()) as r:
            raise AssertionError("the check did not land on blank.html")
    except LandedError as landed:
        return str(landed)


class LandedError(Exception):
    pass
