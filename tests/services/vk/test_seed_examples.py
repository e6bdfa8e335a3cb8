"""Every example of PyVK's documentation (the seed), run as written against the sandbox with
only the import line changed (``from tether.vk import …`` for ``from pyvk import …``), the
password and codes given through ``Input``: sync, and the same on the async twins (``await``
where PyVK returns).

Where an example asks for an API version below what VK serves today (5.21, 5.0: VK answers
error 8 below 5.81), the test lowers the sandbox's floor to it first, as the example's own
VK did then."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

import pytest

from tests.support.both import Both, client_factory
from tether.services.vk import config as vk_config
from tether.vk import (
    API,
    AsyncAPI,
    AsyncClientAuth,
    AsyncServerAuth,
    ClientAuth,
    ServerAuth,
    p_audio,
    p_docs,
    p_groups,
    p_notes,
    p_offline,
)
from tether.vk.exceptions import APIError


class Person:
    """PyVK's ``Input``: what the user types when asked (the ``user_2fa`` test account)."""

    account: ClassVar[dict[str, Any]] = {}
    asked: ClassVar[list[str]] = []

    @classmethod
    def ask(cls, field: str, **kw: Any) -> str:
        cls.asked.append(field)
        if field == "password":
            return str(cls.account["password"])
        if field == "secret_code":
            return str(cls.account["code"])
        if field == "grant_access":
            return "allow"
        raise ValueError(field)


