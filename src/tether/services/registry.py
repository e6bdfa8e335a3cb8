"""Every service tether knows, declared once: read by the ``tether`` command and the pytest plugin.

A declaration names where things live (facades, CLI hooks, emulator) as import paths; nothing is
imported until a caller asks for it.

Invariants:
- Importing this module imports no facade, no click, no sandbox, no HTTP library: only the
  standard library. ``tether --help`` and loading the pytest plugin read names and command sets
  from here without paying for any service.
- ``SERVICES`` is an immutable tuple in display order; names are unique. Adding a service is one
  ``Service(...)`` entry here plus the modules it names; nothing in ``tether.cli`` or
  ``tether.testing`` changes.
- ``commands`` is the truth about which CLI commands a service has: the CLI offers ``login`` and
  ``upload`` only for services that list them, and a service's hook module defines a function for
  each listed command (checked by tests/cli/test_registry.py).
- A service's hook module (``cli``) imports only click and the standard library at top level; the
  facade, the sandbox and parsers are imported inside the hooks, when a command runs.
"""

from __future__ import annotations

import importlib
from typing import Any

COMMANDS = frozenset({"call", "login", "upload", "explain", "shell"})
"""The per-service commands the CLI dispatches: ``tether call | login | upload | config explain |
shell`` (a service's ``shell`` hook returns the ready client the prompt offers by its name)."""


def _import(path: str) -> Any:
    """``"package.module:attr"`` → the attribute; ``"package.module"`` → the module."""
    module, _, attr = path.partition(":")
    obj = importlib.import_module(module)
    return getattr(obj, attr) if attr else obj


class Service:
    """One service, as data (immutable: set once, in ``SERVICES``).

    Attributes:
        name: the short name users type (``tether call ovh …``); also the sandbox mount and the
            key of its block in the sandbox's ``/_sandbox/credentials`` unless
            ``credentials_key`` says otherwise.
        title: how messages and help name it (``OVHcloud``).
        facade: ``"module:Class"`` of the sync client.
        async_facade: ``"module:Class"`` of its async twin.
        cli: module of the CLI hooks: ``call``/``login``/``upload``/``explain`` functions, their
            extra click options and help fragments, and ``ready_args`` (the keyword arguments of
            a client set up with the sandbox's ready credentials).
        commands: which of ``COMMANDS`` the service has.
        emulator: module of its sandbox emulator (``create_app()``, ``credentials(root)``);
            the sandbox mounts it at ``/<name>`` (``tether.sandbox.registry`` reads it here).
        credentials_key: its key in the sandbox's credentials (default: ``name``).
        spec: module of the service as data (endpoints, read rule, transient codes).
        api_path: the API base below the emulator's mount (``/1.0`` for OVH).
    """

    # A plain slotted class, not a frozen dataclass: building the dataclass cost about 1.5 ms of
    # every ``tether`` start (measured with -X importtime), for eight fields set once.
    __slots__ = (
        "api_path",
        "async_facade",
        "cli",
        "commands",
        "credentials_key",
        "emulator",
        "facade",
        "name",
        "spec",
        "title",
    )

    name: str
    title: str
    facade: str
    async_facade: str
    cli: str
    commands: frozenset[str]
    emulator: str
    credentials_key: str
    spec: str
    api_path: str

    def __init__(
        self,
        name: str,
        title: str,
        facade: str,
        async_facade: str,
        cli: str,
        commands: frozenset[str],
        emulator: str,
        credentials_key: str = "",
        *,
        spec: str = "",
        api_path: str = "",
    ) -> None:
        unknown = commands - COMMANDS
        if unknown:
            raise ValueError(f"{name}: unknown commands {sorted(unknown)}")
        values = {
            "name": name,
            "title": title,
            "facade": facade,
            "async_facade": async_facade,
            "cli": cli,
            "commands": frozenset(commands),
            "emulator": emulator,
            "credentials_key": credentials_key or name,
            "spec": spec,
            "api_path": api_path,
        }
        for key, value in values.items():
            object.__setattr__(self, key, value)

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"Service {self.name!r} is read-only")

    def __repr__(self) -> str:
        return f"Service({self.name!r}, commands={sorted(self.commands)})"

    def supports(self, command: str) -> bool:
        return command in self.commands

    def hooks(self) -> Any:
        """The CLI hook module (imports it, and click)."""
        return _import(self.cli)

    def client_class(self, *, asynchronous: bool = False) -> type:
        """The facade class (imports it)."""
        cls: type = _import(self.async_facade if asynchronous else self.facade)
        return cls

    def ready_client(
        self, credentials: dict[str, Any], *, asynchronous: bool = False, **overrides: Any
    ) -> Any:
        """A client for the sandbox whose ``/_sandbox/credentials`` answer is ``credentials``,
        with its ready (already approved) credentials.

        The client ignores the process environment (``environ={}``): a stray ``OVH_ENDPOINT`` or
        ``TETHER_SANDBOX`` cannot send it elsewhere. ``overrides`` are passed to the facade
        after the ready arguments (``retry=False``, ``format="parsed-json"`` …).

        Raises:
            KeyError: ``credentials`` has no block for this service.
        """
        kwargs = self.hooks().ready_args(credentials[self.credentials_key])
        kwargs.setdefault("environ", {})
        kwargs.update(overrides)
        return self.client_class(asynchronous=asynchronous)(**kwargs)


SERVICES: tuple[Service, ...] = (
    Service(
        name="ovh",
        title="OVHcloud",
        facade="tether.services.ovh.api:Client",
        async_facade="tether.services.ovh.api:AsyncClient",
        cli="tether.services.ovh.cli",
        commands=frozenset({"call", "explain", "shell"}),
        emulator="tether.services.ovh.sandbox.app",
        spec="tether.services.ovh.spec",
        api_path="/1.0",
    ),
    Service(
        name="flickr",
        title="Flickr",
        facade="tether.services.flickr.api:FlickrAPI",
        async_facade="tether.services.flickr.api:AsyncFlickrAPI",
        cli="tether.services.flickr.cli",
        commands=frozenset({"call", "login", "upload", "explain", "shell"}),
        emulator="tether.services.flickr.sandbox.app",
        spec="tether.services.flickr.spec",
        api_path="/services/rest/",
    ),
    Service(
        name="vk",
        title="VK",
        facade="tether.services.vk.api:API",
        async_facade="tether.services.vk.api:AsyncAPI",
        cli="tether.services.vk.cli",
        commands=frozenset({"call", "login", "upload", "explain", "shell"}),
        emulator="tether.services.vk.sandbox.app",
        spec="tether.services.vk.spec",
        api_path="/method/",
    ),
)


def names(command: str | None = None) -> tuple[str, ...]:
    """The service names, in order; with ``command``, only those that have it."""
    return tuple(s.name for s in SERVICES if command is None or command in s.commands)


def get(name: str) -> Service:
    """The declaration of service ``name``.

    Raises:
        KeyError: no such service (the message lists the known ones).
    """
    for service in SERVICES:
        if service.name == name:
            return service
    raise KeyError(f"no service {name!r} (known: {', '.join(names())})")
