from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.both import client_factory
from tether.flickr import AsyncFlickrAPI, FlickrAPI, OAuthToken


@pytest.fixture(params=["sync", "async"])
def make_flickr(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Any]:
    yield from client_factory(
        request.param,
        FlickrAPI,
        AsyncFlickrAPI,
        environ={},
        token_cache_location=str(tmp_path / "flickr-tokens"),
    )


@pytest.fixture
def fcreds(tether_sandbox: Any) -> dict[str, Any]:
    creds: dict[str, Any] = tether_sandbox.credentials()["flickr"]
    return creds


def urls(c: dict[str, Any]) -> dict[str, str]:
    return {
        "rest_url": c["rest_url"],
        "upload_url": c["upload_url"],
        "replace_url": c["replace_url"],
        "auth_url": c["auth_url"],
        "oauth_url": c["oauth_url"],
    }


@pytest.fixture
def anon(make_flickr: Any, fcreds: dict[str, Any]) -> Any:
    """Key and secret, no token."""
    return make_flickr(fcreds["api_key"], fcreds["secret"], store_token=False, **urls(fcreds))


@pytest.fixture
def authed(make_flickr: Any, fcreds: dict[str, Any]) -> Any:
    """The sandbox's ready OAuth token with delete permission."""
    token = OAuthToken(
        fcreds["oauth_token"],
        fcreds["oauth_token_secret"],
        "delete",
        username=fcreds["user"]["username"],
        user_nsid=fcreds["user"]["nsid"],
    )
    return make_flickr(fcreds["api_key"], fcreds["secret"], token=token, **urls(fcreds))


@pytest.fixture
def legacy(make_flickr: Any, fcreds: dict[str, Any]) -> Any:
    """The sandbox's ready legacy token (frob era) with delete permission."""
    return make_flickr(fcreds["api_key"], fcreds["secret"], token=fcreds["token"], **urls(fcreds))
