"""Batching through VK's ``execute``: ``api.many([(method, params), …])`` and
``with api.batch() as b: r = b.users.get(user_ids=1)`` pack calls into VKScript requests of at
most 25 calls each (vk.md §4.3, §4.4) and give every call its own result or its own
``APIError``.

Invariants:
- The script is generated, never templated from user text: method names must be dotted
  identifiers (``users.get``; anything else is a ``UsageError`` before a byte is sent) and
  every parameter value is written as a JSON string literal (``json.dumps``: quotes,
  backslashes and control characters escaped; U+2028/U+2029 escaped too, which JavaScript
  parsers read as line ends), so no value can end its literal and inject code.
- Values are encoded exactly as a plain call encodes them (``calls.encode_params``: ints,
  booleans ``1``/``0``, lists comma-joined, ``None`` dropped), so a batched call sends what
  the same call made alone would.
- A chunk's script is vk_api's mixed form (``return [API.a.b({…}),API.c.d({…})];``) or, for
  calls of one method when it is shorter, its loop over an array of parameter objects.
- Matching answers to calls (vk_api's rule, vk.md §4.4): position ``i`` of ``response`` is
  call ``i``'s result, unless it is ``false``: then the next entry of ``execute_errors`` is
  that call's error, as an ``APIError``. An answer that does not have one value per call is
  a ``ReqError``; an error of the ``execute`` request itself (5, 12, 13 …) is raised whole.
- Chunks are separate ``execute`` requests run through one ``Gather``: in turn on ``API``,
  concurrently on ``AsyncAPI``; each takes one slot of the token's pacing bucket, as one
  call (a chunk of 25 calls costs one request of the token's rate).
- ``execute``'s own 6 and 9 are waited out as a plain call's are (``auto_delay``); nothing
  else is recovered: the envelope is read raw, to see ``execute_errors``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final, Protocol

from tether.core.errors import UsageError
from tether.core.flow import Flow, Gather, Sleep
from tether.services.kit.rpc import MethodProxy
from tether.services.vk.calls import encode_params, log
from tether.services.vk.errors import APIError, ReqError, api_error
from tether.services.vk.spec import DELAY_BASE, DELAY_CODES

__all__ = ["MAX_CALLS", "Batch", "Pending", "many_flow", "script"]

#: Most API calls in one ``execute`` (VK's limit).
MAX_CALLS: Final = 25
#: Most ``execute`` requests of one ``many`` in flight at once (async).
MAX_IN_FLIGHT: Final = 8
_METHOD: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+")

Item = tuple[str, dict[str, str]]


class _Client(Protocol):
    _sync: ClassVar[bool]
    _max_attempts: int
    _auto_delay: bool
    _run: Any

    def _call_flow(
        self, method: str, params: dict[str, Any], raw: bool | None = None
    ) -> Flow[Any]: ...


# -- the script ------------------------------------------------------------------------------


def _literal(params: Mapping[str, str]) -> str:
    text = json.dumps(params, ensure_ascii=False, separators=(",", ":"))
    return text.replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def item(target: Any, params: Mapping[str, Any]) -> Item:
    """One call, checked and encoded. ``target``: a method name or a ``PartialCall``."""
    method = target if isinstance(target, str) else getattr(target, "method", None)
    if not isinstance(method, str) or not _METHOD.fullmatch(method):
        raise UsageError(f"a batched call needs a method name such as 'users.get', not {method!r}")
    if method == "execute" or method.startswith("execute."):
        raise UsageError("execute cannot be batched inside execute: call api.execute()")
    if not isinstance(params, Mapping):
        raise UsageError(f"the parameters of {method} must be a mapping, not {params!r}")
    return method, encode_params(dict(params))


def items(calls: Iterable[Any]) -> list[Item]:
    """``many``'s argument: ``(method, params)`` pairs, or bare names / ``PartialCall``s."""
    out = []
    for call in calls:
        if isinstance(call, tuple) and len(call) == 2:
            out.append(item(call[0], call[1]))
        else:
            out.append(item(call, {}))
    return out


def script(chunk: list[Item]) -> str:
    """The VKScript of one chunk (see the module docstring)."""
    literals = [_literal(params) for _, params in chunk]
    calls = ",".join(f"API.{m}({lit})" for (m, _), lit in zip(chunk, literals, strict=True))
    mixed = f"return [{calls}];"
    method = chunk[0][0]
    if len(chunk) > 1 and all(m == method for m, _ in chunk):
        loop = (
            f"var p=[{','.join(literals)}],i=0,r=[];"
            f"while(i<p.length){{r.push(API.{method}(p[i]));i=i+1;}};return r;"
        )
        if len(loop) < len(mixed):
            return loop
    return mixed


