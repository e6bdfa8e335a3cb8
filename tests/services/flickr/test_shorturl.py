from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tether.core.errors import UsageError
from tether.flickr import shorturl


@pytest.mark.parametrize(
    ("photo_id", "short"),
    [
        (4325695128, "7Afjsu"),
        (2811466321, "5hruZg"),
        (7955646798, "d81LC7"),
        (52345678901, "2nKBhDc"),
        (0, "1"),
        (57, "Z"),
        (58, "21"),
        (3687986439, "6BTTT6"),
    ],
)
def test_vectors(photo_id: int, short: str) -> None:
    assert shorturl.encode(photo_id) == short
    assert shorturl.encode(str(photo_id)) == short
    assert shorturl.decode(short) == str(photo_id)


def test_url() -> None:
    assert shorturl.url("4325695128") == "http://flic.kr/p/7Afjsu"


@given(st.integers(min_value=0, max_value=10**30))
def test_round_trip(n: int) -> None:
    assert shorturl.decode(shorturl.encode(n)) == str(n)


@pytest.mark.parametrize("bad", ["0abc", "Il", "x y"])
def test_bad_short_ids(bad: str) -> None:
    with pytest.raises(UsageError):
        shorturl.decode(bad)


def test_bad_photo_ids() -> None:
    with pytest.raises(UsageError):
        shorturl.encode("abc")
    with pytest.raises(UsageError):
        shorturl.encode(-1)
