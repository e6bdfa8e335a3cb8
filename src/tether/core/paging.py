"""Paging strategies: how the pages of a listing follow one another, as pure values.

A strategy knows, from one page's answer, the items, whether there is more and what the next
request is. It does no I/O: the facade supplies ``fetch(request) -> Flow[answer]`` and
``tether.runtime.Walk`` runs the two, sync or async. The four shapes and the answer each one
reads (the facade's fetch flow brings its own format down to that answer):

- ``PageNumber``: asks pages 1, 2, …; reads ``(items, pages)``, or ``(items, total)`` with
  ``counts="total"`` (Flickr; Ipernity).
- ``Cursor``: asks ``start_at``, then each cursor given; reads ``(items, next cursor or None)``
  (OVH v2).
- ``OffsetCount``: asks offsets 0, n, 2n, …; reads ``{"count": total, "items": [...]}`` (VK).
- ``OffsetPacks``: ``OffsetCount``'s windows asked many at a time, for a server that serves
  several pages in one request (VK's ``execute``): asks tuples of offsets, the first one a
  ``Probe`` (the server reads the count off its first page and asks no page past it); reads
  the sequence of their pages, one per offset, in order (a shorter one: the rest are empty).
- ``NextLink``: asks ``start_at``, then each link given; reads
  ``{"data": [...], "paging": {"next": link or None}}`` (Vimeo).

Invariants:
- Every walk ends. Page-number and offset walks are bounded by the count the *first* page
  announced, whatever later pages answer: their counts are ignored, and neither a short nor an
  empty page ends the walk (Flickr keeps answering items past the last page, and answers short
  pages mid-list when it filters private photos). An offset walk yields at most that count: it
  stops exactly there. Cursor and link walks end on a missing (``None`` or empty) cursor and on
  one they were given before, so a server that loops or answers past the end with an old
  cursor is taken as done; only a server inventing new cursors forever walks forever.
- A strategy is an immutable value and can start any number of walks; ``start()`` returns a
  fresh single-use ``Pager`` holding one walk's position.
- ``Pager.requests(limit)`` hands out at most ``limit`` requests and more than one only where
  the following pages are known before their predecessors answer (page number, offset once the
  first page is read): that is all a prefetching walk may fetch ahead. An empty list: the walk
  is over (or waits on an answer not yet read).
- ``Pager.read(answer)`` answers the oldest request handed out and not yet read; answers are
  read in request order.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal, Protocol, runtime_checkable

from tether.core.errors import UsageError

# split(answer) -> (items, what the answer says of the rest): a bound for counted walks, the
# next token for linked ones.
_Split = Callable[[Any], tuple[Sequence[Any], Any]]


class Pager(Protocol):
    """One walk's position in a listing (see the module docstring)."""

    def requests(self, limit: int) -> list[Any]: ...
    def read(self, answer: Any) -> list[Any]: ...


class Strategy(Protocol):
    """A paging shape; ``start()`` begins one walk."""

    def start(self) -> Pager: ...


@runtime_checkable
class Bounded(Strategy, Protocol):
    """A strategy that can be told how many items a walk will take (``upto(n)``), so that it
    asks no page they do not need: one that packs many pages a request (``OffsetPacks``)
    would otherwise ask whole packs for a slice of a few items."""

    def upto(self, limit: int) -> Strategy: ...


class _Value:
    """An immutable value over its ``__slots__``. Not frozen dataclasses: four of them added
    ~2 ms to importing every client (``-X importtime``), this module loads with each one."""

    __slots__ = ()

    def _set(self, **fields: Any) -> None:
        for name, value in fields.items():
            object.__setattr__(self, name, value)

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _names(self) -> tuple[str, ...]:
        names: tuple[str, ...] = type(self).__slots__
        return names

    def _fields(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._names())

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, _Value) or type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((type(self), self._fields()))

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._names())
        return f"{type(self).__name__}({args})"


# -- counted walks: positions known ahead once the first answer gave the bound --------------


