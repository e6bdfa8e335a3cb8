"""OVH application-key authentication (ovh.md §3): the server's clock, taken once, and the
``$1$`` + SHA-1 signature of each request.

Invariants:
- The signed URL is the exact absolute URL sent on the wire (scheme, host, ``/1.0``, path, query
  as encoded); the body is the exact bytes sent; the timestamp is the server-corrected one
  (``int(now) + delta``).
- Pure: the clock is passed in (``sign(request, now)``) or read with ``Now``; the server's time
  is asked through the injected ``server_time`` flow (the service's request, retry policy and
  errors), so nothing here names a service error.
- The delta is taken once however many calls ask at once: under ``Exclusive(key, …)``, and a
  call that waited for the lock finds the delta the first one took instead of asking again.
  It is taken again only on a re-sync (``resync``), after an answer that says the timestamp
  was out of the server's window (``stale``); the caller re-syncs at most once per call, and
  calls refused together share one fetch (``taken`` tells a late one it was already done).
- Secrets (application secret, consumer key, signatures) never reach a repr.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from hashlib import sha1

from tether.core.flow import Exclusive, Flow, Now
from tether.core.messages import Headers, Request, Response

__all__ = ["ServerTime", "Signature", "Signer", "signature"]

#: ``server_time()``: ask the server its clock (OVH: ``GET /auth/time``) and return it in Unix
#: seconds, or raise the service's error.
ServerTime = Callable[[], Flow[int]]


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


class Signature:
    """OVH's application-key strategy: before signing, the clock delta (``synced``); then a
    pure ``sign(request, now)`` on every attempt; and the reaction to a stale clock
    (``stale`` → ``resync``, then sign again).

    Args:
        application_key, application_secret, consumer_key: the credentials (``None`` is
            signed as empty: the facade refuses missing ones with its own errors first).
        server_time: asks the server its clock (see ``ServerTime``).
        key: the ``Exclusive`` lock's name, one per client.

    Attributes:
        delta: seconds to add to the local clock to get the server's; ``None`` until taken.
        taken: how many times the delta was taken: tells a call refused for a stale clock
            whether another one has re-synced since (see ``resync``).
    """

    __slots__ = (
        "_consumer_key",
        "_secret",
        "_server_time",
        "_signer",
        "app",
        "delta",
        "key",
        "taken",
    )

    def __init__(
        self,
        application_key: str | None,
        application_secret: str | None,
        consumer_key: str | None,
        server_time: ServerTime,
        *,
        key: str = "ovh.time",
    ) -> None:
        self.app = application_key or ""
        self._secret = application_secret or ""
        self._server_time = server_time
        self.key = key
        self.delta: int | None = None
        self.taken = 0
        self.consumer_key = consumer_key

    def __repr__(self) -> str:
        return f"Signature({self.app!r}, ***, delta={self.delta})"

    @property
    def consumer_key(self) -> str:
        return self._consumer_key

    @consumer_key.setter
    def consumer_key(self, value: str | None) -> None:
        # A new consumer key (request_consumerkey) changes the hashed prefix: rebuild it once
        # here rather than check on every request.
        self._consumer_key = value or ""
        self._signer = Signer(self._secret, self._consumer_key)

    # --- before signing: the clock ---------------------------------------------------------

    def synced(self) -> Flow[int]:
        """The delta, taken first if it never was (one ``GET /auth/time`` for all calls)."""
        delta = self.delta
        if delta is not None:
            return delta
        got: int = yield Exclusive(self.key, self._take(self.taken))
        return got

    def resync(self, seen: int | None = None) -> Flow[int]:
        """Take the delta again: the server said our timestamp is out of its window.

        Args:
            seen: ``taken`` when the refused request was signed. If the delta was taken again
                since (another call refused at the same time got there first), it is not
                fetched again: signing anew is enough. ``None``: fetch unless another call
                is fetching right now.
        """
        got: int = yield Exclusive(self.key, self._take(self.taken if seen is None else seen))
        return got

    def _take(self, seen: int) -> Flow[int]:
        # Another call took it while this one waited for the lock (or since ``seen``).
        if self.taken != seen and self.delta is not None:
            return self.delta
        server = yield from self._server_time()
        # The clock is read after the answer, as python-ovh did: the time the request spent
        # in flight makes the delta late, not early.
        now: float = yield Now()
        self.delta = server - int(now)
        self.taken += 1
        return self.delta

    # --- signing ---------------------------------------------------------------------------

    def headers(self, method: str, url: str, body: bytes, now: float) -> Headers:
        """The four ``X-Ovh-*`` headers of a request (``method`` upper-case) sent at ``now``:
        ``sign``'s work without building a request, for a caller that builds its own."""
        ts = int(now) + (self.delta or 0)
        return (
            ("X-Ovh-Application", self.app),
            ("X-Ovh-Consumer", self._consumer_key),
            ("X-Ovh-Timestamp", str(ts)),
            ("X-Ovh-Signature", self._signer.sign(method, url, body, ts)),
        )

    def sign(self, request: Request, now: float) -> Request:
        """``request`` with its ``X-Ovh-*`` headers added, signed for the time ``now``.

        Raises:
            TypeError: a streamed body (OVH signs the exact body bytes).
        """
        body = request.body
        if not isinstance(body, bytes):
            raise TypeError("OVH signs the whole body: pass bytes, not a stream")
        extra = self.headers(request.method.upper(), request.url, body, now)
        return replace(request, headers=(*request.headers, *extra))

    # --- the answer ------------------------------------------------------------------------

    @staticmethod
    def stale(response: Response) -> bool:
        """The server refused the timestamp (400 ``QUERY_TIME_OUT``): ``resync`` and sign
        again, once."""
        return response.status == 400 and b"QUERY_TIME_OUT" in response.body
