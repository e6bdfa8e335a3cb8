"""The REST half of the emulator kit: a route table as data, one router, a check pipeline.

A REST emulator is a table of routes (verb, path template with ``{param}`` segments, handler and
whatever the service's checks need to know: what auth the route wants, its body spec, its
scopes) plus an ordered list of checks. This module holds the generic part; what a service
answers (its error bodies, its signature scheme, its access rules) stays in the service.

Invariants:
- Templates are compiled once, when the ``Router`` is built; a lookup is one dict probe for a
  static path, else a handful of regexes (templated routes are bucketed by their first literal
  segment; templates starting with a ``{param}`` are tried after the bucket).
- Matching is deterministic: a static template beats a templated one; among templated ones the
  first in table order whose pattern matches the path decides. The path decides first, then the
  verb: a path that matches with a verb it does not list raises ``MethodNotAllowed`` carrying
  the verbs it does list (the ``Allow`` header of a 405), a path that matches nothing raises
  ``NoRoute`` (404). A service that answers both with 404 (OVH does) catches both.
- ``{param}`` matches one non-empty segment (no ``/``); parameters come back as the raw
  segment text, never decoded: the service decides what a segment means.
- ``head_as_get``: HEAD is served by the GET route (and listed in ``Allow`` where GET is);
  ``strip_trailing_slash``: ``/a/b/`` is the route ``/a/b``. Both are per router.
- The table is checked when the router is built: a template starts with ``/``, names each
  parameter once, and no (verb, template) pair appears twice. A bad table fails at import, not
  at the first request.
- A request goes through one fixed order, the pipeline: (1) route (``NoRoute`` /
  ``MethodNotAllowed``), (2) the service's steps in the order it declares them, each run only
  for the routes its ``applies`` predicate accepts (decided once per route, not per request),
  (3) the handler. A step refuses by raising the service's own error and may record what it
  learnt (the caller, the parsed body) on the exchange object it is handed; the kit never
  looks inside that object.
- Nothing here imports a service, reads a clock or keeps module-level state.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Final, Generic, Protocol, TypeVar

from starlette.types import Receive, Scope, Send

__all__ = [
    "MethodNotAllowed",
    "NoRoute",
    "Pipeline",
    "Route",
    "RouteLike",
    "Router",
    "Step",
    "compile_template",
    "read_body",
    "send_answer",
    "server_host",
]

_PARAM: Final = re.compile(r"\{(\w+)\}")
#: What ``{param}`` matches: one segment, at least one character.
_SEGMENT: Final = r"[^/]+"


class RouteLike(Protocol):
    """What the router needs of a table line: its verb and its path template."""

    @property
    def method(self) -> str: ...

    @property
    def template(self) -> str: ...


R = TypeVar("R", bound=RouteLike)
X = TypeVar("X")


@dataclass(frozen=True)
class Route:
    """A plain table line, for a service with nothing of its own to add. ``auth`` is the
    service's word for what the route needs (``"none"``, ``"signed"``, a scope …); the
    service's steps read it through their ``applies`` predicates."""

    method: str
    template: str
    handler: Callable[..., Any]
    auth: str = "none"


class NoRoute(LookupError):
    """No template matches the path (a 404)."""

    def __init__(self, method: str, path: str) -> None:
        # The message is built only if someone prints it: a service usually turns this into
        # its own answer at once, and a 404 should cost little more than a 200.
        super().__init__(method, path)
        self.method = method
        self.path = path

    def __str__(self) -> str:
        return f"no route for {self.method} {self.path}"


class MethodNotAllowed(LookupError):
    """A template matches the path but not with this verb (a 405); ``allow`` is the sorted
    list of verbs it does take, ready for an ``Allow`` header."""

    def __init__(self, method: str, path: str, allow: tuple[str, ...]) -> None:
        super().__init__(method, path, allow)
        self.method = method
        self.path = path
        self.allow = allow

    def __str__(self) -> str:
        return f"{self.method} not allowed on {self.path} (allow: {', '.join(self.allow)})"

    @property
    def allow_header(self) -> bytes:
        return ", ".join(self.allow).encode("latin-1")


def compile_template(template: str) -> re.Pattern[str]:
    """The anchored pattern of a path template; ``ValueError`` for a malformed one."""
    if not template.startswith("/"):
        raise ValueError(f"route template must start with '/': {template!r}")
    names = _PARAM.findall(template)
    if len(set(names)) != len(names):
        raise ValueError(f"route template names a parameter twice: {template!r}")
    literal = _PARAM.sub("", template)
    if "{" in literal or "}" in literal:
        raise ValueError(f"route template has a malformed parameter: {template!r}")
    parts = _PARAM.split(template)
    # split() alternates literal text and parameter names: escape the text, name the groups.
    pattern = "".join(
        re.escape(part) if i % 2 == 0 else f"(?P<{part}>{_SEGMENT})" for i, part in enumerate(parts)
    )
    return re.compile(pattern + r"\Z")


def _first_segment(path: str) -> str:
    # "/a/b" -> "a"; "/" -> "".
    return path.split("/", 2)[1] if path.count("/") else ""