def split(answer: Any, chunk: list[Item]) -> list[Any]:
    """Each call's result, or its ``APIError`` (see the module docstring)."""
    response = answer.get("response") if isinstance(answer, Mapping) else None
    if not isinstance(response, list) or len(response) != len(chunk):
        raise ReqError(
            f"Malformed response from API: execute of {len(chunk)} calls did not answer "
            "one value per call; check api_url",
            method="execute",
        )
    errors = iter(answer.get("execute_errors") or ())
    out: list[Any] = []
    for (method, _), value in zip(chunk, response, strict=True):
        if value is False:
            entry = next(errors, None)
            if not isinstance(entry, Mapping):
                entry = {
                    "error_code": -1,  # api_error's "no code"
                    "error_msg": "execute answered false with no execute_errors entry",
                }
            out.append(api_error(dict(entry), method))
        else:
            out.append(value)
    return out


# -- the flows -------------------------------------------------------------------------------


def execute_flow(api: _Client, code: str) -> Flow[Any]:
    """One ``execute`` request: the whole answer (``response`` and ``execute_errors``)."""
    attempts = api._max_attempts
    for attempt in range(attempts):
        answer = yield from api._call_flow("execute", {"code": code}, raw=True)
        error = answer.get("error") if isinstance(answer, Mapping) else None
        if error is None and isinstance(answer, Mapping) and "response" in answer:
            return answer
        if not isinstance(error, Mapping):
            raise ReqError(
                'Malformed response from API: execute answered JSON with neither "response" '
                'nor "error"; check api_url',
                method="execute",
            )
        code_ = error.get("error_code")
        if code_ in DELAY_CODES and api._auto_delay and attempt + 1 < attempts:
            wait = DELAY_BASE * 2**attempt
            log.info(
                "VK asks to slow down (error %s). Wait %g sec and retry. (execute)", code_, wait
            )
            yield Sleep(wait)
            continue
        raise api_error(dict(error), "execute")
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def _chunk_flow(api: _Client, chunk: list[Item]) -> Flow[list[Any]]:
    answer = yield from execute_flow(api, script(chunk))
    return split(answer, chunk)


def many_flow(api: _Client, calls: Iterable[Any]) -> Flow[list[Any]]:
    """Every call's result or ``APIError``, in order."""
    all_items = items(calls)
    chunks = [all_items[i : i + MAX_CALLS] for i in range(0, len(all_items), MAX_CALLS)]
    if not chunks:
        return []
    if len(chunks) == 1:
        return (yield from _chunk_flow(api, chunks[0]))
    parts = yield Gather([_chunk_flow(api, c) for c in chunks], MAX_IN_FLIGHT)
    return [result for part in parts for result in part]


# -- with api.batch() as b ---------------------------------------------------------------------


class Pending:
    """A call made in a ``batch()`` block (vk_api's ``RequestResult``): ``result`` once the
    block has ended (its ``APIError`` raised for a failed call), ``error``, ``ok``, ``ready``."""

    __slots__ = ("_error", "_ready", "_value", "method", "params")

    def __init__(self, method: str, params: dict[str, str]) -> None:
        self.method, self.params = method, params
        self._value: Any = None
        self._error: APIError | None = None
        self._ready = False

    @property
    def ready(self) -> bool:
        return self._ready

    @property
    def ok(self) -> bool:
        return self._ready and self._error is None

    @property
    def error(self) -> APIError | None:
        return self._error

    @property
    def result(self) -> Any:
        if not self._ready:
            raise RuntimeError(f"{self.method}: the result is ready when the batch block ends")
        if self._error is not None:
            raise self._error
        return self._value

    def _settle(self, value: Any) -> None:
        if isinstance(value, APIError):
            self._error = value
        else:
            self._value = value
        self._ready = True

    def __repr__(self) -> str:
        state = "pending" if not self._ready else "ok" if self._error is None else "failed"
        return f"<Pending {self.method} {state}>"


class Batch:
    """``with api.batch() as b`` (``async with`` on ``AsyncAPI``): ``b.users.get(…)`` and
    ``b.call(name, **params)`` queue calls; the block's end sends them (``many``). An
    exception raised in the block sends nothing."""

    def __init__(self, api: _Client) -> None:
        self._api = api
        self._pending: list[Pending] = []

    def call(self, method: str, /, **params: Any) -> Pending:
        pending = Pending(*item(method, params))
        self._pending.append(pending)
        return pending

    def __getattr__(self, name: str) -> MethodProxy:
        if name.startswith("_"):
            raise AttributeError(name)
        return MethodProxy(self.call, name, "VK batched")

    def _flow(self) -> Flow[None]:
        pending, self._pending = self._pending, []
        results = yield from many_flow(self._api, [(p.method, p.params) for p in pending])
        for p, value in zip(pending, results, strict=True):
            p._settle(value)

    def __enter__(self) -> Batch:
        if not self._api._sync:
            raise UsageError("AsyncAPI.batch() is used with 'async with'")
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self._api._run(self._flow())

    async def __aenter__(self) -> Batch:
        if self._api._sync:
            raise UsageError("API.batch() is used with 'with'")
        return self

    async def __aexit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            await self._api._run(self._flow())
