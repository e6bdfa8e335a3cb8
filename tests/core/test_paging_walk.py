"""The one ``Walk`` type (``tether.runtime``) over every paging strategy, on both drivers:
laziness, slicing, prefetch through ``Gather``, misuse; and OVH's ``iterate`` against the
sandbox, counting the pages it asks for."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from tether.core.errors import TetherError, UsageError
from tether.core.flow import Flow, Gather, Send
from tether.core.messages import Request, Response
from tether.core.paging import Cursor, NextLink, OffsetCount, PageNumber
from tether.runtime import AsyncRuntime, SyncRuntime, Walk, _walk_step

# -- fakes: a listing of N numbers served in four shapes -------------------------------------


def _query(request: Request) -> dict[str, str]:
    return {k: v[0] for k, v in parse_qs(urlsplit(request.url).query).items()}


class Listing:
    """The numbers 0..total-1, ``per_page`` a page; remembers every request it served."""

    def __init__(self, total: int, per_page: int) -> None:
        self.total, self.per_page = total, per_page
        self.asked: list[dict[str, str]] = []

    def answer(self, request: Request) -> Response:
        q = _query(request)
        self.asked.append(q)
        offset = int(q.get("offset") or q.get("cursor") or 0)
        if "page" in q:
            offset = (int(q["page"]) - 1) * self.per_page
        body = json.dumps(list(range(offset, min(offset + self.per_page, self.total))))
        return Response(200, body=body.encode())

    def pages(self) -> int:
        return -(-self.total // self.per_page)


class SyncT:
    def __init__(self, listing: Listing) -> None:
        self.listing = listing

    def send(self, request: Request) -> Response:
        return self.listing.answer(request)

    def close(self) -> None:
        pass


class AsyncT:
    def __init__(self, listing: Listing) -> None:
        self.listing = listing
        self.inflight = self.peak = 0

    async def send(self, request: Request) -> Response:
        self.inflight += 1
        self.peak = max(self.peak, self.inflight)
        await asyncio.sleep(0.001)
        self.inflight -= 1
        return self.listing.answer(request)

    async def aclose(self) -> None:
        pass


def _items(response: Response) -> list[int]:
    items: list[int] = json.loads(response.body)
    return items


def fetchers(listing: Listing) -> dict[str, tuple[Any, Any]]:
    """strategy name -> (strategy, fetch) for the listing, each in its service's shape."""

    def by_page(page: int) -> Flow[tuple[list[int], int]]:
        r = yield Send(Request("GET", f"http://x/?page={page}"))
        return _items(r), listing.pages()

    def by_cursor(cursor: str | None) -> Flow[tuple[list[int], str | None]]:
        r = yield Send(Request("GET", f"http://x/?cursor={cursor or ''}"))
        items = _items(r)
        end = (int(cursor or 0)) + len(items)
        return items, (str(end) if end < listing.total else None)

    def by_offset(offset: int) -> Flow[dict[str, Any]]:
        r = yield Send(Request("GET", f"http://x/?offset={offset}&count={listing.per_page}"))
        return {"count": listing.total, "items": _items(r)}

    def by_link(link: str | None) -> Flow[dict[str, Any]]:
        r = yield Send(Request("GET", link or "http://x/?offset=0"))
        items = _items(r)
        end = int(_query(Request("GET", link or "http://x/?offset=0"))["offset"]) + len(items)
        nxt = f"http://x/?offset={end}" if end < listing.total else None
        return {"data": items, "paging": {"next": nxt}}

    return {
        "page": (PageNumber(), by_page),
        "cursor": (Cursor(), by_cursor),
        "offset": (OffsetCount(page_size=listing.per_page), by_offset),
        "link": (NextLink(), by_link),
    }


SHAPES = ["page", "cursor", "offset", "link"]


@pytest.mark.parametrize("shape", SHAPES)
def test_sync_walk_yields_every_item_once_and_slices_lazily(shape: str) -> None:
    listing = Listing(total=47, per_page=10)
    strategy, fetch = fetchers(listing)[shape]
    walk: Walk[int] = Walk(SyncRuntime(SyncT(listing)), fetch, strategy=strategy)
    assert list(walk) == list(range(47))
    assert len(listing.asked) == 5
    listing.asked.clear()
    assert list(walk[:25]) == list(range(25))  # each iteration starts again from page one
    assert len(listing.asked) == 3
    listing.asked.clear()
    assert list(walk[12:20:3]) == [12, 15, 18]
    assert len(listing.asked) == 2


@pytest.mark.parametrize("shape", SHAPES)
async def test_async_walk_matches_sync_and_prefetches_only_known_pages(shape: str) -> None:
    listing = Listing(total=95, per_page=10)
    strategy, fetch = fetchers(listing)[shape]
    t = AsyncT(listing)
    walk: Walk[int] = Walk(AsyncRuntime(t), fetch, prefetch=4, strategy=strategy)
    assert [x async for x in walk] == list(range(95))
    assert len(listing.asked) == 10
    # Page numbers and offsets are known ahead: four at once. Cursors and links are not.
    assert t.peak == (4 if shape in ("page", "offset") else 1)
    listing.asked.clear()
    assert [x async for x in walk[:12]] == list(range(12))
    # The first page alone, then one Gather of four: the slice ends inside it.
    assert len(listing.asked) == (5 if shape in ("page", "offset") else 2)


