"""Short URLs: the flickr.md §13 F13 vectors, round trips, and clear errors for bad input."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tether.core.errors import UsageError
from tether.flickr import shorturl
from tether.services.flickr.shorturl import ALPHABET


@pytest.mark.parametrize(
    ("photo_id", "short"),
    [  # flickr.md §13, F13
        (4325695128, "7Afjsu"),
        (2811466321, "5hruZg"),
        (7955646798, "d81LC7"),
        (52345678901, "2nKBhDc"),
        (0, "1"),
        (57, "Z"),
        (58, "21"),
        (3687986439, "6BTTT6"),  # the seed's link
    ],
)
def test_vectors(photo_id: int, short: str) -> None:
    assert shorturl.encode(photo_id) == short
    assert shorturl.encode(str(photo_id)) == short
    assert shorturl.decode(short) == str(photo_id)


def test_url() -> None:
    assert shorturl.url("4325695128") == "http://flic.kr/p/7Afjsu"
    assert shorturl.url(3687986439) == "http://flic.kr/p/6BTTT6"


def test_alphabet() -> None:
    assert len(ALPHABET) == len(set(ALPHABET)) == 58
    assert not set("0OIl") & set(ALPHABET)
    assert [shorturl.encode(i) for i in range(58)] == list(ALPHABET)


def test_everything_is_text() -> None:
    assert isinstance(shorturl.encode(5), str) and isinstance(shorturl.decode("6"), str)


def test_leading_zero_digits_decode_like_flickrapi() -> None:
    assert shorturl.decode("117Afjsu") == "4325695128" and shorturl.decode("111") == "0"


def test_surrounding_whitespace_in_a_text_id_is_tolerated() -> None:
    assert shorturl.encode(" 4325695128\n") == "7Afjsu"


@given(st.integers(min_value=0, max_value=10**30))
def test_round_trip(n: int) -> None:
    short = shorturl.encode(n)
    assert shorturl.decode(short) == str(n)
    assert short == "1" or not short.startswith("1")  # shortest form
    assert set(short) <= set(ALPHABET)


@given(st.text(alphabet=ALPHABET, min_size=1, max_size=20).filter(lambda s: s[0] != "1"))
def test_round_trip_from_short_ids(short: str) -> None:
    assert shorturl.encode(shorturl.decode(short)) == short


@pytest.mark.parametrize(
    "bad", ["0abc", "Il", "O", "x y", "7Afjsu/", "\u0661", "", "\u00e9", "7" * 61]
)
def test_bad_short_ids(bad: str) -> None:
    with pytest.raises(UsageError) as e:
        shorturl.decode(bad)
    assert isinstance(e.value, ValueError)  # also what FlickrAPI raised


@pytest.mark.parametrize("bad", [None, 123, b"7Afjsu"])
def test_short_ids_must_be_text(bad: Any) -> None:
    with pytest.raises(UsageError, match="text"):
        shorturl.decode(bad)


@pytest.mark.parametrize(
    "bad",
    ["abc", "", "  ", "-1", -1, "+5", "1_000", "1.5", 1.5, True, None, "\u0661\u0662", "1" * 101],
)
def test_bad_photo_ids(bad: Any) -> None:
    with pytest.raises(UsageError):
        shorturl.encode(bad)
    with pytest.raises(UsageError):
        shorturl.url(bad)


def test_error_messages_name_the_problem() -> None:
    with pytest.raises(UsageError, match="'0' is not in the base-58 alphabet"):
        shorturl.decode("a0b")
    with pytest.raises(UsageError, match="cannot be negative"):
        shorturl.encode(-5)
    with pytest.raises(UsageError, match="empty"):
        shorturl.decode("")


def test_decode_refuses_what_encode_refuses() -> None:
    biggest = 10**100 - 1
    assert shorturl.decode(shorturl.encode(biggest)) == str(biggest)
    assert len(shorturl.encode(biggest)) == 57
    with pytest.raises(UsageError, match="over 100 digits"):
        shorturl.decode("Z" * 57)
    with pytest.raises(UsageError, match="at most 57"):
        shorturl.decode("Z" * 60)
