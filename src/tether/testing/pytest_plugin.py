"""pytest plugin (entry point ``pytest11: tether``): a running sandbox and ready clients as fixtures.

Fixtures:
    tether_sandbox_session: one ``tether.sandbox.Sandbox`` for the whole test session, started on
        first use on a free loopback port and stopped (thread joined) at session end.
    tether_sandbox: the same sandbox, reset to its seeded state (faults, clock skews and tunables
        cleared) before each test that asks for it.
    tether_<service>, tether_<service>_async: for every service of ``tether.services.registry``
        (``tether_ovh``, ``tether_flickr``, ``tether_ovh_async`` …), that service's client, sync
        or async, set up with the reset sandbox's ready credentials (OVH: the validated
        full-access consumer key; Flickr: the test app and its delete-permission OAuth token)
        and closed after the test. A user's test is one line::

            def test_me(tether_ovh):
                assert tether_ovh.get("/me")["firstname"]

Invariants:
- Loading the plugin is free: nothing starts, and no facade, Starlette or uvicorn is imported,
  unless a test requests one of the fixtures (the registry it reads imports none of them).
- Without the ``sandbox`` extra installed, tests using the fixtures are skipped with a reason
  rather than erroring; so are tests using an async client fixture without pytest-asyncio.
- A client fixture ignores the process environment (``environ={}``): ``TETHER_SANDBOX`` or
  ``OVH_ENDPOINT`` set on the machine cannot send it elsewhere, and Flickr's on-disk token cache
  is neither read nor written.
- An async client is created and closed on the event loop of the test (pytest-asyncio's
  fixture loop, the test's own by default), so its connections belong to that loop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TYPE_CHECKING, Any

import pytest

from tether.services import registry

if TYPE_CHECKING:
    from tether.sandbox import Sandbox

pytest_asyncio: Any
try:
    import pytest_asyncio
except ImportError:  # pragma: no cover - depends on installed plugins
    pytest_asyncio = None


@pytest.fixture(scope="session")
def tether_sandbox_session() -> Iterator[Sandbox]:
    """A sandbox shared by the whole session (state is *not* reset between tests)."""
    try:
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError:  # pragma: no cover - depends on installed extras
        pytest.skip("the tether sandbox needs the 'sandbox' extra (starlette, uvicorn)")
    from tether.sandbox import Sandbox

    sandbox = Sandbox().start()
    try:
        yield sandbox
    finally:
        sandbox.stop()


@pytest.fixture
def tether_sandbox(tether_sandbox_session: Sandbox) -> Sandbox:
    """The session sandbox, freshly reset for this test."""
    tether_sandbox_session.reset()
    return tether_sandbox_session


def _sync_fixture(service: registry.Service) -> Any:
    def fixture(tether_sandbox: Sandbox) -> Iterator[Any]:
        client = service.ready_client(tether_sandbox.credentials())
        try:
            yield client
        finally:
            client.close()

    fixture.__doc__ = (
        f"A {service.title} client with the sandbox's ready credentials, closed after the test."
    )
    return pytest.fixture(name=f"tether_{service.name}")(fixture)


def _async_fixture(service: registry.Service) -> Any:
    name = f"tether_{service.name}_async"
    doc = (
        f"An async {service.title} client with the sandbox's ready credentials, closed after "
        "the test (needs pytest-asyncio)."
    )
    if pytest_asyncio is None:  # pragma: no cover - depends on installed plugins

        def missing(tether_sandbox: Sandbox) -> None:
            pytest.skip(f"{name} needs pytest-asyncio")

        missing.__doc__ = doc
        return pytest.fixture(name=name)(missing)

    async def fixture(tether_sandbox: Sandbox) -> AsyncIterator[Any]:
        client = service.ready_client(tether_sandbox.credentials(), asynchronous=True)
        try:
            yield client
        finally:
            await client.close()

    fixture.__doc__ = doc
    return pytest_asyncio.fixture(name=name)(fixture)


# pytest collects fixtures from this module's attributes: one sync and one async fixture per
# service of the registry, under private names (the fixture names are set with name=).
for _service in registry.SERVICES:
    globals()[f"_tether_{_service.name}"] = _sync_fixture(_service)
    globals()[f"_tether_{_service.name}_async"] = _async_fixture(_service)
del _service