def test_sync_walk_ignores_prefetch() -> None:
    listing = Listing(total=95, per_page=10)
    strategy, fetch = fetchers(listing)["page"]
    walk: Walk[int] = Walk(SyncRuntime(SyncT(listing)), fetch, prefetch=4, strategy=strategy)
    assert list(walk[:12]) == list(range(12))
    assert [q["page"] for q in listing.asked] == ["1", "2"]


def test_a_walk_step_is_one_flow_that_gathers_pages_known_ahead() -> None:
    listing = Listing(total=50, per_page=10)
    strategy, fetch = fetchers(listing)["page"]
    pager = strategy.start()
    step = _walk_step(fetch, pager, 3)
    effect = next(step)
    assert isinstance(effect, Send)  # page one alone, as a plain send: no Gather of one
    with pytest.raises(StopIteration) as done:
        step.send(listing.answer(effect.request))
    assert done.value.value == list(range(10))

    step = _walk_step(fetch, pager, 3)
    effect = next(step)
    assert isinstance(effect, Gather) and len(effect.flows) == 3
    answers = [SyncRuntime(SyncT(listing)).run(f) for f in effect.flows]
    with pytest.raises(StopIteration) as done:
        step.send(answers)
    assert done.value.value == list(range(10, 40))

    step = _walk_step(fetch, pager, 3)
    assert isinstance(next(step), Send)  # only page five is left
    with pytest.raises(StopIteration) as done:
        step.send(listing.answer(Request("GET", "http://x/?page=5")))
    assert done.value.value == list(range(40, 50))
    with pytest.raises(StopIteration) as done:
        next(_walk_step(fetch, pager, 3))
    assert done.value.value is None  # over: no request at all


def test_walk_misuse_is_a_usage_error() -> None:
    listing = Listing(total=5, per_page=10)
    strategy, fetch = fetchers(listing)["page"]
    sync_walk: Walk[int] = Walk(SyncRuntime(SyncT(listing)), fetch, strategy=strategy)
    async_walk: Walk[int] = Walk(AsyncRuntime(AsyncT(listing)), fetch, strategy=strategy)
    with pytest.raises(UsageError, match="async for"):
        iter(async_walk)
    with pytest.raises(UsageError, match="plain `for`"):
        sync_walk.__aiter__()
    with pytest.raises(UsageError, match="sliced"):
        sync_walk[3]  # type: ignore[index]
    with pytest.raises(UsageError, match="non-negative"):
        sync_walk[-2:]
    assert listing.asked == []  # nothing fetched by any of it


class Refused(TetherError):
    pass


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_a_failing_page_raises_from_the_walk(mode: str) -> None:
    listing = Listing(total=50, per_page=10)

    def fetch(page: int) -> Flow[tuple[list[int], int]]:
        yield Send(Request("GET", f"http://x/?page={page}"))
        if page == 3:
            raise Refused("page 3 refused")
        return [page], 5

    got: list[int] = []
    with pytest.raises(Refused):
        if mode == "sync":
            for x in Walk(SyncRuntime(SyncT(listing)), fetch):
                got.append(x)
        else:

            async def go() -> None:
                async for x in Walk(AsyncRuntime(AsyncT(listing)), fetch, prefetch=2):
                    got.append(x)

            asyncio.run(go())
    assert got == ([1, 2] if mode == "sync" else [1])  # async: pages 2-3 are one Gather


# -- OVH iterate against the sandbox ----------------------------------------------------------


def _ovh(tether_sandbox: Any, cls: Any) -> Any:
    c = tether_sandbox.credentials()["ovh"]
    return cls(
        endpoint=c["base_url"],
        application_key=c["application_key"],
        application_secret=c["application_secret"],
        consumer_key=c["consumer_key"],
        environ={},
    )


def _pages_asked(tether_sandbox: Any) -> int:
    calls: dict[str, int] = tether_sandbox.stats("ovh")["calls"]
    return sum(n for call, n in calls.items() if call.endswith("/v2/iam/resource"))


def test_ovh_iterate_slice_costs_only_the_pages_needed(tether_sandbox: Any) -> None:
    from tether.ovh import Client

    with _ovh(tether_sandbox, Client) as client:
        walk = client.iterate("/v2/iam/resource", page_size=25)
        assert _pages_asked(tether_sandbox) == 0  # nothing fetched before iteration
        first30 = list(walk[:30])
        assert len(first30) == 30
        assert _pages_asked(tether_sandbox) == 2
        assert list(walk[:25]) == first30[:25]
        assert _pages_asked(tether_sandbox) == 3  # one page more, from the start again
        everything = list(walk)
        assert everything[:30] == first30
        assert len(everything) == len({i["id"] for i in everything}) == 120
        assert _pages_asked(tether_sandbox) == 3 + 5


def test_async_ovh_iterate_slice_costs_only_the_pages_needed(tether_sandbox: Any) -> None:
    from tether.ovh import AsyncClient, Client

    with _ovh(tether_sandbox, Client) as client:
        expected = list(client.iterate("/v2/iam/resource", page_size=25)[10:60:5])
    before = _pages_asked(tether_sandbox)

    async def go() -> list[Any]:
        async with _ovh(tether_sandbox, AsyncClient) as client:
            walk = client.iterate("/v2/iam/resource", page_size=25)
            return [item async for item in walk[10:60:5]]

    assert asyncio.run(go()) == expected
    assert _pages_asked(tether_sandbox) - before == 3  # items 10..59 are on pages 1-3
