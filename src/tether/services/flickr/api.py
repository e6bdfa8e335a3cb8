"""Flickr client: ``FlickrAPI`` (sync) and ``AsyncFlickrAPI``, FlickrAPI 1.4's documented API
plus OAuth 1.0a as Flickr uses it today.

As for OVH, each public method builds a flow and hands it to ``self._run`` (the sync or async
runtime), so both classes share every line of behaviour.

What the seed promises and its code did not deliver, done here: ``flickr.token.path`` works
(``token`` is the token cache); ``walk_set(...)[:25]`` is lazy and sliceable; the
``SimpleCache`` membership test works; ``callback(progress, done)`` really fires; transient
errors (0, 105, 106, 5xx, dropped connections) are retried; XML parsing refuses entity bombs;
``flickr.auth.oauth.checkToken`` is called with its token so ``token_valid`` works.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from tether.auth import frob as frob_auth
from tether.auth.flickr import FORM, legacy_signature, oauth_header
from tether.auth.oauth1 import Endpoints, OAuth1, TokenPair
from tether.core.errors import TransportError, UsageError
from tether.core.flow import Blocking, Browse, Flow, Prompt, Sleep
from tether.core.messages import Request, Response
from tether.core.paging import PageNumber
from tether.core.params import form_body
from tether.core.ratelimit import Throttle
from tether.core.redact import redact_url
from tether.core.retry import RetryPolicy, give_up_note, retry_after_of, retrying
from tether.runtime import Walk, make_runtime
from tether.services.flickr import parse as P
from tether.services.flickr.errors import (
    FlickrAuthError,
    FlickrError,
    FlickrProtocolError,
    FlickrRateLimited,
    FlickrUnavailable,
    IllegalArgumentException,
)
from tether.services.flickr.spec import (
    AUTH_URL,
    OAUTH_URL,
    PARSED_FORMATS,
    PERMS,
    REPLACE_URL,
    REST_URL,
    TRANSIENT_CODES,
    UPLOAD_FORMATS,
    UPLOAD_URL,
    perms_at_least,
)
from tether.transport import (
    DEFAULT_DEADLINE,
    DEFAULT_MAX_RESPONSE_BYTES,
    Timeout,
    transport_options,
)

__all__ = ["AsyncFlickrAPI", "FlickrAPI", "OAuthToken", "SimpleTokenCache"]


@dataclass
class OAuthToken:
    """An OAuth access token with what Flickr told us about it."""

    token: str
    token_secret: str
    # "" when unknown (flickrapi's FlickrAccessToken takes it positionally): Flickr then
    # decides, rather than tether refusing an upload for a token that may well allow it.
    access_level: str = ""
    fullname: str = ""
    username: str = ""
    user_nsid: str = ""

    def __repr__(self) -> str:
        return f"OAuthToken(user={self.username!r}, access_level={self.access_level!r}, token=***)"

    def has_level(self, perms: str) -> bool:
        return perms_at_least(self.access_level, perms)

    def dumps(self) -> str:
        return urlencode(
            {
                "oauth_token": self.token,
                "oauth_token_secret": self.token_secret,
                "access_level": self.access_level,
                "fullname": self.fullname,
                "username": self.username,
                "user_nsid": self.user_nsid,
            }
        )

    @classmethod
    def loads(cls, text: str) -> OAuthToken | None:
        d = dict(parse_qsl(text.strip(), keep_blank_values=True))
        if not d.get("oauth_token") or not d.get("oauth_token_secret"):
            return None
        return cls(
            d["oauth_token"],
            d["oauth_token_secret"],
            d.get("access_level", ""),
            d.get("fullname", ""),
            d.get("username", ""),
            d.get("user_nsid", ""),
        )


class SimpleTokenCache:
    """A token kept in memory only (``token=`` given, or ``store_token=False``)."""

    def __init__(self, token: str | None = None) -> None:
        self.token = token
        self.path: str | None = None

    def forget(self) -> None:
        self.token = None

    def __repr__(self) -> str:
        return f"SimpleTokenCache(token={'***' if self.token else None})"


def encode_value(name: str, value: Any) -> str:
    """Flickr's argument encoding: booleans 1/0, lists comma-joined (tags space-joined, with
    multi-word tags quoted), everything else ``str``; bytes decoded as UTF-8."""
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (list, tuple, set, frozenset)):
        items = [encode_value(name, v) for v in value]
        if name in ("tags", "tag"):
            return " ".join(f'"{t}"' if " " in t and not t.startswith('"') else t for t in items)
        return ",".join(items)
    return str(value)


class _Method:
    """``flickr.photos.search`` and ``flickr.photos_search``: a callable Flickr method name."""

    __slots__ = ("_api", "_name")

    def __init__(self, api: _BaseFlickr, name: str) -> None:
        self._api = api
        self._name = name

    def __getattr__(self, part: str) -> _Method:
        if part.startswith("_"):
            raise AttributeError(part)
        return _Method(self._api, f"{self._name}.{part}")

    def __call__(self, **params: Any) -> Any:
        return self._api.call(self._name, **params)

    def __repr__(self) -> str:
        return f"<Flickr method {self._name}>"


class _BaseFlickr:
    _run: Any
    _runtime: Any
    _is_sync: bool

    def __init__(
        self,
        api_key: str,
        secret: str | None = None,
        username: str | None = None,
        token: str | OAuthToken | None = None,
        format: str = "etree",
        store_token: bool = True,
        cache: bool | Any = False,
        *,
        token_cache_location: str | None = None,
        rest_url: str | None = None,
        upload_url: str | None = None,
        replace_url: str | None = None,
        auth_url: str | None = None,
        oauth_url: str | None = None,
        timeout: Timeout = (10.0, 300.0),
        proxy: str | None = None,
        ca_certs: str | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        retry: RetryPolicy | bool | None = True,
        environ: Mapping[str, str] | None = None,
        transport: Any = None,
        browser: Callable[[Browse], Any] | None = None,
        prompt: Callable[[Prompt], Any] | None = None,
    ) -> None:
        environ = os.environ if environ is None else environ
        sandbox = environ.get("TETHER_SANDBOX")
        ready: OAuthToken | None = None  # the sandbox's own full-permission token
        urls = {
            "rest": rest_url or REST_URL,
            "upload": upload_url or UPLOAD_URL,
            "replace": replace_url or REPLACE_URL,
            "auth": auth_url or AUTH_URL,
            "oauth": oauth_url or OAUTH_URL,
        }
        if sandbox:
            from tether.sandbox.client import fetch_credentials

            creds = fetch_credentials(sandbox.rstrip("/"), environ=environ)["flickr"]
            urls = {
                "rest": creds["rest_url"],
                "upload": creds["upload_url"],
                "replace": creds["replace_url"],
                "auth": creds["auth_url"],
                "oauth": creds["oauth_url"],
            }
            if not api_key:
                api_key, secret = creds["api_key"], creds["secret"]
            if (
                api_key == creds["api_key"]
                and secret == creds["secret"]
                and creds.get("oauth_token")
            ):
                # Only for the sandbox's own application: its ready token is bound to it.
                ready = OAuthToken(
                    creds["oauth_token"],
                    creds.get("oauth_token_secret", ""),
                    "delete",
                    username=creds.get("user", {}).get("username", ""),
                    user_nsid=creds.get("user", {}).get("nsid", ""),
                )
        if not api_key:
            raise IllegalArgumentException("api_key is required (get one from Flickr)")
        if format not in PARSED_FORMATS and format not in ("json", "rest", "php_serial"):
            raise IllegalArgumentException(
                f"unknown format {format!r}: use etree, xmlnode, parsed-json, json or rest"
            )
        self.api_key = api_key
        self.secret = secret
        self.username = username
        self.default_format = format
        self._urls = urls
        self._frob_perms: dict[str, str] = {}
        self._request_token: tuple[str, str] | None = None
        self._requested_perms: str | None = None
        self.oauth_token: OAuthToken | None = None
        self._oauth_unsaved = False  # a new token whose saving failed (see _save_oauth_token)
        # A legacy token and the permissions Flickr's checkToken showed for it: an upload it
        # cannot make is refused before any byte is sent (see _upload_flow).
        self._legacy_perms: tuple[str, str] | None = None
        self.token_cache: Any
        if isinstance(token, OAuthToken):
            self.oauth_token = token
            self.token_cache = SimpleTokenCache()
        elif token is not None:
            self.token_cache = SimpleTokenCache(token)
        elif not store_token:
            self.token_cache = SimpleTokenCache()
            self.oauth_token = ready
        else:
            from tether.store import TokenCache

            # Tokens of any other server than real Flickr sit apart from real ones (keyed by
            # its host and port, see tether.store.tokens), so a sandbox's token never reaches
            # Flickr, nor Flickr's a sandbox.
            self.token_cache = TokenCache(
                api_key,
                username,
                path=token_cache_location,
                origin=TokenCache.origin_of(urls["rest"]),
            )
            if ready is not None and token_cache_location is None:
                # With TETHER_SANDBOX the sandbox's ready credentials win over whatever a
                # past login left in the default store (maybe read-only, maybe from another
                # sandbox): only a token the user gives (token=, or a location of theirs)
                # beats them. A new login is still saved, apart from real tokens.
                self.oauth_token = ready
            else:
                self.oauth_token = self._load_oauth_token()
        if cache is True:
            from tether.core.cache import SimpleCache

            self.cache: Any = SimpleCache()
        else:
            # Not `cache or None`: an empty cache object is falsy (it has a length) and must
            # still be used.
            self.cache = None if cache is None or cache is False else cache
        self._transport_options = transport_options(
            timeout=timeout,
            proxy=proxy,
            ca_certs=ca_certs,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            environ=environ if sandbox else None,
        )
        if retry is True:
            self._retry = RetryPolicy()
        elif not retry:
            self._retry = RetryPolicy(max_attempts=1, max_throttles=0)
        else:
            self._retry = retry
        self._throttle = Throttle()  # the 429 gate: one per client and service
        self._nonce: Callable[[], str] = lambda: secrets.token_hex(10)
        self._runtime = make_runtime(
            self._is_sync, transport, self._transport_options, browse=browser, prompt=prompt
        )
        self._run = self._runtime.run

    # --- names ----------------------------------------------------------------------------

    @property
    def token(self) -> Any:
        """The token cache (the seed's ``flickr.token.path = ...`` changes where it lives)."""
        return self.token_cache

    @token.setter
    def token(self, value: Any) -> None:
        self.token_cache = value

    def __getattr__(self, name: str) -> _Method:
        if name.startswith("_"):
            raise AttributeError(name)
        return _Method(self, "flickr." + name.replace("_", "."))

    def __repr__(self) -> str:
        return f'[FlickrAPI for key "{self.api_key}"]'

    # --- calling --------------------------------------------------------------------------

    def call(self, method: str, **params: Any) -> Any:
        """Call any Flickr method by its full name (``flickr.photos.search``)."""
        if not method.startswith("flickr."):
            method = "flickr." + method
        return self._run(self._call_flow(method, params))

    def _call_flow(self, method: str, params: Mapping[str, Any]) -> Flow[Any]:
        fmt = params.get("format") or self.default_format
        args = {k: encode_value(k, v) for k, v in params.items() if v is not None}
        args.pop("format", None)
        args["method"] = method
        if fmt in ("etree", "xmlnode"):
            args["format"] = "rest"
        elif fmt == "parsed-json":
            args["format"] = "json"
            args["nojsoncallback"] = "1"
        else:
            args["format"] = fmt
        cache = self.cache if self._cacheable(method) else None
        key = None
        if cache is not None:
            from tether.core.cache import cache_key

            key = cache_key("flickr", method, args, self._identity())
            body = cache.get(key)
            if body is not None:
                return self._decode(body, fmt, method)
        response = yield from self._send(self._urls["rest"], args, method)
        body = response.body
        note = give_up_note(response)  # a transient code (105 …) tether stopped retrying
        try:
            result = self._decode(body, fmt, method)
        except FlickrError as e:
            if note:
                e.message = f"{e}; {note}"
                e.args = (e.message, *e.args[1:])
            raise
        # Only successful answers get here (parsed formats raised on failure); an unparsed
        # answer is cached only when it does not look like an error.
        if cache is not None and (fmt in PARSED_FORMATS or P.error_code(body) is None):
            cache.set(key, body)
        return result

    def _cacheable(self, method: str) -> bool:
        if self.cache is None:
            return False
        from tether.core.cache import is_cacheable

        return bool(is_cacheable(method))

    def _identity(self) -> str:
        """Who is asking: cached answers are never shared between users. A digest of the whole
        token (every Flickr token starts with the same digits, so a prefix tells no one
        apart); ``cache_key`` hashes it again with the rest."""
        if self.oauth_token is not None:
            tok: str | None = self.oauth_token.token
            kind = "oauth:" + self.oauth_token.user_nsid
        else:
            tok, kind = self.token_cache.token, "legacy"
        if not tok:
            return kind + ":anonymous"
        return kind + ":" + hashlib.sha256(tok.encode("utf-8")).hexdigest()[:32]

    def _decode(self, body: bytes, fmt: str, method: str) -> Any:
        if fmt == "etree":
            return P.parse_etree(body, method)
        if fmt == "xmlnode":
            return P.parse_xmlnode(body, method)
        if fmt == "parsed-json":
            return P.parse_json(body, method)
        return body.decode("utf-8", errors="replace")  # unparsed: raw and unchecked (seed)

    def _signed_params(
        self, args: dict[str, str], legacy_token: bool = True, *, upload: bool = False
    ) -> dict[str, str]:
        """Legacy auth: add api_key, auth_token and api_sig (when a secret is known)."""
        out = dict(args)
        out["api_key"] = self.api_key
        tok = self.token_cache.token if legacy_token else None
        if tok and not self.secret:
            if isinstance(self.token_cache, SimpleTokenCache):
                raise IllegalArgumentException("a token needs the API secret to sign calls")
            tok = None  # a token found on disk is unusable without the secret: call unsigned
        if tok:
            out["auth_token"] = tok
        if self.secret:
            out["api_sig"] = legacy_signature(self.secret, out, upload=upload)
        return out

    def _send(
        self,
        url: str,
        args: dict[str, str],
        method: str,
        oauth: bool | None = None,
        legacy_token: bool = True,
    ) -> Flow[Response]:
        """POST ``args`` as a form, signed the way the current credentials require."""
        use_oauth = self.oauth_token is not None if oauth is None else oauth

        def build(now: float) -> Request:
            if use_oauth:
                fields = args
                headers: tuple[tuple[str, str], ...] = (
                    ("Content-Type", FORM),
                    ("Authorization", self._authorization(url, fields, now)),
                )
            else:
                fields = self._signed_params(args, legacy_token)
                headers = (("Content-Type", FORM),)
            return Request(
                "POST",
                url,
                headers,
                form_body(fields),
                idempotent=not _writes(method),
                label=f"flickr {method}",
            )

        return (yield from self._exchange(build, method))

    def _authorization(self, url: str, fields: Mapping[str, str], now: float) -> str:
        """The OAuth header signing ``fields`` with the access token, for a POST to ``url``."""
        tok = self.oauth_token
        assert tok is not None
        return oauth_header(
            "POST",
            url,
            fields,
            api_key=self.api_key,
            secret=self.secret or "",
            nonce=self._nonce(),
            timestamp=int(now),
            token=tok.token,
            token_secret=tok.token_secret,
        )

    def _exchange(self, build: Callable[[float], Request], method: str) -> Flow[Response]:
        try:
            response = yield from retrying(
                self._retry, build, _is_transient, throttle=self._throttle
            )
        except TransportError as e:
            raise FlickrUnavailable(f"{method}: {e}") from e
        _check_http(response, method, give_up_note(response))
        return response

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
                if _token_rejected(e):
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
            self._store(token)
            return token if self._is_sync else _done(token)
        if not frob:
            raise IllegalArgumentException("part two needs the (token, frob) from part one")
        return self.get_token(frob)

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
        (the dance's answers go through ``_exchange``, so ``_check_http`` maps them).
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
            if _token_rejected(e):
                self._forget_rejected(oauth=tok)
            return False
        have = rsp.findtext("oauth/perms")
        if have:
            tok.access_level = have
        good = perms_at_least(have, perms)
        if good and self._oauth_unsaved:
            self._save_oauth_token()
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
        with self._cache_lock():
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

    def _refuse_upload_without_write(self, url: str) -> None:
        """An upload or replace needs write permission: when the token's permissions are
        known (an ``OAuthToken``'s access level, or what checkToken said of a legacy token)
        and lower, refuse here, before a byte of the photo is sent. Unknown: Flickr decides."""
        what = "upload" if url == self._urls["upload"] else "replace"
        have: str | None
        if self.oauth_token is not None:
            have = self.oauth_token.access_level
        else:
            seen = self._legacy_perms
            have = seen[1] if seen is not None and seen[0] == self.token_cache.token else None
        if have not in PERMS or perms_at_least(have, "write"):
            return
        raise FlickrAuthError(
            f"Error: 99: Insufficient permissions (flickr {what}: the token has {have} "
            f"permission and {what} needs write; nothing was sent. Log in again with write "
            "permission: tether login flickr --perms write, or "
            "authenticate_console(perms='write') / authenticate_via_browser(perms='write') "
            "in Python)",
            99,
        )

    # --- walking ---------------------------------------------------------------------------

    def data_walker(
        self,
        method: str,
        searchstring: str = "*/photo",
        per_page: int = 50,
        prefetch: int = 0,
        **params: Any,
    ) -> Walk[Any]:
        """Every element matching ``searchstring`` over all pages of ``method``; lazy and
        sliceable; ``prefetch`` pages fetched ahead concurrently on the async client."""
        if not method.startswith("flickr."):
            method = "flickr." + method

        def fetch(page: int) -> Flow[tuple[list[Any], int]]:
            args = {**params, "per_page": per_page, "page": page, "format": "etree"}
            rsp = yield from self._call_flow(method, args)
            listing = rsp[0] if len(rsp) else None
            pages = int(listing.get("pages", "1")) if listing is not None else 1
            return rsp.findall(searchstring), pages

        return Walk(self._runtime, fetch, prefetch, PageNumber())

    def walk(self, per_page: int = 50, prefetch: int = 0, **params: Any) -> Walk[Any]:
        """Every photo of a ``flickr.photos.search``."""
        return self.data_walker("flickr.photos.search", "*/photo", per_page, prefetch, **params)

    def walk_set(
        self, photoset_id: str, per_page: int = 50, prefetch: int = 0, **params: Any
    ) -> Walk[Any]:
        """Every photo of a photoset (``flickr.photosets.getPhotos``)."""
        return self.data_walker(
            "flickr.photosets.getPhotos",
            "*/photo",
            per_page,
            prefetch,
            photoset_id=photoset_id,
            **params,
        )

    def walk_user(
        self, user_id: str = "me", per_page: int = 50, prefetch: int = 0, **params: Any
    ) -> Walk[Any]:
        """Every photo of a user (``flickr.people.getPhotos``)."""
        return self.data_walker(
            "flickr.people.getPhotos", "*/photo", per_page, prefetch, user_id=user_id, **params
        )

    def walk_photosets(self, per_page: int = 50, prefetch: int = 0, **params: Any) -> Walk[Any]:
        """Every photoset of a user (``flickr.photosets.getList``)."""
        return self.data_walker(
            "flickr.photosets.getList", "*/photoset", per_page, prefetch, **params
        )

    # --- uploading -----------------------------------------------------------------------

    def upload(
        self,
        filename: str | None = None,
        callback: Callable[[float, bool], None] | None = None,
        fileobj: Any = None,
        format: str | None = None,
        **params: Any,
    ) -> Any:
        """Upload a photo from ``filename`` (or ``fileobj``), streamed in constant memory.

        ``params``: title, description, tags, is_public, is_friend, is_family, safety_level,
        content_type, hidden, async (``async=1`` returns when Flickr has processed it: the
        ticket is polled). ``callback(progress_percent, done)`` reports progress.
        """
        return self._run(
            self._upload_flow(self._urls["upload"], filename, fileobj, callback, format, params)
        )

    def replace(
        self,
        filename: str | None = None,
        photo_id: str | int | None = None,
        callback: Callable[[float, bool], None] | None = None,
        fileobj: Any = None,
        format: str | None = None,
        **params: Any,
    ) -> Any:
        """Replace the image of ``photo_id`` (only the image; title, tags … stay)."""
        if photo_id is None or photo_id == "":
            raise IllegalArgumentException("replace() needs the photo_id of the photo to replace")
        params = {**params, "photo_id": photo_id}
        return self._run(
            self._upload_flow(self._urls["replace"], filename, fileobj, callback, format, params)
        )

    def _upload_flow(
        self,
        url: str,
        filename: str | None,
        fileobj: Any,
        callback: Callable[[float, bool], None] | None,
        fmt: str | None,
        params: dict[str, Any],
    ) -> Flow[Any]:
        from tether.core.upload import MultipartUpload

        fmt = fmt or self.default_format
        if fmt not in UPLOAD_FORMATS:
            raise IllegalArgumentException(
                f"format {fmt!r} is not possible for uploads: use etree, xmlnode or rest "
                "(Flickr answers uploads in XML only)"
            )
        if filename is None and fileobj is None:
            raise IllegalArgumentException("upload() needs a filename or a fileobj")
        if self.oauth_token is None and not self.token_cache.token:
            raise FlickrAuthError("Authentication is required to upload: authenticate first")
        self._refuse_upload_without_write(url)
        wait = str(params.pop("async", "0")) in ("1", "True", "true")
        fields = {k: encode_value(k, v) for k, v in params.items() if v is not None}
        if wait:
            fields["async"] = "1"
        try:
            if fileobj is not None:
                upload = MultipartUpload(fields, fileobj, filename=filename, progress=callback)
            else:
                upload = MultipartUpload(fields, filename or "", progress=callback)
        except UsageError as e:
            raise IllegalArgumentException(str(e)) from None
        name = "upload" if url == self._urls["upload"] else "replace"

        def build(now: float) -> Request:
            if self.oauth_token is not None:
                # The text fields are signed as if they were a form (flickr.md §5.2).
                signed = {**fields, "api_key": self.api_key}
                upload.fields = signed
                extra: tuple[tuple[str, str], ...] = (
                    ("Authorization", self._authorization(url, signed, now)),
                )
            else:
                upload.fields = self._signed_params(fields, upload=True)
                extra = ()
            return Request(
                "POST",
                url,
                (*upload.headers(), *extra),
                upload.body(),
                idempotent=False,
                label=f"flickr {name}",
            )

        response = yield from self._exchange(build, f"flickr {name}")
        if wait:
            rsp = P.parse_etree(response.body, name)
            ticket = rsp.findtext("ticketid")
            if not ticket:
                raise FlickrProtocolError(f"{name} with async=1 answered without a ticket id")
            photo_id = yield from self._poll_ticket(ticket)
            rsp = _photoid_rsp(photo_id)
            return (
                rsp
                if fmt == "etree"
                else P.XMLNode.from_element(rsp)
                if fmt == "xmlnode"
                else _rsp_xml(photo_id)
            )
        if fmt == "rest":
            return response.body.decode("utf-8", errors="replace")
        return self._decode(response.body, fmt, name)

    def _poll_ticket(self, ticket: str, interval: float = 0.5, max_polls: int = 600) -> Flow[str]:
        for _ in range(max_polls):
            response = yield from self._send(
                self._urls["rest"],
                {
                    "method": "flickr.photos.upload.checkTickets",
                    "format": "rest",
                    "tickets": ticket,
                },
                "flickr.photos.upload.checkTickets",
            )
            rsp = P.parse_etree(response.body, "flickr.photos.upload.checkTickets")
            t = rsp.find("uploader/ticket")
            if t is None or t.get("invalid") == "1":
                raise FlickrError(f"upload ticket {ticket} is unknown to Flickr")
            if t.get("complete") == "1":
                return t.get("photoid") or ""
            if t.get("complete") == "2":
                raise FlickrError(f"Flickr could not process the upload (ticket {ticket})")
            yield Sleep(interval)
        raise FlickrUnavailable(f"upload ticket {ticket} still pending after {max_polls} polls")


def _writes(method: str) -> bool:
    """Whether re-sending ``method`` could act twice (so it is not retried blindly)."""
    last = method.rsplit(".", 1)[-1].lower()
    return not last.startswith(("get", "search", "find", "lookup", "echo", "check", "login"))


def _is_transient(response: Response) -> bool:
    if response.status != 200:
        return False
    code = P.error_code(response.body)
    return code is not None and code in TRANSIENT_CODES


#: What an ``oauth_problem`` means and what to do, per step (flickr.md §4.1, §6.4). At the
#: access-token step the token in play is the request token: "token_rejected" there means the
#: user denied access, the approval expired, or it was already used -- not a revoked token.
_OAUTH_HINTS: dict[str, str] = {
    "signature_invalid": "the signature was refused: check the API secret and token secret",
    "token_rejected": "the token was refused or revoked: authenticate again",
    "parameter_absent": "a required OAuth parameter is missing",
    "nonce_used": "a nonce was reused; retry",
    "timestamp_refused": "the local clock is off: fix the clock",
    "consumer_key_unknown": "the API key is unknown: check it",
}
_ACCESS_TOKEN_HINTS: dict[str, str] = {
    "token_rejected": "Flickr refused the login: access was denied on Flickr's page, or the "
    "approval expired or was already used; log in again (tether login flickr)",
    "verifier_invalid": "the code (verifier) is wrong: mistyped, or from another login; log in "
    "again (tether login flickr) and type the code Flickr shows",
    "parameter_absent": "no code (verifier) was given; log in again (tether login flickr) and "
    "type the code Flickr shows",
}


def _check_http(response: Response, method: str, note: str = "") -> None:
    """Raise the error an HTTP status other than 200 means; ``note`` (why tether stopped
    retrying, ``give_up_note``) ends the message."""
    status = response.status
    if status == 200:
        return
    tail = f"; {note}" if note else ""
    if status == 401:
        problem = P.parse_form(response.body).get("oauth_problem", "unauthorized")
        hint = (_ACCESS_TOKEN_HINTS if method == "oauth/access_token" else {}).get(
            problem
        ) or _OAUTH_HINTS.get(problem, "authenticate again")
        raise FlickrAuthError(
            f"{method}: OAuth refused ({problem}): {hint}" + tail, status=401, method=method
        )
    if status == 429:
        retry_after = retry_after_of(response)
        wait = (
            f"it asks to wait {retry_after:.0f} s before calling again"
            if retry_after is not None
            else "it did not say for how long; Flickr limits each API key to about 3,600 calls "
            "an hour: wait a few minutes before calling again"
        )
        raise FlickrRateLimited(
            f"{method}: Flickr refused the call with HTTP 429 Too Many Requests (over the API "
            f"key's quota of calls); {wait}" + tail,
            status=429,
            method=method,
            retry_after=retry_after,
        )
    if status >= 500:
        raise FlickrUnavailable(
            f"{method}: Flickr failed with HTTP {status}; retry later" + tail,
            status=status,
            method=method,
        )
    if 300 <= status < 400:
        where = redact_url(response.header("Location") or "nowhere said")
        raise FlickrProtocolError(
            f"{method}: Flickr answered HTTP {status}, a redirect to {where}, not an API answer; "
            "the endpoint URL is probably wrong (check rest_url / upload_url / oauth_url)" + tail,
            status=status,
            method=method,
        )
    raise FlickrError(
        f"{method}: Flickr answered HTTP {status}, not an API answer; check the endpoint URL"
        + tail,
        status=status,
        method=method,
    )


def _token_rejected(e: FlickrAuthError) -> bool:
    """Whether Flickr refused the token itself (98, or OAuth's ``token_rejected``), not the
    signature or the key: only such a token is dead for good."""
    return e.code == 98 or (e.status == 401 and "(token_rejected)" in str(e))


def _check_perms(perms: str) -> None:
    if perms not in PERMS[1:]:
        raise IllegalArgumentException(f"perms must be read, write or delete, not {perms!r}")


def _browse(url: str) -> Flow[None]:
    yield Browse(url)


def _done(value: Any) -> Any:
    async def done() -> Any:
        return value

    return done()


def _photoid_rsp(photo_id: str) -> Any:
    import xml.etree.ElementTree as ET

    rsp = ET.Element("rsp", stat="ok")
    ET.SubElement(rsp, "photoid").text = photo_id
    return rsp


def _rsp_xml(photo_id: str) -> str:
    return f'<?xml version="1.0" encoding="utf-8" ?>\n<rsp stat="ok">\n<photoid>{photo_id}</photoid>\n</rsp>\n'


class FlickrAPI(_BaseFlickr):
    """The sync Flickr client (FlickrAPI's ``flickrapi.FlickrAPI``, same names).

    Args:
        api_key, secret: your application's key and secret.
        username: binds the on-disk token to this user (several accounts on one machine).
        token: a token (string, legacy) or ``OAuthToken`` to use; kept in memory, never stored.
        format: ``etree`` (default), ``xmlnode``, ``parsed-json``; ``json``/``rest`` are
            returned raw and unchecked.
        store_token: ``False`` never reads nor writes the on-disk token cache.
        cache: ``True`` for a ``SimpleCache()``, or any Django-style cache object.
        browser, prompt: how to show a URL / ask the user (defaults: webbrowser, input()).
        transport: a custom transport; timeout, proxy, retry and the ``*_url`` endpoints as
            keywords.
    """

    _is_sync = True

    def close(self) -> None:
        self._runtime.close()

    def __enter__(self) -> FlickrAPI:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncFlickrAPI(_BaseFlickr):
    """The async twin of ``FlickrAPI``: same arguments and methods, each awaitable; walks
    are async iterators (``async for``)."""

    _is_sync = False

    async def close(self) -> None:
        await self._runtime.aclose()

    async def __aenter__(self) -> AsyncFlickrAPI:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
