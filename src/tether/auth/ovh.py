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
