"""Effects and flows: how the pure core asks the outside world for things.

A *flow* is a generator that yields effects and receives their results::

    def get_me() -> Flow[dict]:
        now = yield Now()
        response = yield Send(Request("GET", url, headers=sign(now)))
        return decode(response)

Invariants:
- A flow never touches a socket, a clock, a sleep or a terminal itself: it yields ``Send``,
  ``Now``, ``Sleep``, ``Prompt`` or ``Browse`` and a driver (``tether.runtime``) performs them.
  That is what makes one flow serve both the sync and the async client, and lets tests drive
  it by hand.
- A ``Send`` whose transport fails is answered by throwing the ``TransportError`` into the flow
  at the ``yield``, so retry logic lives in flows, not drivers.
- ``Exclusive(key, flow)`` runs a sub-flow while holding a lock named ``key`` on the driver,
  so that however many calls are in flight only one refreshes a token or a clock delta.
- ``Blocking(fn)`` waits on something outside (a local OAuth callback server): the sync
  driver calls ``fn()``, the async one runs it in a worker thread.
- ``Gather(flows, limit)`` runs sub-flows concurrently where the driver can (async), one by one
  where it cannot (sync), and returns their results in order.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from tether.core.messages import Request, Response

T = TypeVar("T")

# A flow yields effects, receives whatever the effect produced, and returns T.
Flow = Generator["Effect", Any, T]


@dataclass(frozen=True, slots=True)
class Send:
    """Perform one HTTP exchange; the flow receives a ``Response``."""

    request: Request


@dataclass(frozen=True, slots=True)
class Sleep:
    """Wait ``seconds``; the flow receives ``None``."""

    seconds: float


@dataclass(frozen=True, slots=True)
class Now:
    """Read the wall clock (Unix seconds, float); the flow receives a ``float``."""


@dataclass(frozen=True, slots=True)
class Prompt:
    """Ask the user something (a verifier, a captcha, a 2FA code); the flow receives a ``str``.

    ``kind`` says what is asked (``"verifier"``, ``"captcha"``, ``"confirm"`` …) so a GUI or a
    test can answer without parsing ``message``; ``data`` carries e.g. a captcha image URL.
    """

    kind: str
    message: str
    data: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Browse:
    """Show ``url`` to the user (open a browser); the flow receives ``None``."""

    url: str


@dataclass(frozen=True, slots=True)
class Exclusive:
    """Run ``flow`` while holding the driver's lock named ``key``; receive its result."""

    key: str
    flow: Flow[Any]


@dataclass(frozen=True, slots=True)
class Gather:
    """Run ``flows`` (at most ``limit`` at once where the driver can); receive their results
    as a list in the same order. The first failure is raised into the caller."""

    flows: Sequence[Flow[Any]]
    limit: int = 0  # 0: no limit


@dataclass(frozen=True, slots=True)
class Blocking:
    """Wait for something outside the flow (a browser hitting a local callback server) by
    calling ``fn()``; the flow receives its result. The async driver runs it in a thread."""

    fn: Callable[[], Any]


Effect = Send | Sleep | Now | Prompt | Browse | Exclusive | Gather | Blocking


def send(request: Request) -> Flow[Response]:
    """``response = yield from send(req)``: a typed wrapper around ``yield Send(req)``."""
    response: Response = yield Send(request)
    return response


def now() -> Flow[float]:
    t: float = yield Now()
    return t
