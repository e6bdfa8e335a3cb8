"""The facade kit's client core: retry coercion, the one sandbox redirect, the twins."""

from __future__ import annotations

import asyncio

import pytest

from tether.core.errors import ConfigError
from tether.core.retry import RetryPolicy
from tether.flickr import AsyncFlickrAPI, FlickrAPI
from tether.ovh import AsyncClient, Client
from tether.services.kit.client import AsyncFacade, SyncFacade, coerce_retry, sandbox_redirect


def test_retry_true_is_the_default_policy_and_false_or_none_one_attempt() -> None:
    assert coerce_retry(True).max_attempts == RetryPolicy().max_attempts
    for off in (False, None):
        policy = coerce_retry(off)
        assert policy.max_attempts == 1
        assert policy.max_throttles == 0  # no throttle waits either
    mine = RetryPolicy(max_attempts=3)
    assert coerce_retry(mine) is mine


def test_no_redirect_without_the_variable() -> None:
    assert sandbox_redirect("ovh", {}) is None
    assert sandbox_redirect("ovh", {"TETHER_SANDBOX": ""}) is None


def test_redirect_gives_the_services_block_and_names_its_source(tether_sandbox) -> None:
    env = {"TETHER_SANDBOX": tether_sandbox.url + "/"}
    redirect = sandbox_redirect("flickr", env)
    assert redirect is not None
    assert redirect.root == tether_sandbox.url  # checked and without the slash
    assert redirect.credentials["rest_url"].startswith(tether_sandbox.url)
    assert redirect.source == f"sandbox {tether_sandbox.url} (TETHER_SANDBOX)"


def test_redirect_to_a_sandbox_without_the_service_says_so(tether_sandbox) -> None:
    with pytest.raises(ConfigError, match=r"emulates no nosuch.*offers .*flickr"):
        sandbox_redirect("nosuch", {"TETHER_SANDBOX": tether_sandbox.url})


def test_redirect_to_a_bad_url_is_a_config_error_before_any_network() -> None:
    with pytest.raises(ConfigError, match="not a sandbox URL"):
        sandbox_redirect("ovh", {"TETHER_SANDBOX": "ftp://example.invalid"})


def test_every_facade_is_one_of_the_twins() -> None:
    for sync in (Client, FlickrAPI):
        assert issubclass(sync, SyncFacade) and sync._sync is True
    for twin in (AsyncClient, AsyncFlickrAPI):
        assert issubclass(twin, AsyncFacade) and twin._sync is False


def test_sync_twin_closes_its_connections_on_exit(tether_sandbox) -> None:
    env = {"TETHER_SANDBOX": tether_sandbox.url}
    with FlickrAPI("", environ=env, store_token=False, format="parsed-json") as api:
        assert api.test.echo(x="1")["x"]["_content"] == "1"
        idle = api._runtime.transport._idle  # the stdlib pool's idle connections
        assert sum(len(stack) for stack in idle.values()) == 1
    # Leaving the block closed the pool: no idle connection is left behind.
    assert idle == {}


def test_async_twin_is_an_async_context_manager(tether_sandbox) -> None:
    env = {"TETHER_SANDBOX": tether_sandbox.url}

    async def main() -> str:
        async with AsyncClient(environ=env) as client:
            me = await client.get("/me")
            return str(me["nichandle"])

    assert asyncio.run(main())


def test_async_clients_built_in_a_running_loop_fetch_nothing(tether_sandbox, monkeypatch) -> None:
    # The sandbox started in this process made its credentials known: building a client
    # inside the event loop makes no request (which would block the loop).
    import tether.sandbox.client as sandbox_client

    def no_fetch(*args: object, **kwargs: object) -> None:
        raise AssertionError("a blocking credentials fetch inside the event loop")

    monkeypatch.setattr(sandbox_client, "fetch_credentials", no_fetch)
    env = {"TETHER_SANDBOX": tether_sandbox.url}

    async def main() -> tuple[str, str]:
        async with AsyncClient(environ=env) as ovh, AsyncFlickrAPI("", environ=env) as flickr:
            return ovh.endpoint, flickr.api_key

    endpoint, key = asyncio.run(main())
    assert endpoint == tether_sandbox.url + "/ovh/1.0"
    assert key == tether_sandbox.credentials()["flickr"]["api_key"]


def test_a_sandbox_of_another_process_is_fetched_once(tether_sandbox, monkeypatch) -> None:
    import tether.sandbox.client as sandbox_client

    real = sandbox_client.fetch_credentials
    fetched: list[str] = []

    def counting(root: str, **kw: object) -> dict:
        fetched.append(root)
        return real(root, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(sandbox_client, "fetch_credentials", counting)
    sandbox_client.forget(tether_sandbox.url)  # as if it ran elsewhere
    env = {"TETHER_SANDBOX": tether_sandbox.url}
    try:
        for _ in range(3):
            Client(environ=env).close()
        assert fetched == [tether_sandbox.url]
    finally:
        sandbox_client.forget(tether_sandbox.url)
        tether_sandbox._remember()  # as the session's sandbox was


def test_a_stopped_sandbox_is_forgotten() -> None:
    from tether.sandbox import Sandbox
    from tether.sandbox.client import _KNOWN

    with Sandbox() as sb:
        url = sb.url
        assert any(root == url for root, _ in _KNOWN)
    assert not any(root == url for root, _ in _KNOWN)
    with pytest.raises(ConfigError, match="no sandbox answers"):
        Client(environ={"TETHER_SANDBOX": url})