@pytest.fixture(params=["sync", "async"])
def mode(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def sb(tether_sandbox: Any) -> Any:
    Person.account = tether_sandbox.credentials()["vk"]["user_2fa"]
    Person.asked = []
    return tether_sandbox


@pytest.fixture
def client_auth(mode: str, sb: Any, tmp_path: Path) -> Iterator[Any]:
    """``ClientAuth(app_id=…, username=…)`` (or its async twin) on the sandbox."""
    yield from client_factory(
        mode,
        ClientAuth,
        AsyncClientAuth,
        environ={"TETHER_SANDBOX": sb.url},
        input=Person,
        token_dir=str(tmp_path),
    )


@pytest.fixture
def server_auth(mode: str, sb: Any) -> Iterator[Any]:
    yield from client_factory(mode, ServerAuth, AsyncServerAuth, environ={"TETHER_SANDBOX": sb.url})


@pytest.fixture
def api_of(mode: str, sb: Any) -> Iterator[Any]:
    """``API(...)`` (or ``AsyncAPI``) pointed at the sandbox's API, no token filled in."""
    url = sb.credentials()["vk"]["api_url"]
    yield from client_factory(mode, API, AsyncAPI, environ={}, api_url=url)


def signed_in(client_auth: Any, sb: Any) -> Both:
    vk = sb.credentials()["vk"]
    auth = client_auth(app_id=vk["app_id"], username=Person.account["login"])
    auth.auth()
    return auth


def on(auth: Both, api: Any) -> Both:
    """The API an auth object spawned, driven the same way (awaited on the async twin)."""
    return Both(api, auth.loop)


def test_the_intro_example(client_auth: Any, sb: Any) -> None:
    sb.control("POST", "/_sandbox/vk/settings", {"min_version": "5.21"})
    auth = signed_in(client_auth, sb)
    api = on(auth, auth.client.api(version="5.21", lang="en"))
    assert api.users.get(user_ids=[210700286], fields=["bdate"]) == [
        {
            "id": 210700286,
            "first_name": "Lindsey",
            "last_name": "Stirling",
            "bdate": "21.9.1986",
            "can_access_closed": True,
            "is_closed": False,
        }
    ]
    assert Person.asked == ["password", "secret_code", "grant_access"]


def test_client_auth_remembers_the_token_and_asks_nothing_next_time(
    client_auth: Any, sb: Any
) -> None:
    first = signed_in(client_auth, sb)
    Person.asked.clear()
    again = signed_in(client_auth, sb)
    assert Person.asked == [] and again.token == first.token
    api = on(again, again.client.api())
    assert api.users.get()[0]["id"] == Person.account["user_id"]


def test_server_auth_then_an_api_made_from_the_stored_token(
    server_auth: Any, api_of: Any, sb: Any
) -> None:
    vk = sb.credentials()["vk"]
    from tether.vk import p_audio, p_photos

    auth = server_auth(
        app_id=vk["app_id"], redirect_uri="https://example-server/vkauth", scope=p_photos | p_audio
    )
    url = auth.auth_url
    assert url.startswith(vk["oauth_url"] + "authorize?") and "response_type=code" in url
    landed = sb.control("POST", "/_sandbox/vk/approve", {"authorize_url": url})["redirect_url"]
    code = dict(parse_qsl(urlsplit(landed).query))["code"]
    # App Server: GET /vkauth?code=<...>
    auth = server_auth(app_id=vk["app_id"], redirect_uri="https://example-server/vkauth")
    auth.auth(code=code, client_secret=vk["client_secret"])
    db = {"token": auth.token}
    # Elsewhere, elsewhen:
    api = api_of(token=db["token"])
    assert api.users.get()[0]["id"] == vk["user_id"]


def test_a_handful_of_methods_need_no_token(api_of: Any) -> None:
    api = api_of()
    assert api.users.getFollowers(user_id=1, count=1) == {"count": 1500, "items": [50001]}


def test_api_from_a_token_and_call_without_attribute_chaining(api_of: Any, sb: Any) -> None:
    vk = api_of(token=sb.credentials()["vk"]["access_token"])
    info = vk.call("account.getInfo")
    assert {"2fa_required", "country", "https_required", "lang"} <= set(info)
    assert vk.users.get(user_ids=[-1 + 2, 3], fields=["bdate"])[1]["id"] == 3  # ints, lists


def test_api_errors_are_caught_as_exceptions(client_auth: Any, sb: Any) -> None:
    auth = signed_in(client_auth, sb)  # p_basic: no docs
    api = on(auth, auth.client.api())
    try:
        api.docs.get()
    except APIError as exc:
        message = "Error %d: %s" % (exc.error_code, exc.error_msg)  # noqa: UP031 - the seed's
    assert message == "Error 15: Access denied: no access to call this method"


def test_too_many_requests_per_second_is_waited_out_with_pyvks_log_line(
    client_auth: Any, sb: Any, caplog: pytest.LogCaptureFixture
) -> None:
    auth = signed_in(client_auth, sb)
    sb.control("POST", "/_sandbox/vk/rate", {"per_second": 4})
    # rate_limit=0: no pacing of its own, so this client meets VK's error 6, as PyVK does.
    api = on(auth, auth.client.api(rate_limit=0))
    caplog.set_level(logging.INFO, logger="tether.vk")
    got = [api.users.get(user_ids=[i])[0]["id"] for i in range(1, 13)]
    assert got == list(range(1, 13))
    waits = [r.getMessage() for r in caplog.records if "Too many requests" in r.getMessage()]
    assert waits and all(m.startswith("Too many requests per second. Wait ") for m in waits)
    assert sb.stats("vk")["error_6"] == len(waits)


def test_a_dumber_handler_raises_instead(client_auth: Any, sb: Any) -> None:
    auth = signed_in(client_auth, sb)
    sb.control("POST", "/_sandbox/vk/rate", {"per_second": 1})
    api = on(auth, auth.client.api(auto_delay=False, validation=False, rate_limit=0))
    with pytest.raises(APIError) as info:
        for i in range(1, 5):
            api.users.get(user_ids=[i])
    assert info.value.error_code == 6


def test_raw_answers(client_auth: Any, sb: Any) -> None:
    auth = signed_in(client_auth, sb)
    api = on(auth, auth.client.api(raw=True))
    answer = api.docs.get()
    assert answer["error"]["error_code"] == 15
    assert answer["error"]["error_msg"] == "Access denied: no access to call this method"


def test_access_rights_are_bits_given_as_scope(client_auth: Any, sb: Any) -> None:
    vk = sb.credentials()["vk"]
    auth = client_auth(
        app_id=vk["app_id"], username=Person.account["login"], scope=p_audio | p_offline
    )
    auth.auth()
    assert auth.scope & (p_audio | p_offline) == p_audio | p_offline


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """A file for PyVK's ``log_file`` option; ``tether.vk``'s handler and level undone after."""
    logger = logging.getLogger("tether.vk")
    level = logger.level
    yield tmp_path / "auth.log"
    for key in [k for k in vk_config._HANDLERS if k[0] == str(tmp_path / "auth.log")]:
        handler = vk_config._HANDLERS.pop(key)
        logger.removeHandler(handler)
        handler.close()
    logger.setLevel(level)


def test_the_options_example(
    client_auth: Any, server_auth: Any, api_of: Any, sb: Any, log_file: Path
) -> None:
    vk = sb.credentials()["vk"]
    sb.control("POST", "/_sandbox/vk/settings", {"min_version": "5.0"})
    auth = client_auth(
        app_id=vk["app_id"],
        username=Person.account["login"],
        timeout=20.05,
        version="5.0",
        disable_cache=True,
    )
    auth.auth()
    assert on(auth, auth.client.api()).users.get()[0]["id"] == Person.account["user_id"]
    server = server_auth(
        app_id=vk["app_id"],
        username=Person.account["login"],
        log_file=str(log_file),  # the seed's '/logs/auth.log', here in a folder that exists
        scope=p_groups | p_notes,
    )
    assert f"scope={p_groups | p_notes}" in server.auth_url
    assert "redirect_uri=https%3A%2F%2Foauth.vk.com%2Fblank.html" in server.auth_url
    api = api_of(token=vk["access_token"], scope=p_docs, lang="ru", max_attempts=10)
    assert api.docs.get()["count"] >= 0
    # The log file gets tether.vk's lines at INFO, in PyVK's format: a wait on error 9 is one.
    sb.control("POST", "/_sandbox/vk/flood", {"method": "docs.get", "count": 1})
    api.docs.get()
    (line,) = log_file.read_text().splitlines()
    assert " tether.vk INFO: Flood control: too many similar actions. Wait " in line


def test_a_log_file_that_cannot_be_opened_is_a_usage_error(tmp_path: Path) -> None:
    from tether.core.errors import UsageError

    with pytest.raises(UsageError, match="cannot be opened for writing"):
        API("t", environ={}, log_file=str(tmp_path / "no" / "such" / "folder.log"))
