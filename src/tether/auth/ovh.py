"""OVH application signatures (``$1$`` + SHA-1), per ovh.md §3.

Invariants:
- The signed URL is the exact absolute URL sent on the wire (scheme, host, ``/1.0``, path, query
  as encoded); the body is the exact bytes sent; the timestamp is the server-corrected one.
- Pure: the timestamp is passed in.
"""

from __future__ import annotations

from hashlib import sha1


def signature(
    application_secret: str, consumer_key: str, method: str, url: str, body: bytes, timestamp: int
) -> str:
    """``"$1$" + sha1("AS+CK+METHOD+URL+BODY+TS").hexdigest()``."""
    h = sha1(
        f"{application_secret}+{consumer_key}+{method.upper()}+{url}+".encode(),
        usedforsecurity=False,
    )
    h.update(body)
    h.update(f"+{timestamp}".encode())
    return "$1$" + h.hexdigest()


class Signer:
    """``signature`` with the secret part hashed once per (secret, consumer key) pair: the
    SHA-1 state after ``"AS+CK+"`` is copied for each request instead of rehashed."""

    __slots__ = ("_prefix",)

    def __init__(self, application_secret: str, consumer_key: str) -> None:
        self._prefix = sha1(f"{application_secret}+{consumer_key}+".encode(), usedforsecurity=False)

    def __repr__(self) -> str:
        return "Signer(***)"

    def sign(self, method: str, url: str, body: bytes, timestamp: int) -> str:
        h = self._prefix.copy()
        h.update(f"{method}+{url}+".encode())
        h.update(body)
        h.update(f"+{timestamp}".encode())
        return "$1$" + h.hexdigest()
