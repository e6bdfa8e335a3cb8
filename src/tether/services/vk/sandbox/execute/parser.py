"""VKScript's grammar: tokens to a tree of tuples the machine walks.

The subset served is vk.md §4.3's: ``var`` (several names in one), assignment to a name, a
field or an index, ``return``, ``if``/``else``, ``while``, ``delete``, blocks (``;`` after
``}`` optional), ``API.section.method(params)``, ``parseInt``/``parseDouble``, literals
(numbers, strings, ``true``/``false``/``null``, arrays, objects with bare or quoted keys),
``?:``, ``||``, ``&&``, ``== != < > <= >=``, ``+ - * / %``, unary ``!`` and ``-``, and the
postfix forms ``a.b``, ``a[i]``, ``a@.b`` and ``a.m(args)``. No user functions.

Invariants:
- Nodes are tuples whose first item names them (the machine dispatches on it); a program is
  ``("block", statements)``. Literal values are already decoded.
- Nesting (blocks in blocks, brackets in brackets) is at most ``MAX_NESTING`` deep, so neither
  this recursive parser nor the machine can exhaust Python's stack: deeper code is a
  ``CompileError``, as is anything outside the subset (an unknown function, ``for``, ``+=``).
- The parser runs no code and allocates in proportion to the tokens only.
"""

from __future__ import annotations

from typing import Any, Final

from tether.services.vk.sandbox.execute.lexer import CompileError, Token, tokenize

Node = tuple[Any, ...]
MAX_NESTING: Final = 48
FUNCTIONS: Final = frozenset({"parseInt", "parseDouble"})
KEYWORDS: Final = frozenset(
    {"var", "return", "if", "else", "while", "delete", "true", "false", "null"}
)
#: Binary operators by precedence, loosest first (``&&``/``||`` get their own nodes: they
#: short-circuit).
_LEVELS: Final = (
    ("||",),
    ("&&",),
    ("==", "!="),
    ("<", ">", "<=", ">="),
    ("+", "-"),
    ("*", "/", "%"),
)
_PRECEDENCE: Final = {op: i for i, ops in enumerate(_LEVELS) for op in ops}
_ASSIGNABLE: Final = frozenset({"name", "member", "index"})


def parse(code: str) -> Node:
    """The program's tree. Raises ``CompileError``."""
    return _Parser(tokenize(code)).program()