class Router(Generic[R]):
    """(verb, path) -> (route, path parameters), over a table of routes.

    Args:
        routes: the table; any objects with ``method`` and ``template``.
        head_as_get: answer HEAD with the GET route.
        strip_trailing_slash: treat ``/a/`` as ``/a`` (never ``/`` itself).
    Raises:
        ValueError: a malformed template or a (verb, template) pair listed twice.
    """

    def __init__(
        self,
        routes: Iterable[R],
        *,
        head_as_get: bool = True,
        strip_trailing_slash: bool = True,
    ) -> None:
        self.routes: tuple[R, ...] = tuple(routes)
        self._head_as_get = head_as_get
        self._strip = strip_trailing_slash
        by_template: dict[str, dict[str, R]] = {}
        for route in self.routes:
            verbs = by_template.setdefault(route.template, {})
            if route.method in verbs:
                raise ValueError(f"route listed twice: {route.method} {route.template}")
            verbs[route.method] = route
        self._static: dict[str, dict[str, R]] = {}
        self._dynamic: dict[str, list[tuple[re.Pattern[str], dict[str, R]]]] = {}
        self._leading: list[tuple[re.Pattern[str], dict[str, R]]] = []
        for template, verbs in by_template.items():
            regex = compile_template(template)
            if "{" not in template:
                self._static[template] = verbs
                continue
            first = _first_segment(template)
            entry = (regex, verbs)
            if "{" in first:
                self._leading.append(entry)
            else:
                self._dynamic.setdefault(first, []).append(entry)
        # Templates that start with a parameter come after every bucket's own, so each bucket
        # is one ready list and a lookup builds nothing.
        for bucket in self._dynamic.values():
            bucket.extend(self._leading)

    def match(self, method: str, path: str) -> tuple[R, dict[str, str]]:
        """The route serving ``method path`` and its path parameters.

        Raises:
            NoRoute: no template matches the path.
            MethodNotAllowed: a template matches, but not with this verb.
        """
        if self._strip and len(path) > 1 and path.endswith("/"):
            path = path[:-1]
        verb = "GET" if method == "HEAD" and self._head_as_get else method
        verbs = self._static.get(path)
        if verbs is not None:
            route = verbs.get(verb)
            if route is None:
                raise MethodNotAllowed(method, path, self._allow(verbs))
            return route, {}
        for regex, verbs in self._dynamic.get(_first_segment(path), self._leading):
            m = regex.match(path)
            if m is not None:
                route = verbs.get(verb)
                if route is None:
                    raise MethodNotAllowed(method, path, self._allow(verbs))
                return route, m.groupdict()
        raise NoRoute(method, path)

    def _allow(self, verbs: dict[str, R]) -> tuple[str, ...]:
        allowed = set(verbs)
        if self._head_as_get and "GET" in allowed:
            allowed.add("HEAD")
        return tuple(sorted(allowed))


def _always(route: object) -> bool:
    return True


@dataclass(frozen=True)
class Step(Generic[R, X]):
    """One check of the pipeline: ``check(exchange)`` refuses by raising the service's error.
    ``applies(route)`` says whether the check runs for a route (default: every route)."""

    name: str
    check: Callable[[X], None]
    applies: Callable[[R], bool] = _always


class Pipeline(Generic[R, X]):
    """The service's checks, in the order it states, between the route and the handler.

    Which steps apply to a route is decided once per route (on first use, or up front through
    ``prepare``), so a request pays one dict probe and its own checks, nothing else.
    """

    def __init__(self, steps: Sequence[Step[R, X]]) -> None:
        names = [s.name for s in steps]
        if len(set(names)) != len(names):
            raise ValueError(f"pipeline names a step twice: {names}")
        self.steps: tuple[Step[R, X], ...] = tuple(steps)
        # Keyed by identity: routes may hold unhashable specs (a body dict), and the router
        # keeps every route alive, so an id is never reused while the table lives.
        self._plans: dict[int, tuple[Callable[[X], None], ...]] = {}

    def prepare(self, routes: Iterable[R]) -> None:
        for route in routes:
            self.plan(route)

    def plan(self, route: R) -> tuple[Callable[[X], None], ...]:
        plan = self._plans.get(id(route))
        if plan is None:
            plan = self._plans[id(route)] = tuple(s.check for s in self.steps if s.applies(route))
        return plan

    def names(self, route: R) -> tuple[str, ...]:
        """The steps a request to ``route`` goes through, in order (for docs and tests)."""
        return tuple(s.name for s in self.steps if s.applies(route))

    def run(self, route: R, exchange: X) -> None:
        plan = self._plans.get(id(route))
        for check in plan if plan is not None else self.plan(route):
            check(exchange)


# --------------------------------------------------------------------------------------------
# ASGI plumbing shared by REST emulators that answer from a synchronous ``handle``


async def read_body(receive: Receive) -> bytes | None:
    """The whole request body, or ``None`` if the client went away before sending it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            break
    return chunks[0] if len(chunks) == 1 else b"".join(chunks)


async def send_answer(
    send: Send, status: int, payload: bytes, headers: Sequence[tuple[bytes, bytes]]
) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": payload})


def server_host(scope: Scope) -> str:
    """``host[:port]`` the server listens on, for a request that sent no ``Host``."""
    server = scope.get("server")
    if not server:
        return "localhost"
    host, port = server[0], server[1]
    return host if port is None else f"{host}:{port}"
