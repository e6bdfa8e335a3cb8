"""Which service emulators the sandbox runs, and the contract each one fulfils.

Invariants:
- ``SERVICES`` is an immutable tuple derived from ``tether.services.registry``: adding VK,
  Vimeo or Ipernity is its ``Service(...)`` entry there plus a module exposing ``create_app()``
  and ``credentials(root_url)``.
- This module imports neither Starlette nor uvicorn (only for type checking): ``Sandbox`` uses it
  to build URLs, and ``import tether.sandbox`` must stay light.
- Each service app carries its emulator object as ``app.state.emulator``; that object, not any
  module global, owns all of the service's state.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol, cast

from tether.services import registry as _services

if TYPE_CHECKING:
    from starlette.applications import Starlette

    from tether.sandbox.kit.grants import PendingGrant

Scope = MutableMapping[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]
RawResponse = tuple[int, list[tuple[bytes, bytes]], bytes]
"""status, headers (lower-case names), body: a complete response the fault layer can send."""


@dataclass(frozen=True)
class ServiceSpec:
    """Where a service's emulator lives and is mounted.

    Attributes:
        name: short name; the emulator is mounted at ``/<name>``, its control routes at
            ``/_sandbox/<name>``, and it is the key in ``/_sandbox/credentials`` and faults.
        module: importable module exposing ``create_app()`` and ``credentials(root_url)``.
        api_path: path of the API base below the mount (``/1.0`` for OVH), used by
            ``Sandbox.base_url``.
    """

    name: str
    module: str
    api_path: str

    @property
    def mount(self) -> str:
        return "/" + self.name


#: Read from the one service registry (``tether.services.registry``): a service declared there
#: with an emulator is served here, nothing to list twice.
SERVICES: tuple[ServiceSpec, ...] = tuple(
    ServiceSpec(s.name, s.emulator, s.api_path) for s in _services.SERVICES if s.emulator
)


def spec_for(name: str) -> ServiceSpec:
    """The spec of service ``name``.

    Raises:
        KeyError: no such service in the sandbox.
    """
    for spec in SERVICES:
        if spec.name == name:
            return spec
    known = ", ".join(s.name for s in SERVICES)
    raise KeyError(f"no sandbox emulator for service {name!r} (known: {known})")


class Emulator(Protocol):
    """What the combined app needs from a service's emulator object (``app.state.emulator``)."""

    @property
    def name(self) -> str: ...

    @property
    def control(self) -> ASGIApp:
        """ASGI app for the service's own control routes, mounted at ``/_sandbox/<name>``."""
        ...

    def reset(self) -> None:
        """Back to the seeded state: data, clock skew, tunables, counters."""

    def pending_grants(self) -> list[PendingGrant]:
        """The grants waiting for a person's approval, for the dashboard (``kit.base``'s
        default: none)."""
        ...

    def error_response(self, status: int) -> RawResponse:
        """A realistic error answer of this service for ``status`` (used by injected faults)."""
        ...

    def rate_key(self, scope: Scope) -> str:
        """Who a request counts against for rate limiting (the OVH consumer key, a token …)."""
        ...


class ServiceModule(Protocol):
    """The two functions every emulator module exposes."""

    def create_app(self) -> Starlette: ...

    def credentials(self, root_url: str) -> dict[str, Any]: ...


def load(spec: ServiceSpec) -> ServiceModule:
    """Import the emulator module of ``spec`` (imports Starlette)."""
    return cast(ServiceModule, importlib.import_module(spec.module))
