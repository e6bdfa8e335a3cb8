"""One VK emulator served over loopback for each test module that asks for it (``wire``),
reset before each test.

``wire`` also lifts the per-token rate limit, so tests that make many calls do not meet
error 6 by accident; ``paced_wire`` keeps VK's real limits (3/s user, 20/s community) for the
tests that are about them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.services.vk.sandbox.wire import Wire, serving


@pytest.fixture(scope="module")
def _served() -> Iterator[Wire]:
    with serving() as wire:
        yield wire


@pytest.fixture
def paced_wire(_served: Wire) -> Wire:
    assert _served.set("/reset", {}) == {"reset": ["vk"]}
    return _served


@pytest.fixture
def wire(paced_wire: Wire) -> Wire:
    paced_wire.set("/rate", {"per_second": 0, "group_per_second": 0})
    return paced_wire
