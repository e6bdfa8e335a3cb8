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
  call ``i``'s result, unless it is ``false``: then the next entry of ``execute_errors`` (VK
  lists them in the order the calls failed) is that call's error, as an ``APIError``. Beyond
  vk_api: an entry naming another method than the call's is left for a later ``false`` (that
  ``false`` was the call's own answer), so one odd ``false`` cannot shift every later error
  onto the wrong call. An answer that does not have one value per call is a ``ReqError``; an
  error of the ``execute`` request itself (5, 12, 13 …) is raised whole, for every call.
- Calls that differ only in an id list (``users.get`` of a few ids each) are merged into one
  inner call and each call gets its own ids' objects back (``coalesce.py``); a ``many`` whose
  calls all merge into one is that one plain call.
- Chunks are separate ``execute`` requests run through one ``Gather``: in turn on ``API``,
  concurrently on ``AsyncAPI``; each takes one slot of the token's pacing bucket, as one
  call (a chunk of 25 calls costs one request of the token's rate).
- ``execute`` itself is recovered as a plain call is (``calls.py``, which hands back the
  whole answer, ``execute_errors`` too): 6 and 9 waited out (``auto_delay``), a captcha (14)
  asked through ``input`` and the same script sent again with its key (``validation``), and
  VK's own failures 1 and 10 sent again only when every call in the script is a read
  (``spec.READS``): a script with one write may have written before it failed.
- Pages (``pages_flow``: ``api.walk``, ``reqn``) are one method at many offsets: one page is
  a plain call; more are one script looping over the offsets (its size does not grow with
  the pages). A pack VK finds too big to answer (13, "response size is too big") is halved
  and each half sent, down to plain calls. A page that failed inside with 6 or 9 (or 1 or
  10, for a read) is asked again alone, as a plain call with its recoveries (not with
  ``auto_delay=False``); any other failed page raises its ``APIError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from typing import Any, ClassVar, Final, Protocol

from tether.core.errors import UsageError
from tether.core.flow import Flow, Gather
from tether.core.paging import OffsetPacks, Probe
from tether.runtime import Walk
from tether.services.kit.rpc import MethodProxy
from tether.services.vk import coalesce
from tether.services.vk.calls import encode_params, log
from tether.services.vk.errors import APIError, ReqError, api_error
from tether.services.vk.spec import (
    DEFAULT_PAGE_SIZE,
    DELAY_CODES,
    PAGE_SIZES,
    READS,
    TRANSIENT_CODES,
)

__all__ = [
    "MAX_CALLS",
    "Batch",
    "Pending",
    "chunk_flow",
    "many_flow",
    "packs_flow",
    "pages_flow",
    "script",
    "walk",
]

#: Most API calls in one ``execute`` (VK's limit).
MAX_CALLS: Final = 25
#: Most ``execute`` requests of one ``many`` in flight at once (async).
MAX_IN_FLIGHT: Final = 8
_METHOD: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:\.[A-Za-z][A-Za-z0-9_]*)+")

Item = coalesce.Item


