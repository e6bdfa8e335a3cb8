"""The plugin's ready client fixtures, used as a user would: one line per test, against the
session sandbox (sync and async twins), and the registry's ``ready_client`` they are built on."""

from __future__ import annotations

from typing import Any

import pytest

from tether.flickr import AsyncFlickrAPI, FlickrAPI
from tether.ovh import AsyncClient, Client
from tether.services import registry


def test_tether_ovh_is_signed_with_the_ready_consumer_key(tether_ovh: Any) -> None:
    assert isinstance(tether_ovh, Client)
    assert tether_ovh.get("/me")["firstname"]  # needs a validated consumer key


def test_tether_flickr_has_the_ready_oauth_token(tether_flickr: Any, tether_sandbox: Any) -> None:
    assert isinstance(tether_flickr, FlickrAPI)
    user = tether_sandbox.credentials()["flickr"]["user"]
    rsp = tether_flickr.test.login()  # needs a signed call with a token
    assert rsp.find("user/username").text == user["username"]
    assert tether_flickr.oauth_token.access_level == "delete"


async def test_tether_ovh_async(tether_ovh_async: Any) -> None:
    assert isinstance(tether_ovh_async, AsyncClient)
    assert (await tether_ovh_async.get("/me"))["firstname"]


async def test_tether_flickr_async(tether_flickr_async: Any, tether_sandbox: Any) -> None:
    assert isinstance(tether_flickr_async, AsyncFlickrAPI)
    user = tether_sandbox.credentials()["flickr"]["user"]
    rsp = await tether_flickr_async.test.login()
    assert rsp.find("user/username").text == user["username"]


def test_the_fixtures_start_from_the_seeded_state(tether_ovh: Any, tether_sandbox: Any) -> None:
    # tether_sandbox is reset before the client is built: no requests counted yet.
    assert tether_sandbox.stats("ovh")["total"] == 0
    tether_ovh.get("/me")
    assert tether_sandbox.stats("ovh")["total"] >= 1


@pytest.mark.parametrize("name", registry.names())
def test_ready_client_ignores_the_environment(
    name: str, tether_sandbox: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # What the machine says must not redirect a fixture's client (environ={}).
    monkeypatch.setenv("TETHER_SANDBOX", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("OVH_ENDPOINT", "ovh-eu")
    monkeypatch.setenv("FLICKR_API_KEY", "not-the-sandbox-key")
    service = registry.get(name)
    with service.ready_client(tether_sandbox.credentials()) as client:
        if name == "ovh":
            assert client.get("/me")["firstname"]
        elif name == "vk":
            me = client.users.get()
            assert me[0]["id"] == tether_sandbox.credentials()["vk"]["user_id"]
        else:
            assert client.test.login().find("user") is not None
            assert client.api_key == tether_sandbox.credentials()["flickr"]["api_key"]


def test_ready_client_takes_overrides(tether_sandbox: Any) -> None:
    service = registry.get("flickr")
    with service.ready_client(tether_sandbox.credentials(), format="parsed-json") as flickr:
        assert flickr.test.login()["stat"] == "ok"


def test_the_vk_fixture_is_ready(tether_vk: Any, tether_sandbox: Any) -> None:
    friends = tether_vk.friends.get(count=5)
    assert friends["count"] == 12000 and len(friends["items"]) == 5
    first = list(tether_vk.walk("friends.get")[:250])
    assert len(first) == 250 and len(set(first)) == 250
    assert first[:5] == friends["items"]