class _CountedPager:
    """Positions ``first, first + step, …`` below an exclusive ``end`` read from the first
    answer. ``trim``: positions count items (offsets), so a page's items are cut to its window
    ``[position, min(position + step, end))``."""

    __slots__ = ("_end", "_next", "_reading", "_split", "_step", "_trim")

    def __init__(self, first: int, step: int, split: _Split, trim: bool) -> None:
        self._next = first  # the next position to hand out
        self._reading = first  # the position whose answer is read next
        self._step = step
        self._split = split
        self._trim = trim
        self._end: int | None = None  # unknown until the first answer is read

    def requests(self, limit: int) -> list[Any]:
        if self._end is None:
            if self._next != self._reading:  # the first page is out; nothing known beyond it
                return []
            self._next += self._step
            return [self._reading]
        out: list[Any] = []
        while len(out) < limit and self._next < self._end:
            out.append(self._next)
            self._next += self._step
        return out

    def read(self, answer: Any) -> list[Any]:
        items, bound = self._split(answer)
        position = self._reading
        self._reading += self._step
        if self._end is None:
            self._end = bound
        if self._trim:
            # A window holds at most ``step`` items (more would overlap the next window) and
            # none at or past ``end``: the walk yields each position once and stops at ``end``.
            return list(items[: max(0, min(self._step, self._end - position))])
        return list(items)


def _as_count(value: Any) -> int:
    # A count a facade could not read (None, garbage) means "nothing beyond this page".
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


