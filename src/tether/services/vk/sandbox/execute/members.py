"""VKScript's methods of values (vk.md §4.3): arrays' ``push, pop, slice, shift, unshift,
splice, indexOf``, strings' ``substr, split, indexOf``.

Invariants:
- An array method on what is not an array is VK's 13 "Method <name> requires an array" (the
  message vk_api users meet, vk.md §7); a string method on what is not a string, "… requires
  a string"; an unknown method, 13 as well.
- Everything a method builds or adds is charged through ``charge`` (the machine's budget),
  so these methods cannot grow memory past the machine's bounds.
- Indexes follow JavaScript: a negative start or end counts from the end (``slice``,
  ``splice``), ``substr``'s length is clamped, ``indexOf`` answers -1 when absent.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from tether.services.vk.sandbox.execute.values import ScriptError, equal, number, text

_ARRAY: Final = frozenset({"push", "pop", "slice", "shift", "unshift", "splice"})
_STRING: Final = frozenset({"substr", "split"})


def _int(args: list[Any], i: int, default: int | None) -> int | None:
    if i >= len(args) or args[i] is None:
        return default
    n = number(args[i])
    if n is None:
        return 0
    return int(n)


def _span(size: int, start: int | None, end: int | None) -> tuple[int, int]:
    def clamp(i: int) -> int:
        return max(0, min(size, i + size if i < 0 else i))

    return clamp(start or 0), clamp(size if end is None else end)


def call_member(target: Any, name: str, args: list[Any], charge: Callable[[Any], Any]) -> Any:
    """``target.name(*args)``."""
    t = type(target)
    if name in _ARRAY:
        if t is not list:
            raise ScriptError(f"Method {name} requires an array")
        return _array(target, name, args, charge)
    if name in _STRING:
        if t is not str:
            raise ScriptError(f"Method {name} requires a string")
        return _string(target, name, args, charge)
    if name == "indexOf":
        if t is list:
            wanted = args[0] if args else None
            return next((i for i, x in enumerate(target) if equal(x, wanted)), -1)
        if t is str:
            return target.find(text(args[0]) if args else "null")
        raise ScriptError("Method indexOf requires an array or a string")
    raise ScriptError(f"Unknown method {name}")


def _array(items: list[Any], name: str, args: list[Any], charge: Callable[[Any], Any]) -> Any:
    if name == "push":
        charge(args)
        items.extend(args)
        return len(items)
    if name == "pop":
        return items.pop() if items else None
    if name == "shift":
        return items.pop(0) if items else None
    if name == "unshift":
        charge(args)
        items[:0] = args
        return len(items)
    if name == "slice":
        start, end = _span(len(items), _int(args, 0, 0), _int(args, 1, None))
        return charge(items[start:end])
    # splice(start, count, *new): removes count items at start, inserts new, answers the removed
    start, _ = _span(len(items), _int(args, 0, 0), None)
    count = _int(args, 1, len(items) - start)
    count = max(0, min(len(items) - start, count if count is not None else 0))
    removed = items[start : start + count]
    charge(args[2:])
    items[start : start + count] = args[2:]
    return charge(removed)


def _string(s: str, name: str, args: list[Any], charge: Callable[[Any], Any]) -> Any:
    if name == "substr":
        start, _ = _span(len(s), _int(args, 0, 0), None)
        length = _int(args, 1, len(s) - start)
        length = max(0, length if length is not None else 0)
        return charge(s[start : start + length])
    sep = args[0] if args else None
    if sep is None:
        return charge([s])
    if type(sep) is not str:
        raise ScriptError("Method split requires a string separator")
    return charge(list(s) if sep == "" else s.split(sep))
