"""PyVK's helpers (``tether.vk.helpers``): ``reqn``, the "give me n items" call.

``reqn(api.friends.get, n=7000, user_id=1)`` asks ``offset=0, count=5000`` then ``offset=5000,
count=2000`` and returns one merged answer (vk.md §4.2).

Invariants:
- Offsets advance by the batch size asked, the last batch is trimmed so that at most ``n``
  items are asked in all, and the walk stops at the first page bringing no new item, as
  PyVK's; beyond PyVK it also stops once the offset reaches the ``count`` VK announced (PyVK
  spends one more call to learn the next page is empty).
- Merging: ``items`` (and any other list, e.g. ``online_mobile``) extended, ``count`` the
  last one announced, ``profiles`` and ``groups`` de-duplicated by ``id``; a plain-list answer
  (``storage.getKeys``) is extended.
- On a tether ``API`` the whole loop is one flow run by the client's driver (``AsyncAPI``:
  ``await reqn(...)``); any other callable with ``.method`` is called in place, page by page.
- On a tether ``API`` the pages go 25 to an ``execute`` (``batch.pages_flow``): the first
  request asks up to 25 pages below ``n`` but none past the ``count`` its first page gives
  (``batch.probe_script``); later ones the pages still to ask, below ``n`` and that count
  (below ``n`` alone for a plain-list answer, which has no count; one page at a time with
  neither).
  Each page inside is the call PyVK would make (same offset, same trimmed count); pages after
  one bringing no new item are dropped, so the answer is PyVK's, in fewer requests.
- No logging side effect (PyVK's module calls ``logging.basicConfig(level=DEBUG)``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tether.core.errors import UsageError
from tether.core.flow import Flow
from tether.services.vk.batch import MAX_CALLS, pages_flow
from tether.services.vk.calls import encode_params
from tether.services.vk.spec import PAGE_SIZES

__all__ = ["UnsupportedMethod", "reqn"]


class UnsupportedMethod(UsageError, KeyError):
    """``reqn`` does not know the method's page size (PyVK raises ``KeyError``): pass
    ``batch_size=``."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def _new_items(data: Any) -> int:
    if isinstance(data, list):
        return len(data)
    if isinstance(data, dict):
        items = data.get("items")
        if isinstance(items, list):
            return len(items)
        return sum(len(v) for v in data.values() if isinstance(v, list))
    return 0


def _merge(result: Any, data: Any) -> Any:
    if result is None:
        if isinstance(data, list):
            return list(data)
        return {k: list(v) if isinstance(v, list) else v for k, v in data.items()}
    if isinstance(result, list):
        result.extend(data)
        return result
    for key, value in data.items():
        if key in ("profiles", "groups") and isinstance(value, list):
            seen = {o.get("id") for o in result.get(key, ()) if isinstance(o, dict)}
            merged = result.setdefault(key, [])
            for obj in value:
                oid = obj.get("id") if isinstance(obj, dict) else None
                if oid is None or oid not in seen:
                    merged.append(obj)
                    seen.add(oid)
        elif isinstance(value, list) and isinstance(result.get(key), list):
            result[key].extend(value)
        else:
            result[key] = value  # count: the last one announced
    return result


Windows = Callable[[list[tuple[int, int]], bool], Flow[list[Any]]]


def reqn_flow(
    fetch: Callable[[int, int], Flow[Any]],
    n: int | None,
    batch: int,
    fetch_many: Windows | None = None,
) -> Flow[Any]:
    """The merged answer of pages ``fetch(offset, count)`` (see the module docstring);
    ``fetch_many(windows, probe)``: the pages of many ``(offset, count)`` windows in one go
    (``probe``: none past the count the first one gives)."""
    result: Any = None
    offset = 0
    bound: int | None = None  # where the pages end, once a page told: n, the count VK gave
    probe = fetch_many is not None  # the first request: nothing is known yet
    while n is None or offset < n:
        windows = [(offset, batch if n is None else min(batch, n - offset))]
        if probe or (fetch_many is not None and bound is not None):
            end = bound if bound is not None else n if n is not None else offset + MAX_CALLS * batch
            ahead = range(offset + batch, end, batch)[: MAX_CALLS - 1]
            windows += [(o, batch if n is None else min(batch, n - o)) for o in ahead]
        if len(windows) == 1:
            pages = [(yield from fetch(*windows[0]))]
        else:
            pages = yield from fetch_many(windows, probe)  # type: ignore[misc]  # checked above
        probe = False
        for data in pages:
            if not isinstance(data, (list, dict)):
                return {"count": 0, "items": []} if result is None else result
            new = _new_items(data)
            if new or result is None:  # an empty first page still gives the answer's shape
                result = _merge(result, data)
            if not new:
                return result
            offset += batch
            total = data.get("count") if isinstance(data, dict) else None
            if isinstance(total, int):
                if offset >= total:
                    return result
                bound = total if n is None else min(n, total)
            elif n is not None:
                bound = n  # a plain list has no count: n bounds it
    return {"count": 0, "items": []} if result is None else result


def _plain(call: Any, kwargs: dict[str, Any]) -> Flow[Any]:
    return call(**kwargs)
    yield  # a flow that yields nothing: reqn over a callable that is not a tether API


def _run_plain(flow: Flow[Any]) -> Any:
    try:
        while True:
            next(flow)
    except StopIteration as stop:
        return stop.value


def reqn(
    partial_call: Any, n: int | None = None, batch_size: int | None = None, **args: Any
) -> Any:
    """Up to ``n`` items (all, when ``None``) of a count + items method, merged into one answer.

    Args:
        partial_call: the method, as ``api.friends.get``.
        n: how many items at most.
        batch_size: items per call (default: the method's, ``spec.PAGE_SIZES``).
        **args: the method's other arguments.

    Raises:
        UnsupportedMethod: no ``batch_size`` given and the method's page size is unknown
            (also a ``KeyError``, as PyVK's).
        UsageError: ``n`` or ``batch_size`` below 1.
    """
    method = partial_call.method
    batch = batch_size if batch_size is not None else PAGE_SIZES.get(method)
    if batch is None:
        raise UnsupportedMethod(
            f"reqn does not know the page size of {method}: pass batch_size= (VK's maximum "
            "count for that method)"
        )
    if batch < 1 or (n is not None and n < 1):
        raise UsageError("reqn needs n >= 1 (or None) and batch_size >= 1")
    owner = getattr(getattr(partial_call, "_call", None), "__self__", None)
    if owner is not None and hasattr(owner, "_call_flow"):

        def fetch(offset: int, count: int) -> Flow[Any]:
            params = {**args, "offset": offset, "count": count}
            return (yield from owner._call_flow(method, params, raw=False))

        base = encode_params(args)

        def fetch_many(windows: list[tuple[int, int]], probe: bool) -> Flow[list[Any]]:
            return (yield from pages_flow(owner, method, base, windows, probe))

        return owner._run(reqn_flow(fetch, n, batch, fetch_many))

    def fetch_plain(offset: int, count: int) -> Flow[Any]:
        return _plain(partial_call, {**args, "offset": offset, "count": count})

    return _run_plain(reqn_flow(fetch_plain, n, batch))
