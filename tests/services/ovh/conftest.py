"""Run every OVH client test twice: with ``Client`` and with ``AsyncClient`` (see
``tests/support/both.py``)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.support.both import Both, client_factory
from tether.ovh import AsyncClient, Client


class OvhBoth(Both):
    """``iterate`` comes back as a list; the consumer-key request's methods are resolved."""

    def iterate(self, *args: Any, **kwargs: Any) -> list[Any]:
        return self.collect(self.client.iterate(*args, **kwargs))

    def new_consumer_key_request(self) -> Any:
        ck = self.client.new_consumer_key_request()
        both = self

        class CK:
            def __getattr__(self, name: str) -> Any:
                attr = getattr(ck, name)
                return lambda *a, **k: both.resolve(attr(*a, **k))

        return CK()


@pytest.fixture(params=["sync", "async"])
def make_client(request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from client_factory(request.param, Client, AsyncClient, OvhBoth, environ={})


@pytest.fixture
def ovh_creds(tether_sandbox: Any) -> dict[str, Any]:
    creds: dict[str, Any] = tether_sandbox.credentials()["ovh"]
    return creds


@pytest.fixture
def signed(make_client: Any, ovh_creds: dict[str, Any]) -> Any:
    """A client with the sandbox's validated full-access consumer key."""
    return make_client(
        endpoint=ovh_creds["base_url"],
        application_key=ovh_creds["application_key"],
        application_secret=ovh_creds["application_secret"],
        consumer_key=ovh_creds["consumer_key"],
    )
