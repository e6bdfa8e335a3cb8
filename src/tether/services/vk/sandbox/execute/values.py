"""VKScript's values and operators: JSON values (``None``, ``bool``, ``int``, ``float``,
``str``, ``list``, ``dict``) with JavaScript's rules, as vk.md §4.3 describes them.

Invariants:
- Numbers are doubles, as in JavaScript: an int result stays an int while |n| <= 2**53 and
  becomes a float past it, so no operator can build a huge Python int; a result that is not
  finite (a division by zero, an overflow) is a ``ScriptError`` (VK's 13), because JSON
  cannot carry it.
- Falsy are ``false``, ``null``, ``0`` and ``""``; everything else (empty arrays too) is true.
- ``+`` joins strings (when either side is one) and arrays (when both are); otherwise adds
  numbers. Comparing a string with a number compares numerically (vk.md §4.3); ordering
  values of other mixed types is VK's "Comparing values of different or unsupported types".
- ``measure`` walks a value with bounded work (it stops at the first bound passed), so a value
  that shares itself (``a = [a, a]`` twenty times) is refused before it is serialised.
- ``to_param`` writes a value as VK reads a parameter: lists comma-joined, booleans ``1``/``0``.
"""

from __future__ import annotations

import json
import math
from typing import Any, Final

INT_LIMIT: Final = 2**53
RUNTIME: Final = "Runtime error occurred during code invocation: "


class ScriptError(Exception):
    """VK's 13: the code failed while it ran."""

    def __init__(self, detail: str) -> None:
        super().__init__(RUNTIME + detail)


def truthy(v: Any) -> bool:
    if v is None or v is False:
        return False
    if type(v) is int or type(v) is float:
        return v != 0
    if type(v) is str:
        return v != ""
    return True


def number(v: Any) -> int | float | None:
    """``v`` as a number, ``None`` when it is not one (a string that does not read)."""
    t = type(v)
    if t is int or t is float:
        return v  # type: ignore[no-any-return]
    if t is bool:
        return int(v)
    if v is None:
        return 0
    if t is str:
        return parse_number(v, whole=False)
    return None


def parse_number(text: str, *, whole: bool) -> int | float | None:
    """JavaScript's ``parseInt`` (``whole``) / ``parseFloat``: the leading number of ``text``."""
    s = text.strip()
    end = 0
    if end < len(s) and s[end] in "+-":
        end += 1
    digits = end
    while end < len(s) and s[end].isdigit() and end - digits < 400:
        end += 1
    if not whole and end < len(s) and s[end] == ".":
        end += 1
        while end < len(s) and s[end].isdigit() and end - digits < 400:
            end += 1
    head = s[:end]
    if head in ("", "+", "-", ".", "+.", "-."):
        return None
    if whole and end - digits <= 16:
        return int(head)
    return fit(float(head))


def fit(n: int | float) -> int | float:
    """A number as a double would hold it (see the invariants)."""
    if type(n) is int:
        return n if -INT_LIMIT <= n <= INT_LIMIT else float(n)
    if not math.isfinite(n):
        raise ScriptError("number out of range")
    return n


def text(v: Any) -> str:
    """``v`` as string concatenation writes it."""
    if type(v) is str:
        return v
    if v is None:
        return "null"
    if v is True or v is False:
        return "true" if v else "false"
    if type(v) is float and v.is_integer():
        return str(int(v))
    if type(v) is list:
        return ",".join("" if x is None else text(x) for x in v)
    if type(v) is dict:
        return json.dumps(v, ensure_ascii=False, separators=(",", ":"))
    return str(v)


def arithmetic(op: str, a: Any, b: Any) -> Any:
    if op == "+":
        if type(a) is str or type(b) is str:
            return text(a) + text(b)
        if type(a) is list and type(b) is list:
            return a + b
    x, y = number(a), number(b)
    if x is None or y is None:
        raise ScriptError(f"unsupported operand types for {op}")
    if op == "+":
        return fit(x + y)
    if op == "-":
        return fit(x - y)
    if op == "*":
        return fit(x * y)
    if y == 0:
        raise ScriptError("division by zero")
    if op == "/":
        q = x / y
        return fit(int(q)) if q.is_integer() and abs(q) <= INT_LIMIT else fit(q)
    r = math.fmod(x, y)  # JavaScript's % keeps the dividend's sign
    return fit(int(r)) if type(x) is int and type(y) is int else fit(r)


def equal(a: Any, b: Any) -> bool:
    ta, tb = type(a), type(b)
    if ta in (list, dict) or tb in (list, dict):
        return a is b
    if ta is str and tb is str:
        return a == b  # type: ignore[no-any-return]
    if a is None or b is None:
        return a is b
    x, y = number(a), number(b)
    return x is not None and y is not None and x == y


def compare(op: str, a: Any, b: Any) -> bool:
    if op == "==":
        return equal(a, b)
    if op == "!=":
        return not equal(a, b)
    x: Any
    y: Any
    if type(a) is str and type(b) is str:
        x, y = a, b
    else:
        if type(a) in (list, dict) or type(b) in (list, dict) or a is None or b is None:
            raise ScriptError("Comparing values of different or unsupported types")
        x, y = number(a), number(b)
        if x is None or y is None:
            return False  # a string that is not a number: NaN compares false
    if op == "<":
        return bool(x < y)
    if op == ">":
        return bool(x > y)
    if op == "<=":
        return bool(x <= y)
    return bool(x >= y)


def measure(value: Any, *, cells: int, depth: int) -> int:
    """How many cells (values, plus the characters of strings) ``value`` holds.

    Raises:
        ScriptError: past ``cells`` or nested past ``depth`` ("response size is too big").
    """
    used = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        v, level = stack.pop()
        used += 1
        t = type(v)
        if t is str:
            used += len(v)
        elif t is list or t is dict:
            if level >= depth:
                raise ScriptError("response size is too big")
            items = v if t is list else v.values()
            used += len(v)
            if used > cells:
                raise ScriptError("response size is too big")
            stack.extend((x, level + 1) for x in items)
        if used > cells:
            raise ScriptError("response size is too big")
    return used


def to_param(v: Any) -> str | None:
    """A value as the text of a method parameter; ``None`` for a parameter left out."""
    t = type(v)
    if t is str:
        return v  # type: ignore[no-any-return]
    if v is None:
        return None
    if v is True or v is False:
        return "1" if v else "0"
    if t is list:
        return ",".join(p for p in (to_param(x) for x in v) if p is not None)
    return text(v)