class PageNumber(_Value):
    """Pages 1, 2, … up to the page count the first page announced.

    Args:
        counts: what the second element of the answer counts: ``"pages"`` (Flickr's
            ``pages``) or ``"total"`` items (then ``per_page`` turns it into pages).
        per_page: items per page; needed with ``counts="total"``.

    Raises:
        UsageError: ``counts="total"`` without a positive ``per_page``.
    """

    __slots__ = ("counts", "per_page")
    counts: Literal["pages", "total"]
    per_page: int | None

    def __init__(self, counts: Literal["pages", "total"] = "pages", per_page: int | None = None):
        if counts not in ("pages", "total"):
            raise UsageError("PageNumber counts 'pages' or 'total'")
        if counts == "total" and (per_page is None or per_page < 1):
            raise UsageError("PageNumber(counts='total') needs per_page >= 1 to count pages")
        self._set(counts=counts, per_page=per_page)

    def start(self) -> Pager:
        if self.counts == "pages":

            def split(answer: Any) -> tuple[Sequence[Any], int]:
                items, pages = answer
                return items, _as_count(pages) + 1

        else:
            per_page: int = self.per_page  # type: ignore[assignment]  # checked above

            def split(answer: Any) -> tuple[Sequence[Any], int]:
                items, total = answer
                return items, -(-_as_count(total) // per_page) + 1

        return _CountedPager(1, 1, split, trim=False)


class OffsetCount(_Value):
    """Offsets ``start``, ``start + page_size``, … below the ``count`` the first page
    announced; at most ``count - start`` items in all.

    The offset advances by ``page_size`` (what was asked), not by the items received: a server
    that drops deleted items from a window (VK) still lands on the right next window, and the
    following offsets are known ahead, so they can be prefetched. ``page_size`` must therefore
    not exceed what the server serves per page (the facade clamps it to the method's maximum).

    Args:
        page_size: items asked per page (VK's ``count`` parameter).
        start_at: the first offset.
        items_key, count_key: where the answer mapping holds the page's items and the total.

    Raises:
        UsageError: ``page_size`` below 1 or a negative ``start_at``.
    """

    __slots__ = ("count_key", "items_key", "page_size", "start_at")
    page_size: int
    start_at: int
    items_key: str
    count_key: str

    def __init__(
        self, page_size: int, start_at: int = 0, items_key: str = "items", count_key: str = "count"
    ) -> None:
        if page_size < 1 or start_at < 0:
            raise UsageError("OffsetCount needs page_size >= 1 and a non-negative start_at")
        self._set(page_size=page_size, start_at=start_at, items_key=items_key, count_key=count_key)

    def start(self) -> Pager:
        items_key, count_key = self.items_key, self.count_key

        def split(answer: Any) -> tuple[Sequence[Any], int]:
            if not isinstance(answer, Mapping):
                return (), 0
            return answer.get(items_key) or (), _as_count(answer.get(count_key))

        return _CountedPager(self.start_at, self.page_size, split, trim=True)


class Probe(tuple[int, ...]):
    """The first pack of an ``OffsetPacks`` walk, asked before the count is known: a server
    that can (VK's ``execute``) reads the count off the first page and leaves out the pages
    at or past it, answering fewer pages than offsets."""

    __slots__ = ()


class _PackedPager:
    """``OffsetCount``'s windows handed out as packs (tuples) of at most ``pack`` offsets: a
    ``Probe`` first, then, once its answer gave the count, the following offsets below it.
    ``limit``: at most that many items in all, and no pack beyond the windows they need."""

    __slots__ = ("_end", "_next", "_out", "_packs", "_returned", "_split", "_step", "limit", "pack")

    def __init__(self, first: int, step: int, pack: int, limit: int | None, split: _Split) -> None:
        self._next = first
        self._step = step
        self.pack = pack
        self.limit = limit
        self._split = split
        self._end: int | None = None
        self._packs: list[tuple[int, ...]] = []  # handed out, not yet read (oldest first)
        self._out = 0  # windows in those packs
        self._returned = 0  # items read so far

    def _wanted(self) -> int:
        # Windows still worth asking: every window out is counted as a full one, so a slice
        # asks only what it needs; a short page (deleted items) frees room for one more.
        if self.limit is None:
            return self.pack
        missing = self.limit - self._returned - self._out * self._step
        return max(0, -(-missing // self._step))

    def requests(self, limit: int) -> list[Any]:
        if self._end is None:
            n = min(self.pack, self._wanted())
            if self._packs or n < 1:
                return []  # the probe is out (nothing is known beyond it), or none wanted
            probe = Probe(range(self._next, self._next + n * self._step, self._step))
            self._next += n * self._step
            self._packs.append(probe)
            self._out += n
            return [probe]
        out: list[Any] = []
        while len(out) < limit and self._next < self._end:
            n = min(self.pack, self._wanted(), -(-(self._end - self._next) // self._step))
            if n < 1:
                break
            offsets = tuple(range(self._next, self._next + n * self._step, self._step))
            self._next += n * self._step
            self._packs.append(offsets)
            self._out += n
            out.append(offsets)
        return out

    def read(self, answer: Any) -> list[Any]:
        offsets = self._packs.pop(0)
        self._out -= len(offsets)
        pages = list(answer) if isinstance(answer, Sequence) else []
        out: list[Any] = []
        for i, offset in enumerate(offsets):
            # A page missing from the answer is an empty one (it does not end the walk).
            items, bound = self._split(pages[i]) if i < len(pages) else ((), None)
            if self._end is None:
                self._end = _as_count(bound)
            out += items[: max(0, min(self._step, self._end - offset))]
        if self.limit is not None:
            out = out[: max(0, self.limit - self._returned)]
        self._returned += len(out)
        return out


class OffsetPacks(_Value):
    """``OffsetCount``'s windows, asked up to ``pack`` at a time (one request for many pages).

    A request is a tuple of offsets; its answer is the sequence of their pages (each what an
    ``OffsetCount`` walk reads), in the same order. The first request is a ``Probe`` of
    ``pack`` offsets: its first page gives the count, which bounds the walk as in
    ``OffsetCount`` (pages past it are dropped, or left unasked by a server that reads the
    count itself); then every request packs the next offsets below the count, at most
    ``pack``. ``limit`` bounds the items (a sliced
    walk: ``upto(stop)``): no pack holds windows those items do not need.

    Args:
        page_size: items asked per page.
        pack: most pages in one request.
        start_at: the first offset.
        limit: at most this many items (``None``: up to the count).
        items_key, count_key: where each page mapping holds its items and the total.

    Raises:
        UsageError: ``page_size`` or ``pack`` below 1, a negative ``start_at`` or ``limit``.
    """

    __slots__ = ("count_key", "items_key", "limit", "pack", "page_size", "start_at")
    page_size: int
    pack: int
    start_at: int
    limit: int | None
    items_key: str
    count_key: str

    def __init__(
        self,
        page_size: int,
        pack: int = 25,
        start_at: int = 0,
        limit: int | None = None,
        items_key: str = "items",
        count_key: str = "count",
    ) -> None:
        if page_size < 1 or pack < 1 or start_at < 0 or (limit is not None and limit < 0):
            raise UsageError(
                "OffsetPacks needs page_size >= 1, pack >= 1, a non-negative start_at and limit"
            )
        self._set(
            page_size=page_size,
            pack=pack,
            start_at=start_at,
            limit=limit,
            items_key=items_key,
            count_key=count_key,
        )

    def upto(self, limit: int) -> OffsetPacks:
        """The same walk bounded to its first ``limit`` items (within any bound it had)."""
        if self.limit is not None:
            limit = min(limit, self.limit)
        return OffsetPacks(
            self.page_size, self.pack, self.start_at, limit, self.items_key, self.count_key
        )

    def start(self) -> Pager:
        items_key, count_key = self.items_key, self.count_key

        def split(answer: Any) -> tuple[Sequence[Any], int]:
            if not isinstance(answer, Mapping):
                return (), 0
            return answer.get(items_key) or (), _as_count(answer.get(count_key))

        return _PackedPager(self.start_at, self.page_size, self.pack, self.limit, split)


# -- linked walks: each answer names the next request; nothing is known ahead ---------------


class _LinkedPager:
    """``start``, then whatever (hashable) token each answer names, until none or one seen before."""

    __slots__ = ("_asked", "_done", "_next", "_seen", "_split")

    def __init__(self, start: Any, split: _Split) -> None:
        self._next = start
        self._split = split
        self._asked = self._done = False
        # Every token handed out: a server answering one of them again is looping.
        self._seen: set[Any] = set() if start is None else {start}

    def requests(self, limit: int) -> list[Any]:
        if self._done or self._asked or limit < 1:
            return []
        self._asked = True
        return [self._next]

    def read(self, answer: Any) -> list[Any]:
        items, token = self._split(answer)
        self._asked = False
        if token is None or token == "" or token in self._seen:
            self._done = True
        else:
            self._seen.add(token)
            self._next = token
        return list(items)


class Cursor(_Value):
    """``start_at`` (``None``: the first page), then each next cursor the answers give.

    Args:
        start_at: the cursor of the first page, or ``None``.
    """

    __slots__ = ("start_at",)
    start_at: Any

    def __init__(self, start_at: Any = None) -> None:
        self._set(start_at=start_at)

    def start(self) -> Pager:
        def split(answer: Any) -> tuple[Sequence[Any], Any]:
            items, cursor = answer
            return items, cursor

        return _LinkedPager(self.start_at, split)


class NextLink(_Value):
    """``start_at`` (``None``: the listing's own URL), then each ``paging.next`` link.

    Args:
        start_at: the link of the first page, or ``None``.
        data_key: where the answer mapping holds the page's items.
    """

    __slots__ = ("data_key", "start_at")
    start_at: Any
    data_key: str

    def __init__(self, start_at: Any = None, data_key: str = "data") -> None:
        self._set(start_at=start_at, data_key=data_key)

    def start(self) -> Pager:
        data_key = self.data_key

        def split(answer: Any) -> tuple[Sequence[Any], Any]:
            if not isinstance(answer, Mapping):
                return (), None
            paging = answer.get("paging")
            link = paging.get("next") if isinstance(paging, Mapping) else None
            return answer.get(data_key) or (), link

        return _LinkedPager(self.start_at, split)
