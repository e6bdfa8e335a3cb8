"""TLS against a local HTTPS server with a throwaway CA (trustme): verification is on by
default, each kind of bad certificate is refused with its cause and fix, ca_certs is honoured."""

from __future__ import annotations

import datetime
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from tests.transport.conftest import ALL, Driver
from tests.transport.servers import RawServer, keepalive
from tether.core.errors import TransportError
from tether.core.messages import Request


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


def _server(cert: trustme.LeafCert) -> RawServer:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    cert.configure_cert(ctx)
    return RawServer(keepalive(None), tls=ctx)


@pytest.fixture
def ca_file(ca: trustme.CA, tmp_path: Path) -> str:
    path = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return str(path)


@pytest.fixture
def good(ca: trustme.CA) -> Iterator[RawServer]:
    with _server(ca.issue_cert("127.0.0.1")) as s:
        yield s


@pytest.mark.parametrize("kind", ALL)
def test_trusted_ca_via_ca_certs_succeeds(
    kind: str, good: RawServer, ca_file: str, driver: Callable[..., Driver]
) -> None:
    d = driver(kind, ca_certs=ca_file)
    assert d.send(Request("GET", good.url + "/")).body == b'{"n": 1}'


@pytest.mark.parametrize("kind", ALL)
def test_untrusted_certificate_is_refused_by_default(
    kind: str, good: RawServer, driver: Callable[..., Driver]
) -> None:
    d = driver(kind)
    with pytest.raises(TransportError, match=r"not signed by a CA this client trusts.*ca_certs="):
        d.send(Request("GET", good.url + "/"))
    assert good.requests == []


@pytest.mark.parametrize("kind", ALL)
def test_expired_certificate_is_refused(
    kind: str, ca: trustme.CA, ca_file: str, driver: Callable[..., Driver]
) -> None:
    past = datetime.datetime(2020, 1, 1, tzinfo=datetime.timezone.utc)
    cert = ca.issue_cert("127.0.0.1", not_before=past, not_after=past + datetime.timedelta(days=1))
    with _server(cert) as server:
        d = driver(kind, ca_certs=ca_file)
        with pytest.raises(TransportError, match=r"expired.*renew"):
            d.send(Request("GET", server.url + "/"))


@pytest.mark.parametrize("kind", ALL)
def test_wrong_host_certificate_is_refused(
    kind: str, ca: trustme.CA, ca_file: str, driver: Callable[..., Driver]
) -> None:
    with _server(ca.issue_cert("api.example.com")) as server:
        d = driver(kind, ca_certs=ca_file)
        with pytest.raises(TransportError, match="another name: check the host"):
            d.send(Request("GET", server.url + "/"))
