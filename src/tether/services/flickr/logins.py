"""Flickr's logins: the legacy frob flow as the seed documents it, OAuth 1.0a (console,
browser with a loopback callback), the token checks, and where tokens are kept.

The flows are ``tether.auth``'s strategies (``frob.FLICKR``, ``OAuth1``) with Flickr's
endpoints and errors; this module holds only what is Flickr's: the seed's method names, its
token cache and the OAuth token file beside it.

Invariants:
- Token files and their lock are reached through ``Blocking`` inside flows, so the async
  client does that I/O on a worker thread, never on the event loop.
- A token is dropped only when Flickr refused the token itself (``answers.token_rejected``),
  and then only if the store still holds that same token (another process may have logged
  in meanwhile).
- A new OAuth token whose saving failed is kept for the session and saved by the next check
  that finds it good (``_oauth_unsaved``).
"""

from __future__ import annotations

import contextlib
import os
from typing import Any

from tether.auth import frob as frob_auth
from tether.auth.oauth1 import Endpoints, OAuth1, TokenPair
from tether.core.flow import Blocking, Browse, Flow, Prompt
from tether.services.flickr import parse as P
from tether.services.flickr.answers import token_rejected
from tether.services.flickr.core import FlickrCore
from tether.services.flickr.errors import (
    FlickrAuthError,
    FlickrError,
    FlickrProtocolError,
    IllegalArgumentException,
)
from tether.services.flickr.spec import PERMS, perms_at_least
from tether.services.flickr.tokens import OAuthToken, SimpleTokenCache

__all__ = ["Logins"]


