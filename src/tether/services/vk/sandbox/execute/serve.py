"""Serving ``execute``: ``run`` (parse, run, answer) and the gates of inner calls
(``inner_dispatch``); the package's docstring states what they keep.

Invariants:
- Imported only when the first ``execute`` call comes (``execute_handler``) or by a test:
  this module needs ``methods.base``, and the method table (``methods``) imports the package,
  so the package's ``__init__`` itself must not import ``methods``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from tether.sandbox.kit.rpc import Registry
from tether.services.vk.sandbox.execute.lexer import MAX_CODE, CompileError
from tether.services.vk.sandbox.execute.machine import Dispatch, Machine
from tether.services.vk.sandbox.execute.parser import parse
from tether.services.vk.sandbox.execute.values import ScriptError
from tether.services.vk.sandbox.methods.base import (
    DENIED,
    KIND_REFUSED,
    Call,
    MethodError,
    VkMethod,
)
from tether.services.vk.sandbox.model.auth import Kind

__all__ = ["COMPILE", "Result", "inner_dispatch", "run"]

COMPILE: Final = "Unable to compile code: "


@dataclass(frozen=True)
class Result:
    """What a script answered, and its failed inner calls in the order they failed."""

    value: Any
    errors: list[dict[str, Any]] = field(default_factory=list)
    calls: int = 0


def run(code: str, dispatch: Dispatch) -> Result:
    """Run ``code``, calling the API through ``dispatch``.

    Raises:
        MethodError: 12 (does not compile) or 13 (failed while running).
    """
    if len(code) > MAX_CODE:
        raise MethodError(12, f"{COMPILE}code is longer than {MAX_CODE} characters")
    try:
        program = parse(code)
    except CompileError as e:
        raise MethodError(12, COMPILE + str(e)) from None
    machine = Machine(dispatch)
    try:
        value = machine.run(program)
    except ScriptError as e:
        raise MethodError(13, str(e)) from None
    return Result(value, machine.errors, machine.calls)


def inner_dispatch(table: Registry[VkMethod], call: Call) -> Dispatch:
    """Inner calls of a script run by ``call``'s caller (the gates of the module docstring)."""
    token = call.token
    kind = token.kind if token is not None else Kind.ANONYMOUS

    def dispatch(method: str, params: dict[str, str]) -> Any:
        line = None if method == "execute" or method.startswith("execute.") else table.get(method)
        if line is None:
            raise MethodError(3, "Unknown method passed")
        if kind not in line.kinds:
            raise MethodError(*KIND_REFUSED[kind])
        if token is not None and not token.has(line.perms):
            raise MethodError(line.denied, DENIED[line.denied])
        table.check_arguments(method, line, params)
        return line.handler(Call(call.state, params, token, call.now, call.root))

    return dispatch
