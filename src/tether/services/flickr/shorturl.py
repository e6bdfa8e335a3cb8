"""Flickr short URLs: base-58 photo ids (``https://flic.kr/p/<id>``), flickr.md §11.

``encode`` and ``decode`` are exact inverses on non-negative integers; ids are returned as
text, as FlickrAPI did.
"""

from __future__ import annotations

from tether.core.errors import UsageError

ALPHABET = "123456789abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ"
_INDEX = {c: i for i, c in enumerate(ALPHABET)}
SHORT_URL = "http://flic.kr/p/%s"


def encode(photo_id: str | int) -> str:
    """Photo id → short id (``4325695128`` → ``"7Afjsu"``)."""
    try:
        n = int(photo_id)
    except (TypeError, ValueError):
        raise UsageError(f"a photo id is a number, not {photo_id!r}") from None
    if n < 0:
        raise UsageError(f"a photo id is not negative: {photo_id!r}")
    out = []
    while True:
        n, digit = divmod(n, 58)
        out.append(ALPHABET[digit])
        if n == 0:
            return "".join(reversed(out))


def decode(short_id: str) -> str:
    """Short id → photo id as text (``"7Afjsu"`` → ``"4325695128"``)."""
    n = 0
    for c in short_id:
        try:
            n = n * 58 + _INDEX[c]
        except KeyError:
            raise UsageError(
                f"{short_id!r} is not a Flickr short id: {c!r} is not in the base-58 alphabet"
            ) from None
    return str(n)


def url(photo_id: str | int) -> str:
    """The short URL of a photo (``http://flic.kr/p/7Afjsu``)."""
    return SHORT_URL % encode(photo_id)
