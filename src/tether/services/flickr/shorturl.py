"""Flickr short URLs (flickr.md §11): photo ids written in base 58, ``http://flic.kr/p/<id>``.

The alphabet is the 58 characters left of ``0-9a-zA-Z`` once ``0``, ``O``, ``I`` and ``l`` are
dropped, digits first, then lower case, then upper case; the most significant digit comes first
and digit value 0 is ``"1"``. Photo ids, short ids and URLs are returned as text, as FlickrAPI
did; photo ids may be given as text or int.

Invariants:
- ``decode(encode(n)) == str(n)`` for every photo id ``n >= 0``; ``encode`` gives the shortest
  form (no leading ``"1"``), and ``decode`` accepts leading ``"1"`` digits as zeros, as
  FlickrAPI did.
- Bad input is a ``UsageError`` naming the problem: not a number, negative, a character outside
  the alphabet, empty (FlickrAPI 1.4 decoded ``""`` to ``"0"``, a photo that cannot exist), or
  absurdly long (photo ids are about 11 digits; the bound keeps int/str conversion cheap).
- ``url`` keeps FlickrAPI's ``http://`` form (the short link redirects to https anyway).
"""

from __future__ import annotations

import re
from typing import Final

from tether.core.errors import UsageError

__all__ = ["ALPHABET", "SHORT_URL", "decode", "encode", "url"]

ALPHABET: Final = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
SHORT_URL: Final = "http://flic.kr/p/%s"

_BASE: Final = len(ALPHABET)
_INDEX: Final = {c: i for i, c in enumerate(ALPHABET)}
_DIGITS: Final = re.compile(r"[0-9]+")  # ASCII only: int() would take "١٢" or "1_000"
_MAX_ID_DIGITS: Final = 100
# The longest short id of an id below 10**100 (58**57 > 10**100 > 58**56); decode checks the
# value too, since leading "1"s (zeros) make the length alone inexact.
_MAX_SHORT_LEN: Final = 57


def _photo_id(photo_id: object) -> int:
    if isinstance(photo_id, bool) or not isinstance(photo_id, (int, str)):
        raise UsageError(
            f"a photo id is a whole number (int or text), not {type(photo_id).__name__}"
        )
    if isinstance(photo_id, int):
        n = photo_id
    else:
        text = photo_id.strip()
        if not _DIGITS.fullmatch(text):
            raise UsageError(f"a photo id is a whole number, not {photo_id!r}")
        if len(text) > _MAX_ID_DIGITS:
            raise UsageError(f"a photo id has at most {_MAX_ID_DIGITS} digits")
        n = int(text)
    if n < 0:
        raise UsageError(f"a photo id cannot be negative: {photo_id!r}")
    if n >= 10**_MAX_ID_DIGITS:
        raise UsageError(f"a photo id has at most {_MAX_ID_DIGITS} digits")
    return n


def encode(photo_id: str | int) -> str:
    """Photo id → short id (``4325695128`` → ``"7Afjsu"``).

    Args:
        photo_id: the photo's id, as an int or decimal text.

    Returns:
        The base-58 short id.

    Raises:
        UsageError: not a whole number, negative, or absurdly long.
    """
    n = _photo_id(photo_id)
    out = []
    while True:
        n, digit = divmod(n, _BASE)
        out.append(ALPHABET[digit])
        if n == 0:
            return "".join(reversed(out))


def decode(short_id: str) -> str:
    """Short id → photo id, as text (``"7Afjsu"`` → ``"4325695128"``).

    Args:
        short_id: the part after ``flic.kr/p/``.

    Returns:
        The photo id in decimal.

    Raises:
        UsageError: not text, empty, too long, or a character outside the base-58 alphabet
            (``0``, ``O``, ``I`` and ``l`` are not in it).
    """
    if not isinstance(short_id, str):
        raise UsageError(f"a short id is text, not {type(short_id).__name__}")
    if not short_id:
        raise UsageError("a short id cannot be empty")
    if len(short_id) > _MAX_SHORT_LEN:
        raise UsageError(f"a short id has at most {_MAX_SHORT_LEN} characters")
    n = 0
    for c in short_id:
        digit = _INDEX.get(c)
        if digit is None:
            raise UsageError(
                f"{short_id!r} is not a Flickr short id: {c!r} is not in the base-58 alphabet"
            )
        n = n * _BASE + digit
    if n >= 10**_MAX_ID_DIGITS:  # what encode() would refuse
        raise UsageError(f"{short_id!r} stands for a photo id of over {_MAX_ID_DIGITS} digits")
    return str(n)


def url(photo_id: str | int) -> str:
    """The short URL of a photo (``"4325695128"`` → ``"http://flic.kr/p/7Afjsu"``).

    Args:
        photo_id: the photo's id, as an int or decimal text.

    Returns:
        The short URL.

    Raises:
        UsageError: as ``encode``.
    """
    return SHORT_URL % encode(photo_id)
