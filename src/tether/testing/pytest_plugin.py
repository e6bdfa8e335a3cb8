"""pytest plugin (entry point ``pytest11: tether``): a running sandbox as fixtures.

Fixtures:
    tether_sandbox_session: one ``tether.sandbox.Sandbox`` for the whole test session, started on
        first use on a free loopback port and stopped (thread joined) at session end.
    tether_sandbox: the same sandbox, reset to its seeded state (faults, clock skews and tunables
        cleared) before each test that asks for it.

Invariants:
- Loading the plugin is free: nothing starts, and Starlette/uvicorn are not imported, unless a
  test requests one of the fixtures.
- Without the ``sandbox`` extra installed, tests using the fixtures are skipped with a reason
  rather than erroring.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from tether.sandbox import Sandbox


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
