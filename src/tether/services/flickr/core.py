"""The core of the Flickr client: its state, its argument encoding, its one way of sending a
call (signed with OAuth 1.0a or the legacy ``api_sig``, retried, decoded), and the walks.

Invariants:
- Every call goes through ``_send``: the request is rebuilt and signed afresh for each attempt
  (new nonce and timestamp), and ``READS`` (``spec.py``) decides whether it is idempotent.
- A call is answered from the cache only when a cache was given and ``READS`` says the method
  is cacheable; the key names who is asking (a digest of the token), never the token itself.
- Only successful answers are stored in the cache.
"""

from __future__ import annotations

import hashlib
import os
import secrets
from collections.abc import Callable, Mapping
from typing import Any

from tether.auth.flickr import FORM, legacy_signature, oauth_header
from tether.core.cache import cache_key
from tether.core.errors import TransportError
from tether.core.flow import Browse, Flow, Prompt
from tether.core.messages import Request, Response
from tether.core.paging import PageNumber
from tether.core.params import form_body
from tether.core.retry import RetryPolicy, give_up_note
from tether.runtime import Walk
from tether.services.flickr import parse as P
from tether.services.flickr.answers import check_http, is_transient
from tether.services.flickr.errors import (
    FlickrError,
    FlickrUnavailable,
    IllegalArgumentException,
)
from tether.services.flickr.spec import (
    AUTH_URL,
    OAUTH_URL,
    PARSED_FORMATS,
    READS,
    REPLACE_URL,
    REST_URL,
    UPLOAD_URL,
)
from tether.services.flickr.tokens import OAuthToken, SimpleTokenCache
from tether.services.kit import rpc
from tether.services.kit.client import ClientCore, sandbox_redirect
from tether.services.kit.rpc import MethodProxy, cache_get, cache_set
from tether.transport import DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES, Timeout

__all__ = ["FlickrCore", "encode_value"]


def encode_value(name: str, value: Any) -> str:
    """Flickr's argument encoding: the kit's (booleans 1/0, lists comma-joined, bytes as UTF-8,
    everything else ``str``), except that tags are space-joined, multi-word tags quoted."""
    if name in ("tags", "tag") and isinstance(value, (list, tuple, set, frozenset)):
        items = [encode_value(name, v) for v in value]
        return " ".join(f'"{t}"' if " " in t and not t.startswith('"') else t for t in items)
    return rpc.encode_value(value)


class FlickrCore(ClientCore):
    """The Flickr client's state and its one way of calling: what logins, uploads and walks
    (``logins.Logins``, ``uploads.Uploads``) build on."""

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
        ready: OAuthToken | None = None  # the sandbox's own full-permission token
        urls = {
            "rest": rest_url or REST_URL,
            "upload": upload_url or UPLOAD_URL,
            "replace": replace_url or REPLACE_URL,
            "auth": auth_url or AUTH_URL,
            "oauth": oauth_url or OAUTH_URL,
        }
        sandbox = sandbox_redirect("flickr", environ)
        if sandbox is not None:
            creds = sandbox.credentials
            urls = {name: creds[f"{name}_url"] for name in urls}
            if not api_key:
                api_key, secret = creds["api_key"], creds["secret"]
            if (
                api_key == creds["api_key"]
                and secret == creds["secret"]
                and creds.get("oauth_token")
            ):
                # Only for the sandbox's own application: its ready token is bound to it.
                ready = OAuthToken.of_sandbox(creds)
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
        self._nonce: Callable[[], str] = lambda: secrets.token_hex(10)
        self._start(
            transport=transport,
            timeout=timeout,
            retry=retry,
            sandboxed=sandbox is not None,
            environ=environ,
            proxy=proxy,
            ca_certs=ca_certs,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            browse=browser,
            prompt=prompt,
        )

    def _load_oauth_token(self) -> OAuthToken | None:
        """The OAuth token stored on disk, if any: ``logins.Logins`` knows the store."""
        raise NotImplementedError  # pragma: no cover - always overridden by Logins

    # --- names ----------------------------------------------------------------------------

    @property
    def token(self) -> Any:
        """The token cache (the seed's ``flickr.token.path = ...`` changes where it lives)."""
        return self.token_cache

    @token.setter
    def token(self, value: Any) -> None:
        self.token_cache = value

    def __getattr__(self, name: str) -> MethodProxy:
        if name.startswith("_"):
            raise AttributeError(name)
        return MethodProxy(self.call, "flickr." + name.replace("_", "."), "Flickr")

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
        cache = self.cache if self.cache is not None and READS.cacheable(method) else None
        key = None
        if cache is not None:
            key = cache_key("flickr", method, args, self._identity())
            body = yield from cache_get(cache, key)
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
            yield from cache_set(cache, key, body)
        return result

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
                idempotent=READS.is_read(method),
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
            response = yield from self._retrying(build, is_transient)
        except TransportError as e:
            raise FlickrUnavailable(f"{method}: {e}") from e
        check_http(response, method, give_up_note(response))
        return response

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
