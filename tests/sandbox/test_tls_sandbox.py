"""``Sandbox(tls=True)``: HTTPS on loopback with a throwaway CA; clients that trust the CA reach
it (sync and async transports, the OVH client, ``fetch_credentials``), clients that do not are
refused with a clear error, and ``TETHER_SANDBOX`` is checked before any network use."""

from __future__ import annotations

import asyncio
import socket
import stat
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import tether
from tether import ovh
from tether.core.errors import ConfigError
from tether.sandbox import Sandbox
from tether.sandbox.client import fetch_credentials, sandbox_ca, sandbox_root
from tether.transport import TransportOptions
from tether.transport.aio import AiohttpTransport
from tether.transport.aioproto import AsyncioTransport
from tether.transport.stdlib import HttpClientTransport


@pytest.fixture(scope="module")
def tls_sandbox() -> Iterator[Sandbox]:
    with Sandbox(tls=True) as sb:
        yield sb


def test_serves_https_with_its_own_ca(tls_sandbox: Sandbox) -> None:
    assert tls_sandbox.url.startswith("https://127.0.0.1:")
    ca = Path(tls_sandbox.ca_path)
    assert ca.read_bytes().startswith(b"-----BEGIN CERTIFICATE-----")
    assert stat.S_IMODE((ca.parent / "ca-key.pem").stat().st_mode) == 0o600
    creds = tls_sandbox.credentials()  # the control API trusts that CA
    assert creds["ovh"]["base_url"] == tls_sandbox.url + "/ovh/1.0"


def _ovh_kwargs(sb: Sandbox) -> dict[str, Any]:
    c = sb.credentials()["ovh"]
    return {
        "endpoint": c["base_url"],
        "application_key": c["application_key"],
        "application_secret": c["application_secret"],
        "consumer_key": c["consumer_key"],
        "environ": {},
    }


def test_sync_ovh_client_over_https(tls_sandbox: Sandbox) -> None:
    transport = HttpClientTransport(TransportOptions(ca_certs=tls_sandbox.ca_path))
    client = ovh.Client(transport=transport, **_ovh_kwargs(tls_sandbox))
    try:
        assert client.get("/me")["firstname"]
    finally:
        client.close()


@pytest.mark.parametrize("cls", [AsyncioTransport, AiohttpTransport])
def test_async_ovh_client_over_https(tls_sandbox: Sandbox, cls: type) -> None:
    async def go() -> Any:
        transport = cls(TransportOptions(ca_certs=tls_sandbox.ca_path))
        async with ovh.AsyncClient(transport=transport, **_ovh_kwargs(tls_sandbox)) as client:
            return await client.get("/me")

    assert asyncio.run(go())["firstname"]


def test_clients_sent_by_tether_sandbox_trust_its_ca(tls_sandbox: Sandbox) -> None:
    # What a user does after `tether sandbox --tls`: two variables, then unchanged code.
    from tether import flickr

    env = {"TETHER_SANDBOX": tls_sandbox.url, "TETHER_SANDBOX_CA": tls_sandbox.ca_path}
    with ovh.Client(environ=env) as client:
        assert client.endpoint.startswith("https://")
        assert client.get("/me")["firstname"]

    async def go() -> Any:
        async with ovh.AsyncClient(environ=env) as client:
            return await client.get("/me")

    assert asyncio.run(go())["firstname"]
    with flickr.FlickrAPI("", environ=env, store_token=False) as f:
        assert f.test.echo(a="b").find("a").text == "b"


def test_ca_certs_option_is_honoured(tls_sandbox: Sandbox) -> None:
    kw = _ovh_kwargs(tls_sandbox)
    with ovh.Client(ca_certs=tls_sandbox.ca_path, **kw) as client:
        assert client.get("/me")["firstname"]


def test_untrusted_ca_is_refused_clearly(tls_sandbox: Sandbox) -> None:
    client = ovh.Client(retry=False, **_ovh_kwargs(tls_sandbox))  # the system's CAs only
    try:
        with pytest.raises(tether.TetherError, match=r"(?i)certificate"):
            client.get("/me")
    finally:
        client.close()


def test_fetch_credentials_trusts_tether_sandbox_ca(tls_sandbox: Sandbox) -> None:
    env = {"TETHER_SANDBOX_CA": tls_sandbox.ca_path}
    creds = fetch_credentials(tls_sandbox.url, environ=env)
    assert creds["flickr"]["rest_url"].startswith(tls_sandbox.url)
    assert sandbox_ca(env) == tls_sandbox.ca_path
    with pytest.raises(ConfigError, match="TETHER_SANDBOX_CA"):
        fetch_credentials(tls_sandbox.url, environ={})  # untrusted: says what to set


def test_missing_ca_file_is_a_config_error(tmp_path: Path) -> None:
    assert sandbox_ca({}) is None
    with pytest.raises(ConfigError, match=r"TETHER_SANDBOX_CA=.*not a readable file"):
        sandbox_ca({"TETHER_SANDBOX_CA": str(tmp_path / "nope.pem")})


def test_stop_removes_the_temporary_ca_folder() -> None:
    sb = Sandbox(tls=True).start()
    folder = Path(sb.ca_path).parent
    assert folder.is_dir()
    sb.stop()
    assert not folder.exists()


# --------------------------------------------------------------------------------------------
# TETHER_SANDBOX is checked before any network use


@pytest.mark.parametrize(
    "value",
    [
        "notaurl",
        "localhost:8765",
        "ftp://127.0.0.1:8765",
        "http://",
        "http://127.0.0.1:notaport",
        "http://127.0.0.1:99999",
        "http://127.0.0.1:8765/ovh/1.0",
        "http://127.0.0.1:8765/?x=1",
    ],
)
def test_bad_tether_sandbox_is_a_config_error_without_network(
    value: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError(f"network used for TETHER_SANDBOX={value!r}")

    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a library warning leaking out fails the test
        with pytest.raises(ConfigError, match="TETHER_SANDBOX=") as e:
            fetch_credentials(value)
        assert "http://127.0.0.1:8765" in str(e.value)  # shows what a right value looks like
        with pytest.raises(ConfigError):
            ovh.Client(environ={"TETHER_SANDBOX": value})


@pytest.mark.parametrize(
    ("value", "root"),
    [
        ("http://127.0.0.1:8765", "http://127.0.0.1:8765"),
        ("http://127.0.0.1:8765/", "http://127.0.0.1:8765"),
        (" https://localhost:1 ", "https://localhost:1"),
        ("http://[::1]:8765", "http://[::1]:8765"),
    ],
)
def test_good_tether_sandbox_values(value: str, root: str) -> None:
    assert sandbox_root(value) == root
