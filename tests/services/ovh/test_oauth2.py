"""OAuth2 service accounts: token fetched once, refreshed before expiry, one refresh at a time."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from tether import ovh


def test_oauth2_call(make_client: Any, ovh_creds: dict[str, Any], tether_sandbox: Any) -> None:
    c = make_client(
        endpoint=ovh_creds["base_url"],
        client_id=ovh_creds["client_id"],
        client_secret=ovh_creds["client_secret"],
    )
    assert c.get("/me")["firstname"]
    assert c.get("/me/bill")
    assert tether_sandbox.stats()["token_grants"] == 1


def test_oauth2_bad_secret(make_client: Any, ovh_creds: dict[str, Any]) -> None:
    c = make_client(
        endpoint=ovh_creds["base_url"],
        client_id=ovh_creds["client_id"],
        client_secret="nope-nope-nope",
    )
    with pytest.raises(ovh.OAuth2FailureError) as e:
        c.get("/me")
    assert "invalid_client" in str(e.value)
    assert "nope-nope-nope" not in str(e.value)


def test_oauth2_token_refreshed_before_expiry(
    make_client: Any, ovh_creds: dict[str, Any], tether_sandbox: Any
) -> None:
    tether_sandbox.set_oauth2(expires_in=1)
    c = make_client(
        endpoint=ovh_creds["base_url"],
        client_id=ovh_creds["client_id"],
        client_secret=ovh_creds["client_secret"],
    )
    c.get("/me")
    import time

    time.sleep(1.1)
    assert c.get("/me")["firstname"]
    assert tether_sandbox.stats()["token_grants"] == 2


def test_one_refresh_for_many_concurrent_calls(
    ovh_creds: dict[str, Any], tether_sandbox: Any
) -> None:
    async def main() -> list[Any]:
        async with ovh.AsyncClient(
            endpoint=ovh_creds["base_url"],
            client_id=ovh_creds["client_id"],
            client_secret=ovh_creds["client_secret"],
            environ={},
        ) as c:
            return await asyncio.gather(*(c.get("/me") for _ in range(30)))

    results = asyncio.run(main())
    assert all(r["firstname"] for r in results)
    assert tether_sandbox.stats()["token_grants"] == 1