class Logins(FlickrCore):
    """Every way to log in to Flickr, and the token store (a part of ``FlickrAPI``)."""

    # --- legacy (frob) authentication, as the seed documents it -------------------------------

    def auth_url(self, perms: str = "read", frob: str | None = None) -> str:
        """The signed login page URL for a frob (legacy), or, without a frob, the OAuth
        authorize URL for the pending request token."""
        _check_perms(perms)
        if frob is None:
            if self._request_token is None:
                raise FlickrError("get_request_token() first: there is no request token")
            self._requested_perms = perms
            return self._oauth1().authorize_url(self._request_token[0], perms=perms)
        return self._legacy_auth_url({"perms": perms, "frob": frob})

    def web_login_url(self, perms: str = "read") -> str:
        """The signed login URL of the legacy web flow (Flickr calls back with a frob)."""
        _check_perms(perms)
        return self._legacy_auth_url({"perms": perms})

    def _legacy_auth_url(self, params: dict[str, str]) -> str:
        if not self.secret:
            raise IllegalArgumentException("the login URL must be signed: give the API secret")
        return frob_auth.FLICKR.authorize_url(self._urls["auth"], self.api_key, self.secret, params)

    def validate_frob(self, frob: str, perms: str) -> Any:
        """Show the login page for ``frob`` to the user (a Browse effect: a browser by
        default; a GUI or test can take it)."""
        return self._run(_browse(self.auth_url(perms, frob)))

    def get_token_part_one(self, perms: str = "read", auth_callback: Any = None) -> Any:
        """Returns ``(token, None)`` when the cached token is good for ``perms``, else
        ``(None, frob)`` after showing the login page (or calling ``auth_callback(frob,
        perms)``; ``auth_callback=False`` raises instead of prompting)."""
        _check_perms(perms)
        if auth_callback not in (None, False) and not callable(auth_callback):
            raise IllegalArgumentException("auth_callback must be callable, None or False")
        return self._run(self._part_one_flow(perms, auth_callback))

    def _part_one_flow(self, perms: str, auth_callback: Any) -> Flow[tuple[str | None, str | None]]:
        # The token cache and its lock are files: reached through Blocking, so the async
        # client does that I/O on a worker thread, not on the event loop.
        token = yield Blocking(lambda: self.token_cache.token)
        if token:
            try:
                have = yield from frob_auth.check_token(self._auth_flow, frob_auth.FLICKR)
                if have in PERMS:
                    self._legacy_perms = (token, have)
                if perms_at_least(have, perms):
                    return token, None
            except FlickrAuthError as e:
                # Only a token Flickr rejected is dropped (a wrong secret says nothing about
                # it); the login below then starts afresh instead of meeting it again.
                if token_rejected(e):
                    yield Blocking(lambda: self._forget_rejected(legacy=token))
        if auth_callback is False:
            raise FlickrAuthError(
                f"Authentication required for {perms} permission and auth_callback=False: no "
                "valid cached token; call get_token_part_one() with a callback (or None for the "
                "browser), or log in with tether login flickr",
                method="flickr.auth.getFrob",
            )
        scheme = frob_auth.FLICKR
        frob = scheme.frob_of((yield from self._auth_flow(scheme.get_frob, {}, False))) or ""
        self._frob_perms[frob] = perms
        if auth_callback is None:
            yield Browse(self.auth_url(perms, frob))
        else:
            auth_callback(frob, perms)
        return None, frob

    def get_token_part_two(self, token_and_frob: tuple[str | None, str | None]) -> Any:
        """Store and return the token from part one, or trade the frob for a token."""
        token, frob = token_and_frob
        if token:
            return self._run(self._stored_flow(token))
        if not frob:
            raise IllegalArgumentException("part two needs the (token, frob) from part one")
        return self.get_token(frob)

    def _stored_flow(self, token: str) -> Flow[str]:
        yield Blocking(lambda: self._store(token))  # a token file: off the event loop
        return token

    def get_token(self, frob: str) -> Any:
        """``flickr.auth.getToken``: trade an approved frob for a token (stored if enabled)."""
        return self._run(self._get_token_flow(frob))

    def _get_token_flow(self, frob: str) -> Flow[str]:
        token = yield from frob_auth.get_token(
            self._auth_flow, frob_auth.FLICKR, frob, FlickrProtocolError
        )
        yield Blocking(lambda: self._store(token))
        return str(token)

    def authenticate_legacy_console(self, perms: str = "read", auth_callback: Any = None) -> Any:
        """The frob flow in a terminal: part one, wait for ENTER, part two."""
        return self._run(self._legacy_console_flow(perms, auth_callback))

    def _legacy_console_flow(self, perms: str, auth_callback: Any) -> Flow[str]:
        token, frob = yield from self._part_one_flow(perms, auth_callback)
        if token:
            return token
        yield Prompt("confirm", "Press ENTER after you authorized this program")
        return (yield from self._get_token_flow(frob or ""))

    def _auth_flow(self, method: str, params: dict[str, str], with_token: bool = True) -> Flow[Any]:
        args = {**params, "method": method, "format": "rest"}
        response = yield from self._send(
            self._urls["rest"], args, method, oauth=False, legacy_token=with_token
        )
        return P.parse_etree(response.body, method)

    def _store(self, token: str) -> None:
        # With token= or store_token=False the cache is a SimpleTokenCache: the token is kept
        # for this object only and never written to disk (the seed's promise).
        self.token_cache.token = token

    # --- OAuth 1.0a -----------------------------------------------------------------------

    def get_request_token(self, oauth_callback: str = "oob") -> Any:
        """Step 1: a request token (``oauth_callback`` a URL of yours, or ``oob``)."""
        return self._run(self._request_token_flow(oauth_callback))

    def _request_token_flow(self, callback: str) -> Flow[None]:
        pair = yield from self._oauth1("request_token").request_token(self._exchange, callback)
        self._request_token = (pair.token, pair.secret)

    def get_access_token(self, verifier: str) -> Any:
        """Step 3: trade the verifier for an access token (stored if enabled)."""
        return self._run(self._access_token_flow(verifier))

    def _access_token_flow(self, verifier: str) -> Flow[OAuthToken]:
        if self._request_token is None:
            raise FlickrError(
                "get_access_token(): there is no request token: call get_request_token() and "
                "auth_url(perms) first"
            )
        if self._requested_perms is None:
            raise FlickrError(
                "get_access_token(): the requested permissions are unknown: call "
                "auth_url(perms) first"
            )
        body = yield from self._oauth1("access_token").access_token(
            self._exchange, TokenPair(*self._request_token), verifier
        )
        self.oauth_token = OAuthToken(
            body["oauth_token"],
            body.get("oauth_token_secret", ""),
            self._requested_perms,
            body.get("fullname", ""),
            body.get("username", ""),
            body.get("user_nsid", ""),
        )
        self._request_token = None
        yield Blocking(self._save_oauth_token)  # file I/O and a lock: off the event loop
        return self.oauth_token

    def _oauth1(self, step: str | None = None) -> OAuth1:
        """The OAuth 1.0a strategy for this key and Flickr's endpoints, its errors Flickr's
        (the dance's answers go through ``_exchange``, so ``answers.check_http`` maps them).
        ``step``: a dance step that signs, which needs the secret."""
        if step is not None and not self.secret:
            raise IllegalArgumentException(
                f"oauth/{step}: OAuth needs the API secret: pass secret= (FLICKR_API_SECRET "
                "for the tether command)"
            )
        return OAuth1(
            self.api_key,
            self.secret or "",
            Endpoints.under(self._urls["oauth"]),
            nonce=self._nonce,
            service="Flickr",
            label="flickr",
            auth_error=FlickrAuthError,
            protocol_error=FlickrProtocolError,
        )

    def token_valid(self, perms: str = "read") -> Any:
        """Whether the stored OAuth token works and carries ``perms`` (asks Flickr)."""
        return self._run(self._token_valid_flow(perms))

    def _token_valid_flow(self, perms: str) -> Flow[bool]:
        tok = self.oauth_token
        if tok is None or not tok.has_level(perms):
            return False
        try:
            response = yield from self._send(
                self._urls["rest"],
                {
                    "method": "flickr.auth.oauth.checkToken",
                    "format": "rest",
                    "oauth_token": tok.token,
                },
                "flickr.auth.oauth.checkToken",
            )
            rsp = P.parse_etree(response.body, "flickr.auth.oauth.checkToken")
        except FlickrAuthError as e:
            # A token the server rejected is forgotten, on disk too: the login that follows
            # (authenticate_*) then asks once, and later calls do not meet it again.
            if token_rejected(e):
                yield Blocking(lambda: self._forget_rejected(oauth=tok))
            return False
        have = rsp.findtext("oauth/perms")
        if have:
            tok.access_level = have
        good = perms_at_least(have, perms)
        if good and self._oauth_unsaved:
            yield Blocking(self._save_oauth_token)  # file I/O and a lock: off the event loop
        return good

    def authenticate_via_browser(self, perms: str = "read", timeout: float = 300.0) -> Any:
        """OAuth in the user's browser, the verifier caught by a one-shot local server on
        127.0.0.1. Returns at once if the stored token is already good enough."""
        _check_perms(perms)
        return self._run(self._browser_flow(perms, timeout))

    def _browser_flow(self, perms: str, timeout: float) -> Flow[OAuthToken | None]:
        if (yield from self._token_valid_flow(perms)):
            return self.oauth_token
        from tether.auth.callback import CallbackServer  # http.server: only for this login

        # Only the redirect for this login's request token is taken (not any request that
        # carries a verifier): a stray or stale tab cannot answer it.
        server = CallbackServer("oauth_token", ("oauth_verifier",), error=FlickrAuthError)
        try:
            yield from self._request_token_flow(server.url)
            assert self._request_token is not None
            server.expect(self._request_token[0])
            yield Browse(self.auth_url(perms))
            answer = yield Blocking(lambda: server.wait(timeout))
        finally:
            server.close()
        return (yield from self._access_token_flow(answer["oauth_verifier"]))

    def authenticate_console(self, perms: str = "read") -> Any:
        """OAuth with the out-of-band verifier: show the URL, ask the user to type the code."""
        _check_perms(perms)
        return self._run(self._console_flow(perms))

    def _console_flow(self, perms: str) -> Flow[OAuthToken | None]:
        if (yield from self._token_valid_flow(perms)):
            return self.oauth_token
        yield from self._request_token_flow("oob")
        url = self.auth_url(perms)
        verifier = yield Prompt(
            "verifier", f"Open {url} in a browser, approve, then type the code shown:", {"url": url}
        )
        return (yield from self._access_token_flow(str(verifier)))

    def _oauth_store(self) -> Any:
        cache = self.token_cache
        if isinstance(cache, SimpleTokenCache):
            return None
        from tether.store import FileTokenStore

        # Beside the legacy token: auth.token -> oauth.token, auth-bob.token -> oauth-bob.token.
        path = cache.token_path()
        return FileTokenStore(os.path.join(os.path.dirname(path), "o" + os.path.basename(path)))

    def _cache_lock(self) -> contextlib.AbstractContextManager[Any]:
        """The token cache's lock when it has one (``LockingTokenCache``): the OAuth token file
        sits beside the legacy one and is read and written under the same lock file."""
        cache = self.token_cache
        if isinstance(cache, SimpleTokenCache):
            return contextlib.nullcontext()
        from tether.store import LockingTokenCache

        return cache if isinstance(cache, LockingTokenCache) else contextlib.nullcontext()

    def _load_oauth_token(self) -> OAuthToken | None:
        store = self._oauth_store()
        if store is None:
            return None
        # No lock: token files are only ever replaced whole (tether.store.tokenfile), so a read
        # never sees half a token; and the constructors read this, where waiting on another
        # process's lock would block an event loop.
        text = store.get()
        return OAuthToken.loads(text) if text else None

    def _save_oauth_token(self) -> None:
        store = self._oauth_store()
        if store is not None and self.oauth_token is not None:
            from tether.store import StoreError

            self._oauth_unsaved = True
            try:
                with self._cache_lock():
                    store.set(self.oauth_token.dumps())
            except StoreError as e:
                # The approval is not thrown away: the token works in this session, and the
                # next authenticate_*() or token_valid() that finds it good saves it.
                raise type(e)(
                    f"{e} The new OAuth token works in this session and is saved by the next "
                    "authenticate_console(), authenticate_via_browser() or token_valid()."
                ) from None
            self._oauth_unsaved = False

    def forget_token(self) -> None:
        """Drop every stored token (legacy and OAuth), in memory and on disk."""
        with self._cache_lock():
            self.token_cache.forget()
            store = self._oauth_store()
            if store is not None:
                store.delete()
        self.oauth_token = None
        self._legacy_perms = None

    def _forget_rejected(
        self, *, oauth: OAuthToken | None = None, legacy: str | None = None
    ) -> None:
        """Drop a token the server rejected, in memory and from the store, unless the store
        holds another one by now (another process logged in meanwhile: that one is kept)."""
        with self._cache_lock():
            if legacy is not None and self.token_cache.token == legacy:
                self.token_cache.forget()
            store = self._oauth_store()
            if oauth is not None and store is not None:
                text = store.get()
                held = OAuthToken.loads(text) if text else None
                if held is not None and held.token == oauth.token:
                    store.delete()
        if oauth is not None and self.oauth_token is oauth:
            self.oauth_token = None


def _check_perms(perms: str) -> None:
    if perms not in PERMS[1:]:
        raise IllegalArgumentException(f"perms must be read, write or delete, not {perms!r}")


def _browse(url: str) -> Flow[None]:
    yield Browse(url)
