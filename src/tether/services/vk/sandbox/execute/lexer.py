"""VKScript's tokens: numbers, strings, names, operators, with their line and column.

Invariants:
- One pass, linear in the code's length; the code is at most ``MAX_CODE`` characters (the
  caller checks), so the token list is bounded too.
- A number literal is an int when it has no ``.``/exponent and fits a double exactly
  (|n| <= 2**53), else a float; a literal that is not finite is a compile error. Strings take
  single or double quotes and JSON's escapes (``\\n``, ``\\"``, ``\\uXXXX`` …, plus ``\\'``).
- Every failure is ``CompileError`` (VK's 12), with where it happened.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Final

#: Longest ``code`` accepted (real VK's bound is unpublished; 256 KiB holds 25 calls with a
#: thousand ids each).
MAX_CODE: Final = 256 * 1024
INT_LIMIT: Final = 2**53

#: Two-character operators first: the pattern tries alternatives in order.
_OPS: Final = ("==", "!=", "<=", ">=", "&&", "||", "@.", *"+-*/%<>!=()[]{},;.:?")
_TOKEN: Final = re.compile(
    r"""
    (?P<space>[ \t\r\n]+|//[^\n]*|/\*.*?\*/)
  | (?P<number>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)
  | (?P<name>[A-Za-z_$][A-Za-z0-9_$]*)
  | (?P<string>"(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*')
  | (?P<op>"""
    + "|".join(re.escape(op) for op in _OPS)
    + ")",
    re.VERBOSE | re.DOTALL,
)
_ESCAPES: Final = {
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "/": "/",
    "\\": "\\",
    '"': '"',
    "'": "'",
}
_ESCAPE: Final = re.compile(r"\\(u[0-9a-fA-F]{4}|.)", re.DOTALL)


class CompileError(Exception):
    """VK's 12: the code does not compile."""

    def __init__(self, detail: str, line: int = 0, column: int = 0) -> None:
        where = f" in line {line} column {column}" if line else ""
        super().__init__(f"{detail}{where}")
        self.detail = detail


@dataclass(frozen=True, slots=True)
class Token:
    kind: str  # "number", "string", "name", "op", "end"
    value: object  # the number, the decoded text, the name or the operator
    line: int
    column: int


def _unescape(body: str, line: int, column: int) -> str:
    def one(m: re.Match[str]) -> str:
        seq = m.group(1)
        if seq[0] == "u" and len(seq) == 5:
            return chr(int(seq[1:], 16))
        if seq in _ESCAPES:
            return _ESCAPES[seq]
        raise CompileError(f"unknown escape \\{seq}", line, column)

    return _ESCAPE.sub(one, body) if "\\" in body else body


def tokenize(code: str) -> list[Token]:
    """The tokens of ``code``, ending with one ``end`` token."""
    out: list[Token] = []
    pos, line, line_start = 0, 1, 0
    size = len(code)
    while pos < size:
        m = _TOKEN.match(code, pos)
        column = pos - line_start + 1
        if m is None:
            raise CompileError(f"unexpected character {code[pos]!r}", line, column)
        kind = m.lastgroup
        text = m.group()
        if kind == "number":
            value: object = _number(text, line, column)
        elif kind == "string":
            value = _unescape(text[1:-1], line, column)
        else:
            value = text
        if kind != "space":
            out.append(Token(kind or "op", value, line, column))
        newlines = text.count("\n")
        if newlines:
            line += newlines
            line_start = pos + text.rindex("\n") + 1
        pos = m.end()
    out.append(Token("end", None, line, pos - line_start + 1))
    return out


def _number(text: str, line: int, column: int) -> int | float:
    # int() of a long digit string is slow (and 3.11 refuses one past 4300 digits)
    if text.isdigit() and len(text) <= 16:
        n = int(text)
        if n <= INT_LIMIT:
            return n
    value = float(text)
    if not math.isfinite(value):
        raise CompileError("number out of range", line, column)
    return value
