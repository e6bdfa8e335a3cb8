"""VK's OAuth logins driven by hand (no socket): ``auth_url`` encoding and ``state``, the code
exchange, the implicit flow's Browse and Prompt, the password grant's rounds, and VK's error
answers as ``AuthError`` with VK's fields."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.flowdriver import Driver
from tests.services.vk.scripted import Unused, answers, form
from tether.core.errors import TetherError
from tether.core.flow import Prompt
from tether.core.messages import Request, Response
from tether.vk import (
    API,
    AsyncAPI,
    AsyncImplicitAuth,
    AsyncServerAuth,
    DirectAuth,
    ImplicitAuth,
    ServerAuth,
    p_friends,
    p_offline,
    p_photos,
    p_wall,
)
from tether.vk.exceptions import APIError, AuthError, InvalidToken

CODE = "C" * 18
SECRET = "S" * 20  # suite canaries: neither may reach a log line
TOKEN = "T" * 40
REDIRECT = "https://app.example/vk auth?x=1&y=2"
GRANTED = {"response": p_friends | p_offline}


def fixed(n: int) -> str:
    return "fixedstate"


def server(**options: Any) -> ServerAuth:
    options.setdefault("environ", {})
    return ServerAuth(42, REDIRECT, transport=Unused(), entropy=fixed, **options)


def token_answer(**extra: Any) -> dict[str, Any]:
    return {"access_token": TOKEN, "expires_in": 0, "user_id": 7, **extra}


def test_auth_url_is_encoded_with_state_scope_display_and_version() -> None:
    auth = server(scope=p_friends | p_photos, display="popup", version="5.199")
    parts = urlsplit(auth.auth_url)
    assert f"{parts.scheme}://{parts.netloc}{parts.path}" == "https://oauth.vk.com/authorize"
    got = dict(parse_qsl(parts.query))
    assert got == {
        "response_type": "code",
        "client_id": "42",
        "redirect_uri": REDIRECT,
        "scope": "6",
        "state": "fixedstate",
        "display": "popup",
        "v": "5.199",
    }
    assert " " not in auth.auth_url and "x=1&y=2" not in auth.auth_url  # encoded
    assert auth.state == "fixedstate"
    assert server(state="mine").state == "mine"


def test_the_default_scope_is_offline_and_the_state_random() -> None:
    a = ServerAuth(42, REDIRECT, transport=Unused(), environ={})
    b = ServerAuth(42, REDIRECT, transport=Unused(), environ={})
    assert dict(parse_qsl(urlsplit(a.auth_url).query))["scope"] == str(p_offline)
    assert a.state != b.state and len(a.state) >= 24


def test_auth_trades_the_code_and_asks_what_the_token_grants() -> None:
    auth = server()
    d = Driver(answers(token_answer(), GRANTED))
    d.run(auth._code_flow(CODE, SECRET))
    exchange, check = d.sent
    assert exchange.method == "POST" and exchange.url == "https://oauth.vk.com/access_token"
    sent = form(exchange)
    assert sent["code"] == CODE and sent["client_secret"] == SECRET
    assert sent["client_id"] == "42" and sent["redirect_uri"] == REDIRECT
    assert check.url == "https://api.vk.com/method/account.getAppPermissions"
    assert form(check)["access_token"] == TOKEN
    assert (auth.token, auth.scope, auth.user_id) == (TOKEN, p_friends | p_offline, 7)
    assert TOKEN not in repr(auth) and SECRET not in repr(exchange)


def test_a_whole_redirect_is_checked_for_its_state() -> None:
    auth = server()
    d = Driver(answers(token_answer(), GRANTED))
    d.run(auth._code_flow(f"{REDIRECT}&code={CODE}&state=fixedstate", SECRET))
    assert form(d.sent[0])["code"] == CODE and auth.token == TOKEN
    forged = server()
    with pytest.raises(AuthError, match="state differs"):
        Driver(answers()).run(forged._code_flow(f"https://x/?code={CODE}&state=evil", SECRET))
    assert forged.token is None


@pytest.mark.parametrize(
    ("answer", "error", "said"),
    [
        ({"error": "invalid_grant", "error_description": "Code is invalid or expired."},
         "invalid_grant", "Code is invalid or expired."),
        ({"error": "invalid_client", "error_description": "client_secret is incorrect"},
         "invalid_client", "client_secret is incorrect"),
    ],
)  # fmt: skip
def test_vks_oauth_errors_are_auth_errors_with_its_description(
    answer: dict[str, str], error: str, said: str
) -> None:
    auth = server()
    with pytest.raises(AuthError) as info:
        Driver(answers(Response(401, (), json.dumps(answer).encode()))).run(
            auth._code_flow(CODE, SECRET)
        )
    e = info.value
    assert e.error == error and e.error_description == said and said in str(e)
    assert isinstance(e, TetherError) and SECRET not in str(e) and CODE not in str(e)
    assert auth.token is None and auth.scope is None


def test_an_answer_that_is_not_json_is_an_auth_error() -> None:
    with pytest.raises(AuthError, match="Unexpected response"):
        Driver(answers(b"<html>oops</html>")).run(server()._code_flow(CODE, SECRET))


def test_a_token_vk_then_refuses_is_invalid_token() -> None:
    refused = {"error": {"error_code": 5, "error_msg": "User authorization failed"}}
    auth = server()
    with pytest.raises(InvalidToken):
        Driver(answers(token_answer(), refused)).run(auth._code_flow(CODE, SECRET))
    assert auth.token is None


def test_api_before_auth_is_an_auth_error_and_after_it_inherits_options() -> None:
    auth = server(lang="ru", max_attempts=2)
    with pytest.raises(AuthError, match="auth\\(\\) first"):
        auth.api()
    Driver(answers(token_answer(), GRANTED)).run(auth._code_flow(CODE, SECRET))
    api = auth.api(max_attempts=3)
    assert isinstance(api, API) and api.token == TOKEN
    assert api.config.lang == "ru" and api.config.max_attempts == 3


def test_the_async_twin_builds_the_same_auth_url() -> None:
    auth = AsyncServerAuth(42, REDIRECT, transport=Unused(), environ={}, entropy=fixed)
    assert auth.auth_url == server().auth_url


# -- the implicit flow ---------------------------------------------------------------------


def implicit(**options: Any) -> ImplicitAuth:
    return ImplicitAuth(42, transport=Unused(), environ={}, entropy=fixed, **options)


def test_the_implicit_flow_browses_asks_and_takes_the_fragment() -> None:
    auth = implicit(scope=p_photos)
    pasted = f"https://oauth.vk.com/blank.html#access_token={TOKEN}&expires_in=86400&user_id=7&state=fixedstate"
    d = Driver(answers({"response": p_photos}), prompt=lambda p: pasted)
    d.run(auth._implicit_flow())
    (url,) = d.browsed
    got = dict(parse_qsl(urlsplit(url).query))
    assert got["response_type"] == "token" and got["scope"] == str(p_photos)
    assert got["redirect_uri"] == "https://oauth.vk.com/blank.html" and got["state"] == "fixedstate"
    (asked,) = d.prompts
    assert asked.kind == "redirect_url" and asked.data["url"] == url
    assert (auth.token, auth.scope, auth.user_id) == (TOKEN, p_photos, 7)


@pytest.mark.parametrize(
    ("pasted", "match"),
    [
        (f"https://oauth.vk.com/blank.html#access_token={TOKEN}&state=other", "state differs"),
        ("https://oauth.vk.com/blank.html#error=access_denied&error_reason=user_denied"
         "&error_description=User%20denied%20your%20request&state=fixedstate",
         "User denied your request"),
        ("https://oauth.vk.com/blank.html#state=fixedstate", "no access token"),
    ],
)  # fmt: skip
def test_a_wrong_paste_is_refused(pasted: str, match: str) -> None:
    auth = implicit()
    with pytest.raises(AuthError, match=match):
        Driver(answers(), prompt=lambda p: pasted).run(auth._implicit_flow())
    assert auth.token is None


# -- the password grant --------------------------------------------------------------------


def direct(**options: Any) -> DirectAuth:
    return DirectAuth(42, "someone", SECRET, transport=Unused(), environ={}, **options)


def test_the_password_grant_asks_the_password_and_sends_it_once() -> None:
    auth = direct(scope=p_friends)
    d = Driver(answers(token_answer(), GRANTED), prompt=lambda p: "pw-123")
    d.run(auth._password_flow())
    sent = form(d.sent[0])
    assert d.sent[0].url == "https://oauth.vk.com/token"
    assert sent["grant_type"] == "password" and sent["username"] == "someone"
    assert sent["password"] == "pw-123" and sent["2fa_supported"] == "1"
    assert sent["scope"] == str(p_friends) and sent["client_secret"] == SECRET
    assert [p.kind for p in d.prompts] == ["password"]
    assert auth.token == TOKEN and "pw-123" not in repr(vars(auth))


def test_the_password_grant_answers_2fa_and_captcha_rounds() -> None:
    need_2fa = {"error": "need_validation", "validation_type": "2fa_app", "phone_mask": "+7"}
    captcha = {"error": "need_captcha", "captcha_sid": "55", "captcha_img": "https://c/?sid=55"}
    replies = {"password": "pw", "secret_code": " 424242 ", "captcha": "k3y"}

    def ask(p: Prompt) -> str:
        return replies[p.kind]

    statuses = [Response(401, (), json.dumps(b).encode()) for b in (need_2fa, captcha)]
    d = Driver(answers(*statuses, token_answer(), GRANTED), prompt=ask)
    auth = direct()
    d.run(auth._password_flow())
    assert [p.kind for p in d.prompts] == ["password", "secret_code", "captcha"]
    assert d.prompts[2].data == {"img": "https://c/?sid=55"}
    last = form(d.sent[2])
    assert last["code"] == "424242" and last["captcha_sid"] == "55" and last["captcha_key"] == "k3y"
    assert auth.token == TOKEN


def test_a_validation_in_a_browser_is_an_auth_error_naming_the_page() -> None:
    body = {"error": "need_validation", "error_description": "please open redirect_uri in browser",
            "redirect_uri": "https://oauth.vk.com/security_check?x=1"}  # fmt: skip
    with pytest.raises(AuthError) as info:
        Driver(answers(Response(401, (), json.dumps(body).encode())), prompt=lambda p: "pw").run(
            direct()._password_flow()
        )
    assert info.value.redirect_uri == body["redirect_uri"]
    assert "open redirect_uri" in str(info.value) and "pw" not in str(info.value).split()


def test_a_wrong_password_is_an_auth_error() -> None:
    body = {"error": "invalid_client", "error_description": "Username or password is incorrect"}
    with pytest.raises(AuthError, match="Username or password is incorrect"):
        Driver(answers(Response(401, (), json.dumps(body).encode())), prompt=lambda p: "pw").run(
            direct()._password_flow()
        )


def test_missing_app_or_secret_is_refused_up_front() -> None:
    with pytest.raises(AuthError):
        DirectAuth(42, "u", None, transport=Unused(), environ={})
    with pytest.raises(AuthError):
        ServerAuth(None, REDIRECT, transport=Unused(), environ={})


def test_requests_keep_the_secrets_out_of_their_repr() -> None:
    d = Driver(answers(token_answer(), GRANTED), prompt=lambda p: "pw-123")
    d.run(direct()._password_flow())
    request: Request = d.sent[0]
    assert "pw-123" not in repr(request) and SECRET not in repr(request)


# -- end to end: the real client against the real sandbox -----------------------------------

CALLBACK = "https://app.example/vkauth"


def env(sb: Any) -> dict[str, str]:
    return {"TETHER_SANDBOX": sb.url}


def approve(sb: Any, url: str, deny: bool = False) -> str:
    landed: str = sb.control("POST", "/_sandbox/vk/approve", {"authorize_url": url, "deny": deny})[
        "redirect_url"
    ]
    return landed


def test_server_auth_on_the_sandbox_code_to_api_with_the_scope_enforced(
    tether_sandbox: Any,
) -> None:
    creds = tether_sandbox.credentials()["vk"]
    auth = ServerAuth(redirect_uri=CALLBACK, scope=p_friends | p_wall, environ=env(tether_sandbox))
    assert auth.auth_url.startswith(creds["oauth_url"] + "authorize?")
    landed = approve(tether_sandbox, auth.auth_url)
    assert landed.startswith(CALLBACK + "?")
    auth.auth(landed, creds["client_secret"])
    assert auth.scope == p_friends  # VK's code flow leaves wall out
    assert auth.user_id == creds["user_id"] and auth.token != creds["access_token"]
    with auth.api() as api:
        assert api.users.get()[0]["id"] == creds["user_id"]
        assert api.account.getAppPermissions() == p_friends
        with pytest.raises(APIError) as info:
            api.wall.post(message="not allowed")
        assert info.value.error_code in (7, 15)


def test_a_code_reused_expired_or_with_a_wrong_secret_is_refused(tether_sandbox: Any) -> None:
    creds = tether_sandbox.credentials()["vk"]
    auth = ServerAuth(redirect_uri=CALLBACK, environ=env(tether_sandbox))
    code = dict(parse_qsl(urlsplit(approve(tether_sandbox, auth.auth_url)).query))["code"]
    with pytest.raises(AuthError) as wrong:
        auth.auth(code, "not-the-secret")
    assert wrong.value.error == "invalid_client" and auth.token is None
    auth.auth(code, creds["client_secret"])
    with pytest.raises(AuthError) as reused:
        ServerAuth(redirect_uri=CALLBACK, environ=env(tether_sandbox)).auth(
            code, creds["client_secret"]
        )
    assert reused.value.error_description == "Code is invalid or expired."
    late = dict(parse_qsl(urlsplit(approve(tether_sandbox, auth.auth_url)).query))["code"]
    tether_sandbox.control("POST", "/_sandbox/vk/time", {"skew": 3700})
    with pytest.raises(AuthError, match="invalid_grant"):
        auth.auth(late, creds["client_secret"])


def test_a_denied_dialog_is_an_auth_error(tether_sandbox: Any) -> None:
    auth = ServerAuth(redirect_uri=CALLBACK, environ=env(tether_sandbox))
    with pytest.raises(AuthError, match="User denied your request"):
        auth.auth(approve(tether_sandbox, auth.auth_url, deny=True), "x")


class Person:
    """A user who approves in the sandbox whatever the Browse opened and pastes the address."""

    def __init__(self, sb: Any) -> None:
        self.sb = sb
        self.landed: list[str] = []
        self.asked: list[str] = []

    def browse(self, effect: Any) -> None:
        self.landed.append(approve(self.sb, effect.url))

    def ask(self, field: str, **kw: Any) -> str:
        self.asked.append(field)
        return self.landed[-1]


def test_the_implicit_flow_on_the_sandbox(tether_sandbox: Any) -> None:
    person = Person(tether_sandbox)
    auth = ImplicitAuth(
        scope=p_photos, environ=env(tether_sandbox), browse=person.browse, input=person
    )
    auth.auth()
    assert (
        person.asked == ["redirect_url"]
        and "/vk/oauth/blank.html#access_token=" in person.landed[0]
    )
    assert auth.scope == p_photos
    with auth.api() as api:
        assert api.users.get()[0]["id"] == auth.user_id


def test_the_async_twins_on_the_sandbox(tether_sandbox: Any) -> None:
    creds = tether_sandbox.credentials()["vk"]
    person = Person(tether_sandbox)

    async def main() -> tuple[Any, Any]:
        server_auth = AsyncServerAuth(redirect_uri=CALLBACK, environ=env(tether_sandbox))
        await server_auth.auth(
            approve(tether_sandbox, server_auth.auth_url), creds["client_secret"]
        )
        implicit_auth = AsyncImplicitAuth(
            environ=env(tether_sandbox), browse=person.browse, input=person
        )
        await implicit_auth.auth()
        out = []
        for auth in (server_auth, implicit_auth):
            api = auth.api()
            assert isinstance(api, AsyncAPI)
            async with api:
                out.append((await api.users.get())[0]["id"])
            await auth.close()
        return out[0], out[1]

    assert asyncio.run(main()) == (creds["user_id"], creds["user_id"])


def test_the_password_grant_on_the_sandbox_with_2fa(tether_sandbox: Any) -> None:
    account = tether_sandbox.credentials()["vk"]["user_2fa"]
    replies = {"password": account["password"], "secret_code": account["code"]}

    class Answers:
        @staticmethod
        def ask(field: str, **kw: Any) -> str:
            return replies[field]

    auth = DirectAuth(
        username=account["login"], scope=p_friends, environ=env(tether_sandbox), input=Answers
    )
    auth.auth()
    assert auth.user_id == account["user_id"] and auth.scope == p_friends
    with auth.api() as api:
        assert api.users.get()[0]["id"] == account["user_id"]

    class WrongPassword:
        @staticmethod
        def ask(field: str, **kw: Any) -> str:
            return "wrong"

    wrong = DirectAuth(username=account["login"], environ=env(tether_sandbox), input=WrongPassword)
    with pytest.raises(AuthError, match="Username or password is incorrect") as info:
        wrong.auth()
    assert info.value.error == "invalid_client" and wrong.token is None