class _Client(Protocol):
    _sync: ClassVar[bool]
    _max_attempts: int
    _auto_delay: bool
    _run: Any
    _runtime: Any

    def _call_flow(
        self,
        method: str,
        params: dict[str, Any],
        raw: bool | None = None,
        *,
        whole: bool = False,
        read: bool | None = None,
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
    errors = answer.get("execute_errors")
    errors = [e for e in errors if isinstance(e, Mapping)] if isinstance(errors, list) else []
    out: list[Any] = []
    for (method, _), value in zip(chunk, response, strict=True):
        if value is not False:
            out.append(value)
            continue
        entry = errors[0] if errors else None
        named = entry.get("method") if entry is not None else None
        if entry is not None and isinstance(named, str) and named != method:
            out.append(value)  # the entry is a later call's: this false is an answer
            continue
        if entry is None:
            entry = {
                "error_code": -1,  # api_error's "no code"
                "error_msg": "execute answered false with no execute_errors entry",
            }
        else:
            errors.pop(0)
        out.append(api_error(dict(entry), method))
    return out


# -- the flows -------------------------------------------------------------------------------


def execute_flow(api: _Client, code: str, read: bool = False) -> Flow[Any]:
    """One ``execute`` request, recovered as a plain call (``read``: every call in ``code``
    is a read): the whole answer, ``response`` and ``execute_errors``."""
    answer: Any = yield from api._call_flow(
        "execute", {"code": code}, raw=False, whole=True, read=read
    )
    return answer


def chunk_flow(api: _Client, chunk: list[Item]) -> Flow[list[Any]]:
    """At most ``MAX_CALLS`` calls as one ``execute``: each call's result or ``APIError``."""
    read = all(READS.is_read(method) for method, _ in chunk)
    answer = yield from execute_flow(api, script(chunk), read)
    return split(answer, chunk)


def many_flow(api: _Client, calls: Iterable[Any]) -> Flow[list[Any]]:
    """Every call's result or ``APIError``, in order."""
    return (yield from packs_flow(api, items(calls)))


def packs_flow(api: _Client, calls: list[Item]) -> Flow[list[Any]]:
    """Every call's result or ``APIError``, in order: calls differing only in an id list
    merged (``coalesce.py``), the units sent 25 to an ``execute``, or as one plain call when
    they make a single unit of merged calls."""
    units, slots = coalesce.plan(calls)
    if not units:
        return []
    if len(units) == 1 and len(calls) > 1:
        method, params = units[0]
        try:
            answers: list[Any] = [(yield from api._call_flow(method, params, raw=False))]
        except APIError as e:
            answers = [e]
        return coalesce.spread(calls, slots, answers)
    chunks = [units[i : i + MAX_CALLS] for i in range(0, len(units), MAX_CALLS)]
    if len(chunks) == 1:
        answers = yield from chunk_flow(api, chunks[0])
    else:
        parts = yield Gather([chunk_flow(api, c) for c in chunks], MAX_IN_FLIGHT)
        answers = [result for part in parts for result in part]
    return coalesce.spread(calls, slots, answers)


# -- pages: one method at many offsets (api.walk, reqn) ---------------------------------------

Window = tuple[int, int]  # (offset, count)


def pages_script(method: str, params: Mapping[str, str], windows: list[Window]) -> str:
    """The VKScript asking ``windows`` of ``method``: a loop that sets ``offset`` when the
    windows have one ``count`` and evenly spaced offsets, else ``script``'s forms."""
    (first, count), step = windows[0], windows[1][0] - windows[0][0] if len(windows) > 1 else 0
    even = step > 0 and all(
        o == first + i * step and c == count for i, (o, c) in enumerate(windows)
    )
    if not even:
        return script([(method, {**params, "offset": str(o), "count": str(c)}) for o, c in windows])
    literal = _literal({**params, "count": str(count)})
    return (
        f"var p={literal},i=0,r=[];while(i<{len(windows)}){{p.offset={first}+i*{step};"
        f"r.push(API.{method}(p));i=i+1;}};return r;"
    )


def probe_script(method: str, params: Mapping[str, str], windows: list[Window]) -> str:
    """The VKScript asking ``windows`` of ``method`` in turn, but none at or past the ``count``
    its first page gives (vk_api's ``get_all`` reads the count in the script the same way): a
    walk's first request, before the count is known. A first page that failed or has no
    count asks nothing more."""
    offsets = ",".join(str(o) for o, _ in windows)
    counts = ",".join(str(c) for _, c in windows)
    return (
        f"var p={_literal(params)},o=[{offsets}],n=[{counts}],i=0,r=[],c=o[0]+1,a=0;"
        "while(i<o.length&&o[i]<c){p.offset=o[i];p.count=n[i];"
        f"a=API.{method}(p);r.push(a);"
        "if(i==0){c=a?a.count:0;if(c==null){c=0;};};i=i+1;};return r;"
    )


def _stops_before(head: list[Any], asked: int, offset: int) -> bool:
    """Whether a probe's first pages (``asked`` windows, answered ``head``) tell that nothing
    at ``offset`` or past it is to be asked."""
    total = head[0].get("count") if head and isinstance(head[0], Mapping) else None
    return len(head) < asked or not isinstance(total, int) or offset >= total


def _too_big(error: APIError) -> bool:
    return error.kwargs.get("error_code") == 13 and "too big" in str(error.kwargs.get("error_msg"))


def pages_flow(
    api: _Client,
    method: str,
    params: Mapping[str, str],
    windows: list[Window],
    probe: bool = False,
) -> Flow[list[Any]]:
    """The answers of ``method`` at ``windows`` (at most ``MAX_CALLS``), in order: one plain
    call for one window, else one ``execute`` (see the module docstring). ``probe``: the
    windows past the count the first page gives are not asked (``probe_script``), so the
    answer may hold fewer pages than windows.

    Raises:
        APIError: a page failed (its own error), or the ``execute`` did.
    """
    if len(windows) == 1:
        offset, count = windows[0]
        args = {**params, "offset": offset, "count": count}
        return [(yield from api._call_flow(method, args, raw=False))]
    code = (probe_script if probe else pages_script)(method, params, windows)
    try:
        answer = yield from execute_flow(api, code, READS.is_read(method))
    except APIError as e:
        if not _too_big(e):
            raise
        half = len(windows) // 2
        log.info("VK found %d pages too big for one answer: asking halves (%s)", half * 2, method)
        head = yield from pages_flow(api, method, params, windows[:half], probe)
        if probe and _stops_before(head, half, windows[half][0]):
            return head
        return head + (yield from pages_flow(api, method, params, windows[half:]))
    asked = len(windows)
    if probe and isinstance(answer.get("response"), list):
        asked = min(asked, len(answer["response"]))  # the script stopped at the count
    pages = split(answer, [(method, {})] * asked)
    again = set(DELAY_CODES) | (set(TRANSIENT_CODES) if READS.is_read(method) else set())
    for i, page in enumerate(pages):
        if isinstance(page, APIError) and api._auto_delay and page.error_code in again:
            # A page VK failed to serve for now (too many requests, flood, its own failure)
            # is asked again alone, with a plain call's recoveries: the pack's other pages
            # are kept, not thrown away with it.
            offset, count = windows[i]
            args = {**params, "offset": offset, "count": count}
            pages[i] = yield from api._call_flow(method, args, raw=False)
        elif isinstance(page, APIError):
            raise page
    return pages


def walk(api: _Client, method: str, params: dict[str, Any]) -> Walk[Any]:
    """``api.walk``: every item of a count + items method, 25 pages to an ``execute``, the
    first one asking no page past the count its first page gives (``probe_script``);
    ``count=`` is the page size (default ``spec.PAGE_SIZES``, or 100), ``offset=`` the first
    item."""
    params = dict(params)
    page_size = int(params.pop("count", None) or PAGE_SIZES.get(method, DEFAULT_PAGE_SIZE))
    start = int(params.pop("offset", 0) or 0)
    method, base = item(method, params)  # the name checked before anything is sent

    def fetch(offsets: tuple[int, ...]) -> Flow[list[Any]]:
        windows = [(o, page_size) for o in offsets]
        return (yield from pages_flow(api, method, base, windows, isinstance(offsets, Probe)))

    return Walk(api._runtime, fetch, 0, OffsetPacks(page_size, MAX_CALLS, start))


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