class _Parser:
    def __init__(self, tokens: list[Token]) -> None:
        self.tokens = tokens
        self.pos = 0
        self.depth = 0

    # -- tokens ----------------------------------------------------------------------------

    @property
    def tok(self) -> Token:
        return self.tokens[self.pos]

    def at(self, op: str) -> bool:
        t = self.tokens[self.pos]
        return t.kind == "op" and t.value == op

    def at_word(self, word: str) -> bool:
        t = self.tokens[self.pos]
        return t.kind == "name" and t.value == word

    def take(self) -> Token:
        t = self.tokens[self.pos]
        if t.kind != "end":
            self.pos += 1
        return t

    def expect(self, op: str) -> None:
        if not self.at(op):
            self.fail(f"'{op}' expected")
        self.pos += 1

    def fail(self, what: str) -> Any:
        t = self.tok
        found = "end of code" if t.kind == "end" else repr(t.value)
        raise CompileError(f"{what}, {found} found", t.line, t.column)

    def name(self) -> str:
        t = self.tok
        if t.kind != "name" or t.value in KEYWORDS:
            self.fail("name expected")
        self.pos += 1
        return str(t.value)

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_NESTING:
            t = self.tok
            raise CompileError("code is nested too deeply", t.line, t.column)

    # -- statements ------------------------------------------------------------------------

    def program(self) -> Node:
        body = []
        while self.tok.kind != "end":
            body.append(self.statement())
        return ("block", body)

    def statement(self) -> Node:
        self.enter()
        try:
            return self._statement()
        finally:
            self.depth -= 1

    def _statement(self) -> Node:
        if self.at(";"):
            self.pos += 1
            return ("block", [])
        if self.at("{"):
            self.pos += 1
            body = []
            while not self.at("}"):
                if self.tok.kind == "end":
                    self.fail("'}' expected")
                body.append(self.statement())
            self.pos += 1
            self._optional_semicolon()
            return ("block", body)
        if self.at_word("if"):
            self.pos += 1
            cond = self._condition()
            then = self.statement()
            other = None
            if self.at_word("else"):
                self.pos += 1
                other = self.statement()
            return ("if", cond, then, other)
        if self.at_word("while"):
            self.pos += 1
            cond = self._condition()
            return ("while", cond, self.statement())
        if self.at_word("var"):
            self.pos += 1
            names = []
            while True:
                name = self.name()
                value = None
                if self.at("="):
                    self.pos += 1
                    value = self.expression()
                names.append((name, value))
                if not self.at(","):
                    break
                self.pos += 1
            self._end_statement()
            return ("var", names)
        if self.at_word("return"):
            self.pos += 1
            empty = self.at(";") or self.at("}") or self.tok.kind == "end"
            value = ("value", None) if empty else self.expression()
            self._end_statement()
            return ("return", value)
        if self.at_word("delete"):
            self.pos += 1
            target = self.expression()
            if target[0] not in ("member", "index"):
                self.fail("a field expected after delete")
            self._end_statement()
            return ("delete", target)
        target = self.expression()
        if self.at("="):
            if target[0] not in _ASSIGNABLE:
                self.fail("cannot assign to this expression")
            self.pos += 1
            value = self.expression()
            self._end_statement()
            return ("assign", target, value)
        self._end_statement()
        return ("expr", target)

    def _condition(self) -> Node:
        self.expect("(")
        cond = self.expression()
        self.expect(")")
        return cond

    def _end_statement(self) -> None:
        if self.at(";"):
            self.pos += 1
        elif not (self.at("}") or self.tok.kind == "end"):
            self.fail("';' expected")

    def _optional_semicolon(self) -> None:
        if self.at(";"):
            self.pos += 1

    # -- expressions -----------------------------------------------------------------------

    def expression(self) -> Node:
        self.enter()
        try:
            cond = self.binary(0)
            if not self.at("?"):
                return cond
            self.pos += 1
            yes = self.expression()
            self.expect(":")
            no = self.expression()
            return ("if?", cond, yes, no)
        finally:
            self.depth -= 1

    def binary(self, level: int) -> Node:
        left = self.unary()
        while True:
            t = self.tok
            prec = _PRECEDENCE.get(t.value) if t.kind == "op" else None  # type: ignore[call-overload]
            if prec is None or prec < level:
                return left
            self.pos += 1
            right = self.binary(prec + 1)
            op = str(t.value)
            if op == "&&":
                left = ("and", left, right)
            elif op == "||":
                left = ("or", left, right)
            else:
                left = ("op", op, left, right)

    def unary(self) -> Node:
        if self.at("!") or self.at("-"):
            op = str(self.take().value)
            self.enter()
            try:
                operand = self.unary()
            finally:
                self.depth -= 1
            return ("not", operand) if op == "!" else ("neg", operand)
        return self.postfix(self.primary())

    def postfix(self, node: Node) -> Node:
        while True:
            if self.at("."):
                self.pos += 1
                field = self._field_name()
                if self.at("("):
                    node = ("call", node, field, self.arguments())
                else:
                    node = ("member", node, field)
            elif self.at("@."):
                self.pos += 1
                node = ("pluck", node, self._field_name())
            elif self.at("["):
                self.pos += 1
                self.enter()
                try:
                    index = self.expression()
                finally:
                    self.depth -= 1
                self.expect("]")
                node = ("index", node, index)
            else:
                return node

    def _field_name(self) -> str:
        t = self.tok
        if t.kind != "name":  # keywords are fine as field names (a.delete, a.return)
            self.fail("field name expected")
        self.pos += 1
        return str(t.value)

    def arguments(self) -> list[Node]:
        self.expect("(")
        args: list[Node] = []
        while not self.at(")"):
            args.append(self.expression())
            if not self.at(","):
                break
            self.pos += 1
        self.expect(")")
        return args

    def primary(self) -> Node:
        t = self.tok
        if t.kind == "number":
            self.pos += 1
            return ("value", t.value)
        if t.kind == "string":
            self.pos += 1
            return ("value", t.value)
        if t.kind == "name":
            return self._named()
        if self.at("("):
            self.pos += 1
            self.enter()
            try:
                inner = self.expression()
            finally:
                self.depth -= 1
            self.expect(")")
            return inner
        if self.at("["):
            return self._array()
        if self.at("{"):
            return self._object()
        return self.fail("expression expected")  # type: ignore[no-any-return]

    def _named(self) -> Node:
        word = str(self.take().value)
        if word == "true":
            return ("value", True)
        if word == "false":
            return ("value", False)
        if word == "null":
            return ("value", None)
        if word in KEYWORDS:
            self.pos -= 1
            return self.fail("expression expected")  # type: ignore[no-any-return]
        if word == "API":
            parts = []
            while self.at("."):
                self.pos += 1
                parts.append(self._field_name())
            if not parts or not self.at("("):
                self.fail("API method call expected")
            args = self.arguments()
            if len(args) > 1:
                self.fail("an API method takes one object of parameters")
            return ("api", ".".join(parts), args[0] if args else None)
        if self.at("("):
            if word not in FUNCTIONS:
                self.pos -= 1
                self.fail(f"unknown function {word}")
            return ("fn", word, self.arguments())
        return ("name", word)

    def _array(self) -> Node:
        self.expect("[")
        self.enter()
        try:
            items: list[Node] = []
            while not self.at("]"):
                items.append(self.expression())
                if not self.at(","):
                    break
                self.pos += 1
            self.expect("]")
        finally:
            self.depth -= 1
        return ("array", items)

    def _object(self) -> Node:
        self.expect("{")
        self.enter()
        try:
            fields: list[tuple[str, Node]] = []
            while not self.at("}"):
                t = self.tok
                if t.kind in ("name", "string", "number"):
                    key = str(t.value)
                else:
                    self.fail("field name expected")
                self.pos += 1
                self.expect(":")
                fields.append((key, self.expression()))
                if not self.at(","):
                    break
                self.pos += 1
            self.expect("}")
        finally:
            self.depth -= 1
        return ("object", fields)
