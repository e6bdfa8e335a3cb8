"""The RPC half of the emulator kit: a method registry (name -> handler and what it declares).

An RPC emulator (Flickr's ``?method=flickr.photos.search``, VK's ``/method/users.get``,
Ipernity's ``/api/method.name``) serves a table of methods. Each line declares its handler, the
permission it needs, its required and optional arguments and the method-specific errors it can
answer. The registry turns that table into lookup, argument checks and the listing reflection
reads; the envelope (how an answer or a failure is written) and the meaning of a permission
stay with the service.

Invariants:
- The registry is the only table: a method is served iff it has a line, and the listing
  (``names``, ``describe``) is read from the same lines, so reflection cannot drift from what
  is served.
- The table is checked when the registry is built: names are non-empty and unique (a mapping),
  no argument is both required and optional or listed twice, and, when the service gives its
  permission ``levels``, each line's permission is one of them. A bad line fails at import.
- ``resolve`` checks in one stated order: (1) the method is known, else the service's own
  ``not_found(name)`` error; (2) the required arguments, in the order the line declares them:
  the first one absent or empty raises the service's ``missing(name, argument)`` error. A
  service without a ``missing`` factory (Flickr: its handlers answer their own codes for a
  missing argument) skips (2). Permission, quota and the rest are the service's own checks,
  run after ``resolve`` in the order it states; ``Method.perms`` is what they read.
- The registry never formats an answer and never catches a handler's error.
- Nothing here imports a service, reads a clock or keeps module-level state.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

__all__ = ["Argument", "MethodInfo", "Registry", "RpcMethod"]

H = TypeVar("H", bound=Callable[..., object])
M = TypeVar("M", bound="RpcMethod[Any]")
D = TypeVar("D")


@dataclass(frozen=True)
class RpcMethod(Generic[H]):
    """A line of a method table.

    Args:
        handler: what serves the method; its signature is the service's business.
        perms: the least permission the caller needs, in the service's own words ("none",
            "read" …); the service's permission check reads it.
        required: arguments that must be present and non-empty, in the order they are checked.
        optional: the other arguments it reads (for reflection).
        errors: the method's own (code, message) failures (for reflection).
    """

    handler: H
    perms: str = "none"
    required: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    errors: tuple[tuple[int, str], ...] = ()

    @property
    def summary(self) -> str:
        """The handler's docstring, first paragraph on one line, or ``""``."""
        doc = (getattr(self.handler, "__doc__", None) or "").strip()
        return " ".join(doc.split("\n\n", 1)[0].split())


@dataclass(frozen=True)
class Argument:
    name: str
    optional: bool


@dataclass(frozen=True)
class MethodInfo:
    """What reflection tells of one method: arguments required first, then optional."""

    name: str
    perms: str
    arguments: tuple[Argument, ...]
    errors: tuple[tuple[int, str], ...]
    summary: str


class Registry(Mapping[str, M]):
    """The method table of one RPC service, a read-only mapping name -> line.

    Args:
        methods: name -> line.
        not_found: the service's error for an unknown method, given its name.
        missing: the service's error for a missing required argument, given the method's and
            the argument's names; ``None`` leaves argument checks to the handlers.
        levels: the permission words the service knows; each line's ``perms`` must be one.
    Raises:
        ValueError: a malformed line (see the module's invariants).
    """

    def __init__(
        self,
        methods: Mapping[str, M],
        *,
        not_found: Callable[[str], Exception],
        missing: Callable[[str, str], Exception] | None = None,
        levels: Sequence[str] | None = None,
    ) -> None:
        for name, line in methods.items():
            _check_line(name, line, levels)
        self._methods: dict[str, M] = dict(methods)
        self._not_found = not_found
        self._missing = missing
        self._names = tuple(sorted(self._methods))

    # -- Mapping: the hot lookups stay one dict probe ----------------------------------------

    def __getitem__(self, name: str) -> M:
        return self._methods[name]

    def __contains__(self, name: object) -> bool:
        return name in self._methods

    def __iter__(self) -> Iterator[str]:
        return iter(self._methods)

    def __len__(self) -> int:
        return len(self._methods)

    @overload
    def get(self, name: str, /) -> M | None: ...
    @overload
    def get(self, name: str, default: M | D, /) -> M | D: ...

    def get(self, name: str, default: object = None) -> object:
        # Mapping.get goes through __getitem__ and a KeyError for every unknown name.
        return self._methods.get(name, default)

    # -- checks ----------------------------------------------------------------------------

    def lookup(self, name: str) -> M:
        """The line for ``name``, or the service's ``not_found`` error."""
        line = self._methods.get(name)
        if line is None:
            raise self._not_found(name)
        return line

    def check_arguments(self, name: str, line: M, params: Mapping[str, str]) -> None:
        """The service's ``missing`` error for the first required argument absent or empty."""
        if self._missing is None:
            return
        for argument in line.required:
            if not params.get(argument):
                raise self._missing(name, argument)

    def resolve(self, name: str, params: Mapping[str, str]) -> M:
        """Steps (1) and (2) of the stated order: the line, with its arguments checked."""
        line = self.lookup(name)
        self.check_arguments(name, line, params)
        return line

    # -- listing (reflection) --------------------------------------------------------------

    def names(self) -> tuple[str, ...]:
        """Every served method, sorted."""
        return self._names

    def describe(self, name: str) -> MethodInfo:
        """What reflection tells of ``name``; the service's ``not_found`` error if unknown."""
        line = self.lookup(name)
        arguments = (
            *(Argument(a, False) for a in line.required),
            *(Argument(a, True) for a in line.optional),
        )
        return MethodInfo(name, line.perms, arguments, line.errors, line.summary)


def _check_line(name: str, line: RpcMethod[Any], levels: Sequence[str] | None) -> None:
    if not name:
        raise ValueError("method table has an empty method name")
    arguments = (*line.required, *line.optional)
    if len(set(arguments)) != len(arguments):
        raise ValueError(f"{name}: an argument is listed twice (required and optional)")
    if levels is not None and line.perms not in levels:
        raise ValueError(f"{name}: unknown permission {line.perms!r} (known: {', '.join(levels)})")
