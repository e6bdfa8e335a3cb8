"""The VKScript machine: walks the parser's tree, calls the API through a ``dispatch`` it is
given, and keeps every bound.

Invariants:
- Pure: no ``eval``/``exec``, no I/O; the only way out is ``dispatch(method, params)``, which
  answers the inner call's value or raises ``MethodError`` (the machine then records
  ``{method, error_code, error_msg}`` in ``errors``, in the order of the failures, and the
  call evaluates to ``false``, as VK does).
- At most ``MAX_CALLS`` (25) API calls: the next one fails the whole script with VK's 13
  "Too many API calls" (nothing partial is answered).
- Bounded work and memory for any input: every node evaluated is a step (``MAX_STEPS``, so
  ``while (true) {}`` ends); every value a script builds is charged to an allocation budget
  by its size (``MAX_CELLS``: strings by characters, arrays and objects by items), so no
  sequence of concatenations, pushes or slices can grow without bound; one string is at most
  ``MAX_STRING`` characters. Parameters given to a call and the returned value are measured
  (``values.measure``) before they are written out.
- Inner results reach the script as fresh JSON values (a copy through the JSON codec): a
  script that mutates a result cannot touch the emulator's state.
- A failure is ``ScriptError`` (13) or ``CompileError`` (12); the machine never raises
  anything else for any code (a Python error inside it is a sandbox bug).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, Final

from tether.services.vk.sandbox.execute.members import call_member
from tether.services.vk.sandbox.execute.parser import Node
from tether.services.vk.sandbox.execute.values import (
    ScriptError,
    arithmetic,
    compare,
    fit,
    measure,
    number,
    parse_number,
    text,
    to_param,
    truthy,
)
from tether.services.vk.sandbox.methods.base import MethodError

MAX_CALLS: Final = 25
MAX_STEPS: Final = 200_000
MAX_CELLS: Final = 4_000_000
MAX_STRING: Final = 1_000_000
#: What one answer may hold (VK's "response size is too big" past it; its real bound is
#: unpublished, vk.md §4.3): cells as ``values.measure`` counts them, and nesting.
MAX_RESPONSE_CELLS: Final = 1_000_000
MAX_RESPONSE_DEPTH: Final = 64

Dispatch = Callable[[str, dict[str, str]], Any]


class _Return(Exception):
    def __init__(self, value: Any) -> None:
        self.value = value


class Machine:
    """Runs one program. ``errors`` holds the failed inner calls, ``calls`` how many ran."""

    def __init__(self, dispatch: Dispatch) -> None:
        self.dispatch = dispatch
        self.variables: dict[str, Any] = {}
        self.errors: list[dict[str, Any]] = []
        self.calls = 0
        self.steps = 0
        self.cells = 0

    def run(self, program: Node) -> Any:
        """The returned value (``null`` when the code ends without ``return``)."""
        try:
            self.statement(program)
            value = None
        except _Return as done:
            value = done.value
        measure(value, cells=MAX_RESPONSE_CELLS, depth=MAX_RESPONSE_DEPTH)
        return value

    # -- bounds ----------------------------------------------------------------------------

    def step(self) -> None:
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise ScriptError("too many operations")

    def charge(self, value: Any) -> Any:
        """Charge a freshly built value to the budget; the value itself is passed through."""
        t = type(value)
        size = len(value) if t is str or t is list or t is dict else 1
        if t is str and size > MAX_STRING:
            raise ScriptError("string is too long")
        self.cells += size
        if self.cells > MAX_CELLS:
            raise ScriptError("out of memory")
        return value

    # -- statements ------------------------------------------------------------------------

    def statement(self, node: Node) -> None:
        self.step()
        kind = node[0]
        if kind == "block":
            for inner in node[1]:
                self.statement(inner)
        elif kind == "expr":
            self.eval(node[1])
        elif kind == "var":
            for name, value in node[1]:
                self.variables[name] = None if value is None else self.eval(value)
        elif kind == "assign":
            self.assign(node[1], self.eval(node[2]))
        elif kind == "if":
            if truthy(self.eval(node[1])):
                self.statement(node[2])
            elif node[3] is not None:
                self.statement(node[3])
        elif kind == "while":
            while truthy(self.eval(node[1])):
                self.statement(node[2])
        elif kind == "return":
            raise _Return(self.eval(node[1]))
        elif kind == "delete":
            target, key = self.place(node[1])
            if type(target) is dict:
                target.pop(key, None)
        else:  # pragma: no cover - the parser makes no other statement
            raise AssertionError(kind)

    def place(self, node: Node) -> tuple[Any, Any]:
        """The container and key a ``member``/``index`` target names."""
        container = self.eval(node[1])
        key = node[2] if node[0] == "member" else self.eval(node[2])
        return container, key

    def assign(self, target: Node, value: Any) -> None:
        if target[0] == "name":
            self.variables[target[1]] = value
            return
        container, key = self.place(target)
        if type(container) is dict:
            container[text(key)] = value
            self.charge(1)
        elif type(container) is list:
            i = number(key)
            if type(i) is not int or not 0 <= i <= len(container):
                raise ScriptError("array index out of range")
            if i == len(container):
                self.charge(1)
                container.append(value)
            else:
                container[i] = value
        else:
            raise ScriptError("cannot set a field of this value")

    # -- expressions -----------------------------------------------------------------------

    def eval(self, node: Node) -> Any:
        self.step()
        kind = node[0]
        if kind == "value":
            return node[1]
        if kind == "name":
            return self.variables.get(node[1])
        if kind == "member":
            return self.member(self.eval(node[1]), node[2])
        if kind == "op":
            a, b = self.eval(node[2]), self.eval(node[3])
            op = node[1]
            if op in ("+", "-", "*", "/", "%"):
                result = arithmetic(op, a, b)
                if type(result) is str or type(result) is list:
                    self.charge(result)
                return result
            return compare(op, a, b)
        if kind == "and":
            left = self.eval(node[1])
            return self.eval(node[2]) if truthy(left) else left
        if kind == "or":
            left = self.eval(node[1])
            return left if truthy(left) else self.eval(node[2])
        if kind == "not":
            return not truthy(self.eval(node[1]))
        if kind == "neg":
            n = number(self.eval(node[1]))
            if n is None:
                raise ScriptError("unsupported operand type for -")
            return fit(-n)
        if kind == "if?":
            return self.eval(node[2] if truthy(self.eval(node[1])) else node[3])
        if kind == "index":
            return self.index(self.eval(node[1]), self.eval(node[2]))
        if kind == "pluck":
            items = self.eval(node[1])
            if type(items) is not list:
                raise ScriptError("Operator @. requires an array")
            field = node[2]
            return self.charge([x.get(field) if type(x) is dict else None for x in items])
        if kind == "array":
            return self.charge([self.eval(x) for x in node[1]])
        if kind == "object":
            return self.charge({key: self.eval(x) for key, x in node[1]})
        if kind == "call":
            target = self.eval(node[1])
            return call_member(target, node[2], [self.eval(x) for x in node[3]], self.charge)
        if kind == "fn":
            args = [self.eval(x) for x in node[2]]
            if not args:
                return None
            first = args[0]
            if type(first) in (int, float):
                return fit(int(first)) if node[1] == "parseInt" else first
            if type(first) is not str:
                return None
            return parse_number(first, whole=node[1] == "parseInt")
        if kind == "api":
            params = None if node[2] is None else self.eval(node[2])
            return self.api(node[1], params)
        raise AssertionError(kind)  # pragma: no cover - the parser makes no other node

    @staticmethod
    def member(value: Any, field: str) -> Any:
        t = type(value)
        if t is dict:
            return value.get(field)
        if field == "length" and (t is list or t is str):
            return len(value)
        return None  # VK answers null for a field of what has none (unconfirmed)

    @staticmethod
    def index(value: Any, key: Any) -> Any:
        t = type(value)
        if t is dict:
            return value.get(text(key))
        if t is list or t is str:
            i = number(key)
            if type(i) is float and i.is_integer():
                i = int(i)
            if type(i) is int and 0 <= i < len(value):
                return value[i]
            return None
        return None

    # -- API calls -------------------------------------------------------------------------

    def api(self, method: str, params: Any) -> Any:
        self.calls += 1
        if self.calls > MAX_CALLS:
            raise ScriptError("Too many API calls")
        if params is None:
            params = {}
        if type(params) is not dict:
            raise ScriptError(f"parameters of API.{method} must be an object")
        measure(params, cells=MAX_RESPONSE_CELLS, depth=MAX_RESPONSE_DEPTH)
        args: dict[str, str] = {}
        for key, value in params.items():
            written = to_param(value)
            if written is not None:
                args[key] = written
        try:
            result = self.dispatch(method, args)
        except MethodError as refusal:
            self.errors.append(
                {"method": method, "error_code": refusal.code, "error_msg": refusal.msg}
            )
            return False
        # Fresh values (see the invariants); also what the wire would carry.
        fresh = json.loads(json.dumps(result, ensure_ascii=False))
        self.cells += measure(fresh, cells=MAX_RESPONSE_CELLS, depth=MAX_RESPONSE_DEPTH)
        if self.cells > MAX_CELLS:
            raise ScriptError("out of memory")
        return fresh
