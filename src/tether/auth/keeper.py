"""One token kept fresh: fetched when first needed, renewed before it expires, one grant
however many calls ask at once.

Invariants:
- A fresh token (``Token.fresh(now)``) is returned with one ``Now`` and no lock. Otherwise
  the keeper yields ``Exclusive(key, …)`` and, holding the lock, looks again before making a
  grant: calls that waited for the lock find the token the first one got.
- A token with a refresh token is renewed with ``renew`` (the refresh grant), any other
  with ``fetch`` (a whole new grant).
- Persistence is an effect: the stored token is loaded once, under the lock, and every new
  token saved, through ``Blocking`` calls to the injected ``load``/``save``; the keeper does
  no file I/O of its own, so the async driver runs them off the event loop.
- ``invalidate`` after a 401 marks only that token stale: one renewed meanwhile is kept.
- The repr never shows a token.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from tether.auth.oauth2 import Token
from tether.core.flow import Blocking, Exclusive, Flow, Now

__all__ = ["TokenKeeper"]


class TokenKeeper:
    """One token, fetched when first needed and again before it expires, with one grant
    however many calls ask at once.

    Args:
        key: the ``Exclusive`` lock's name (``"vimeo.oauth2"``): one per token.
        fetch: makes a new token (a grant flow, e.g. ``lambda: client_credentials(c, ex)``).
        renew: given the old token, makes a new one (e.g. the refresh grant); used instead of
            ``fetch`` when the old token has a refresh token.
        load, save: read and write the stored token (blocking: run through ``Blocking``).
    """

    __slots__ = ("_fetch", "_load", "_loaded", "_renew", "_save", "key", "token")

    def __init__(
        self,
        key: str,
        fetch: Callable[[], Flow[Token]],
        *,
        renew: Callable[[Token], Flow[Token]] | None = None,
        load: Callable[[], Token | None] | None = None,
        save: Callable[[Token], None] | None = None,
        token: Token | None = None,
    ) -> None:
        self.key = key
        self.token = token
        self._fetch = fetch
        self._renew = renew
        self._load = load
        self._save = save
        self._loaded = load is None or token is not None

    def __repr__(self) -> str:
        return f"TokenKeeper({self.key!r}, token={'***' if self.token else None})"

    def access_token(self) -> Flow[str]:
        """The current access token, made or renewed first when needed."""
        token = self.token
        if token is not None:
            now: float = yield Now()
            if token.fresh(now):
                return token.access_token
        got: Token = yield Exclusive(self.key, self._under_lock())
        return got.access_token

    def _under_lock(self) -> Flow[Token]:
        if not self._loaded:
            self._loaded = True
            load = self._load
            assert load is not None
            stored = yield Blocking(load)
            if stored is not None and self.token is None:
                self.token = stored
        now: float = yield Now()
        old = self.token
        # Another call renewed it while this one waited for the lock.
        if old is not None and old.fresh(now):
            return old
        if old is not None and old.refresh_token is not None and self._renew is not None:
            token = yield from self._renew(old)
        else:
            token = yield from self._fetch()
        self.token = token
        save = self._save
        if save is not None:
            yield Blocking(lambda: save(token))
        return token

    def invalidate(self, access_token: str) -> None:
        """The server refused ``access_token`` (a 401): the next call renews it. A token that
        is no longer the current one (renewed meanwhile) is left alone."""
        token = self.token
        if token is not None and token.access_token == access_token:
            # Keep the refresh token: renewing with it is cheaper than a whole new grant.
            self.token = Token(
                token.access_token,
                token.expires_at,
                -math.inf,
                token.refresh_token,
                token.scope,
                token.token_type,
                token.extra,
            )
