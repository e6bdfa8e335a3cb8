"""The paging strategies (``tether.core.paging``) driven by hand, and the property that every
walk ends, whatever the server answers."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tether.core.errors import UsageError
from tether.core.paging import Cursor, NextLink, OffsetCount, PageNumber, Pager

# -- page number ----------------------------------------------------------------------------


def test_page_number_asks_one_page_until_the_first_answers() -> None:
    pager = PageNumber().start()
    assert pager.requests(4) == [1]
    assert pager.requests(4) == []  # nothing is known beyond page 1 before it answers
    assert pager.read((["a", "b"], 3)) == ["a", "b"]
    assert pager.requests(1) == [2]
    assert pager.read((["c"], 99)) == ["c"]  # a later page's count is ignored
    assert pager.requests(5) == [3]
    assert pager.read(([], 3)) == []
    assert pager.requests(5) == []


def test_page_number_hands_out_known_pages_ahead() -> None:
    pager = PageNumber().start()
    assert pager.requests(3) == [1]
    pager.read(([1], 6))
    assert pager.requests(3) == [2, 3, 4]
    assert pager.requests(3) == [5, 6]
    assert pager.requests(3) == []
    assert [pager.read(([p], 6)) for p in (2, 3, 4, 5, 6)] == [[2], [3], [4], [5], [6]]


def test_page_number_does_not_stop_on_an_empty_page() -> None:
    pager = PageNumber().start()
    seen = []
    while requests := pager.requests(1):
        seen += requests
        pager.read(([] if requests[0] == 2 else ["x"], 3))
    assert seen == [1, 2, 3]


@pytest.mark.parametrize("pages", [0, -3, None, "garbage"])
def test_page_number_with_no_usable_count_stops_after_page_one(pages: Any) -> None:
    pager = PageNumber().start()
    assert pager.requests(2) == [1]
    assert pager.read((["only"], pages)) == ["only"]
    assert pager.requests(2) == []


def test_page_number_counting_the_total() -> None:
    pager = PageNumber(counts="total", per_page=10).start()
    asked = []
    while requests := pager.requests(10):
        asked += requests
        for _ in requests:
            pager.read((["x"], 35))
    assert asked == [1, 2, 3, 4]


def test_page_number_total_needs_per_page() -> None:
    with pytest.raises(UsageError, match="per_page"):
        PageNumber(counts="total")
    with pytest.raises(UsageError):
        PageNumber(counts="items")  # type: ignore[arg-type]


# -- cursor ---------------------------------------------------------------------------------


def test_cursor_follows_cursors_one_at_a_time() -> None:
    pager = Cursor().start()
    assert pager.requests(5) == [None]
    assert pager.requests(5) == []  # the next cursor is in the answer not yet read
    assert pager.read(([1, 2], "c1")) == [1, 2]
    assert pager.requests(5) == ["c1"]
    assert pager.read(([3], None)) == [3]
    assert pager.requests(5) == []


@pytest.mark.parametrize(
    "cursors",
    [["a", "a"], ["a", "b", "a"], ["a", ""], ["start"]],
    ids=["repeated", "cycle", "empty", "back-to-start"],
)
def test_cursor_ends_on_a_looping_or_empty_cursor(cursors: list[str]) -> None:
    pager = Cursor(start_at="start").start()
    asked = []
    answers = iter(cursors)
    while requests := pager.requests(1):
        asked += requests
        pager.read((["x"], next(answers)))
    assert len(asked) == len(cursors)  # every answer read once, then the walk is over
    assert asked[0] == "start"


# -- offset / count -------------------------------------------------------------------------


def test_offset_count_stops_exactly_at_count() -> None:
    pager = OffsetCount(page_size=10).start()
    assert pager.requests(3) == [0]
    assert pager.read({"count": 35, "items": list(range(10))}) == list(range(10))
    assert pager.requests(10) == [10, 20, 30]
    assert pager.read({"count": 35, "items": list(range(10, 20))}) == list(range(10, 20))
    assert pager.read({"count": 99, "items": []}) == []  # a gap does not end it; count ignored
    # The server answers a full window at offset 30; only 5 items are left of the 35 counted.
    assert pager.read({"count": 35, "items": list(range(30, 40))}) == list(range(30, 35))
    assert pager.requests(10) == []


def test_offset_count_cuts_an_overfull_window() -> None:
    # A server answering more than asked would overlap the next window: each offset once.
    pager = OffsetCount(page_size=2).start()
    got = []
    while requests := pager.requests(1):
        got += pager.read({"count": 5, "items": [f"{requests[0]}+{k}" for k in range(3)]})
    assert got == ["0+0", "0+1", "2+0", "2+1", "4+0"]


def test_offset_count_start_and_keys() -> None:
    pager = OffsetCount(page_size=2, start_at=3, items_key="list", count_key="n").start()
    got, asked = [], []
    while requests := pager.requests(1):
        asked += requests
        got += pager.read({"n": 6, "list": ["a", "b"]})
    assert asked == [3, 5]
    assert got == ["a", "b", "a"]  # offsets 3, 4, 5 of 6


@pytest.mark.parametrize(
    "answer", [{"count": 0, "items": []}, {"items": [1]}, "not a mapping", {"count": "x"}]
)
def test_offset_count_with_no_usable_count_stops(answer: Any) -> None:
    pager = OffsetCount(page_size=5).start()
    assert pager.requests(1) == [0]
    pager.read(answer)
    assert pager.requests(1) == []


def test_offset_count_rejects_bad_sizes() -> None:
    with pytest.raises(UsageError):
        OffsetCount(page_size=0)
    with pytest.raises(UsageError):
        OffsetCount(page_size=10, start_at=-1)


# -- next link ------------------------------------------------------------------------------


def test_next_link_follows_paging_next() -> None:
    pager = NextLink().start()
    assert pager.requests(3) == [None]
    assert pager.read({"data": [1, 2], "paging": {"next": "/me/videos?page=2"}}) == [1, 2]
    assert pager.requests(3) == ["/me/videos?page=2"]
    assert pager.read({"data": [3], "paging": {"next": None}}) == [3]
    assert pager.requests(3) == []


@pytest.mark.parametrize(
    "answer",
    [
        {"data": [1]},
        {"data": [1], "paging": "odd"},
        [1, 2],
        {"data": [1], "paging": {"next": "/a"}},
    ],
    ids=["no-paging", "paging-not-a-mapping", "not-a-mapping", "link-seen-before"],
)
def test_next_link_ends_on_no_link_or_a_seen_one(answer: Any) -> None:
    pager = NextLink(start_at="/a").start()
    assert pager.requests(1) == ["/a"]
    pager.read(answer)
    assert pager.requests(1) == []


def test_a_strategy_starts_independent_walks() -> None:
    strategy = Cursor()
    one, two = strategy.start(), strategy.start()
    one.requests(1)
    one.read(([1], "next"))
    assert one.requests(1) == ["next"]
    assert two.requests(1) == [None]


# -- every walk ends ------------------------------------------------------------------------

HARD_CAP = 10_000  # far above any bound below: reaching it means the walk did not end


def _drive(pager: Pager, limits: list[int], server: Any) -> tuple[list[Any], list[Any]]:
    """Run a pager against ``server(i, request)`` (the i-th request) until it stops."""
    asked: list[Any] = []
    items: list[Any] = []
    for limit in itertools.cycle(limits):
        requests = pager.requests(limit)
        if not requests:
            return asked, items
        assert len(requests) <= limit
        for request in requests:
            asked.append(request)
            items += pager.read(server(len(asked) - 1, request))
        assert len(asked) < HARD_CAP, "the walk does not end"
    raise AssertionError("unreachable")


limits = st.lists(st.integers(1, 6), min_size=1, max_size=4)
counts = st.one_of(st.integers(-3, 40), st.none(), st.text(max_size=3))
item_lists = st.lists(st.integers(), max_size=5)


@settings(max_examples=200, deadline=None)
@given(answers=st.lists(st.tuples(item_lists, counts), min_size=1, max_size=8), lim=limits)
def test_page_number_ends_on_the_first_count(answers: list[Any], lim: list[int]) -> None:
    # Past the end of its list the server keeps answering, cycling through it (Flickr repeats
    # its last page; this one is worse).
    asked, _ = _drive(PageNumber().start(), lim, lambda i, _r: answers[i % len(answers)])
    first = answers[0][1]
    pages = int(first) if _is_int(first) else 0
    assert asked == list(range(1, max(1, pages) + 1))


@settings(max_examples=200, deadline=None)
@given(
    answers=st.lists(st.tuples(item_lists, st.integers(-3, 200)), min_size=1, max_size=8),
    per_page=st.integers(1, 20),
    lim=limits,
)
def test_page_number_by_total_ends(answers: list[Any], per_page: int, lim: list[int]) -> None:
    pager = PageNumber(counts="total", per_page=per_page).start()
    asked, _ = _drive(pager, lim, lambda i, _r: answers[i % len(answers)])
    total = answers[0][1]
    assert asked == list(range(1, max(1, -(-total // per_page)) + 1))


@settings(max_examples=200, deadline=None)
@given(
    answers=st.lists(
        st.fixed_dictionaries({"count": st.integers(-3, 120), "items": item_lists}),
        min_size=1,
        max_size=8,
    ),
    page_size=st.integers(1, 30),
    start_at=st.integers(0, 10),
    lim=limits,
)
def test_offset_count_ends_exactly_at_count(
    answers: list[Any], page_size: int, start_at: int, lim: list[int]
) -> None:
    pager = OffsetCount(page_size=page_size, start_at=start_at).start()
    asked, items = _drive(pager, lim, lambda i, _r: answers[i % len(answers)])
    count = answers[0]["count"]
    assert asked == list(range(start_at, max(start_at + 1, count), page_size))
    assert len(items) <= max(0, count - start_at)


tokens = st.sampled_from([None, "", "a", "b", "c", "d"])


@settings(max_examples=300, deadline=None)
@given(
    answers=st.lists(st.tuples(item_lists, tokens), min_size=1, max_size=10),
    start_at=st.sampled_from([None, "a", "z"]),
    lim=limits,
)
def test_cursor_ends_even_when_the_server_loops(
    answers: list[Any], start_at: str | None, lim: list[int]
) -> None:
    asked, _ = _drive(Cursor(start_at).start(), lim, lambda i, _r: answers[i % len(answers)])
    # Each request after the first follows a cursor never followed before, out of four.
    assert len(asked) <= 1 + 4
    assert asked[0] == start_at
    assert len(set(asked)) == len(asked)  # no page asked twice


@settings(max_examples=300, deadline=None)
@given(
    answers=st.lists(
        st.one_of(
            st.fixed_dictionaries(
                {"data": item_lists, "paging": st.fixed_dictionaries({"next": tokens})}
            ),
            st.fixed_dictionaries({"data": item_lists}),
            st.none(),
        ),
        min_size=1,
        max_size=10,
    ),
    lim=limits,
)
def test_next_link_ends_even_when_the_server_loops(answers: list[Any], lim: list[int]) -> None:
    asked, _ = _drive(NextLink().start(), lim, lambda i, _r: answers[i % len(answers)])
    assert len(asked) <= 1 + 4
    assert len(set(asked)) == len(asked)


def _is_int(text: Any) -> bool:
    try:
        int(text)
    except (TypeError, ValueError):
        return False
    return True
