"""OAuth 1.0a (RFC 5849) with HMAC-SHA1: the per-request header and the three-legged dance.

Invariants:
- Pure. ``sign``/``header`` take the clock reading (``now``) and draw the nonce from the
  injected ``nonce()``; the dance steps are flows that build one freshly signed request per
  attempt and hand it to the service's ``exchange`` (its retry policy, pacing and error
  mapping: a strategy never decides what an HTTP status means for a service).
- The endpoints are data (``Endpoints``): the request-token, authorize and access-token URLs.
  Nothing here names a service; the service's error classes come in as factories.
- Percent-encoding, the base string URI and the base string are oauthlib's (a well-kept
  implementation, checked against the vectors in flickr.md §13). Form fields are signed as an
  urlencoded body, including the text fields of a multipart upload (flickr.md §5.2).
- Speed (``header`` runs on every call): oauthlib's ``escape`` costs ~2 µs and a call needs
  ~30 of them, almost all on text with nothing to escape. ``_escape`` returns such text as it
  is (exactly what ``escape`` returns: it never changes RFC 3986 unreserved characters) and
  hands anything else to oauthlib; parameter normalisation (RFC 5849 §3.4.1.3.2) is done here
  so that it uses ``_escape``. Both are checked against oauthlib's own functions by property
  tests (tests/services/flickr/test_signing_fast.py).
- Secrets (consumer secret, token secrets, verifiers, signatures) never reach a repr or a
  message; oauthlib's ``Client.sign`` is not used because it logs the base string and the
  signature at DEBUG.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from oauthlib.oauth1.rfc5849 import signature as S
from oauthlib.oauth1.rfc5849.utils import escape

from tether.core.errors import AuthError, ProtocolError
from tether.core.flow import Flow
from tether.core.messages import Request, Response

__all__ = [
    "FORM",
    "Endpoints",
    "Exchange",
    "OAuth1",
    "TokenPair",
    "oauth_header",
]

FORM = "application/x-www-form-urlencoded"

_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")


def _auth_error(message: str, method: str = "") -> Exception:
    return AuthError(message)


def _protocol_error(message: str, method: str = "") -> Exception:
    return ProtocolError(message)


#: ``exchange(build, method)``: run the request ``build(now)`` makes (once per attempt, so
#: each attempt has its own nonce and timestamp) and return the answer, or raise the service's
#: error for it. The facade passes its own, so its retry policy and error mapping apply.
Exchange = Callable[[Callable[[float], Request], str], Flow[Response]]


def _escape(text: str) -> str:
    """oauthlib's ``escape``, without its cost when there is nothing to escape."""
    if type(text) is str and _UNRESERVED.fullmatch(text):
        return text
    return str(escape(text))


def _normalize(params: Iterable[tuple[str, str]]) -> str:
    """RFC 5849 §3.4.1.3.2, as oauthlib's ``normalize_parameters``."""
    return "&".join(f"{k}={v}" for k, v in sorted((_escape(k), _escape(v)) for k, v in params))


@lru_cache(maxsize=64)
def _base_uri(url: str) -> str:
    # A client calls the same two or three endpoints; the URI normalisation is pure.
    return str(S.base_string_uri(url))


def oauth_header(
    method: str,
    url: str,
    fields: Mapping[str, str],
    *,
    api_key: str,
    secret: str,
    nonce: str,
    timestamp: int,
    token: str | None = None,
    token_secret: str | None = None,
    verifier: str | None = None,
    callback: str | None = None,
) -> str:
    """The ``Authorization: OAuth …`` header value signing ``fields`` as a form body.

    Args:
        method, url: the request line (the URL's query is signed too).
        fields: the form fields of the body (none for an empty body).
        api_key, secret: the consumer key and secret.
        nonce, timestamp: fresh per request (the caller draws them: no clock is read here).
        token, token_secret: the request or access token, when there is one.
        verifier, callback: the dance's ``oauth_verifier`` and ``oauth_callback``.
    Returns:
        ``'OAuth oauth_nonce="…", …, oauth_signature="…"'``.
    """
    oauth = [
        ("oauth_nonce", nonce),
        ("oauth_timestamp", str(timestamp)),
        ("oauth_version", "1.0"),
        ("oauth_signature_method", "HMAC-SHA1"),
        ("oauth_consumer_key", api_key),
    ]
    if token is not None:
        oauth.append(("oauth_token", token))
    if verifier is not None:
        oauth.append(("oauth_verifier", verifier))
    if callback is not None:
        oauth.append(("oauth_callback", callback))
    base_url, _, query = url.partition("?")
    params = [*oauth, *fields.items()]
    if query:
        params += parse_qsl(urlsplit(url).query, keep_blank_values=True)
    base = S.signature_base_string(method.upper(), _base_uri(base_url), _normalize(params))
    key = f"{_escape(secret)}&{_escape(token_secret or '')}".encode()
    sig = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
    oauth.append(("oauth_signature", sig))
    return "OAuth " + ", ".join(f'{k}="{_escape(v)}"' for k, v in oauth)


@dataclass(frozen=True, slots=True)
class Endpoints:
    """Where a service's dance happens (Flickr: ``…/services/oauth/request_token`` …)."""

    request_token: str
    authorize: str
    access_token: str

    @classmethod
    def under(cls, base: str) -> Endpoints:
        """The usual layout: ``base + "request_token"``, ``"authorize"``, ``"access_token"``."""
        return cls(base + "request_token", base + "authorize", base + "access_token")


@dataclass(frozen=True, slots=True, repr=False)
class TokenPair:
    """A token and its secret (a request token during the dance, or an access token)."""

    token: str
    secret: str

    def __repr__(self) -> str:
        return "TokenPair(token=***, secret=***)"


class OAuth1:
    """One consumer (key and secret) speaking OAuth 1.0a to one set of endpoints.

    Args:
        consumer_key, consumer_secret: the application's credentials.
        endpoints: the dance's three URLs.
        nonce: draws a fresh nonce (injected so that tests are deterministic).
        service: the service's name in messages (``"Flickr"``).
        label: prefix of request labels (``"flickr"`` → ``"flickr oauth request_token"``).
        auth_error, protocol_error: the service's error classes, called as
            ``cls(message, method=...)``: a refused dance is the service's ``AuthError``.
    """

    __slots__ = (
        "_auth_error",
        "_key",
        "_label",
        "_nonce",
        "_protocol_error",
        "_secret",
        "_service",
        "endpoints",
    )

    def __init__(
        self,
        consumer_key: str,
        consumer_secret: str,
        endpoints: Endpoints,
        *,
        nonce: Callable[[], str],
        service: str = "the server",
        label: str = "",
        auth_error: Callable[..., Exception] = _auth_error,
        protocol_error: Callable[..., Exception] = _protocol_error,
    ) -> None:
        self._key = consumer_key
        self._secret = consumer_secret
        self.endpoints = endpoints
        self._nonce = nonce
        self._service = service
        self._label = f"{label} oauth" if label else "oauth"
        self._auth_error = auth_error
        self._protocol_error = protocol_error

    def __repr__(self) -> str:
        return f"OAuth1(consumer_key={self._key!r}, secret=***)"

    # --- per request ----------------------------------------------------------------------

    def header(
        self,
        method: str,
        url: str,
        fields: Mapping[str, str],
        now: float,
        token: TokenPair | None = None,
        **oauth: str,
    ) -> str:
        """``oauth_header`` with this consumer, a fresh nonce and ``now`` as the timestamp."""
        return oauth_header(
            method,
            url,
            fields,
            api_key=self._key,
            secret=self._secret,
            nonce=self._nonce(),
            timestamp=int(now),
            token=None if token is None else token.token,
            token_secret=None if token is None else token.secret,
            **oauth,
        )

    def sign(self, request: Request, now: float, token: TokenPair | None = None) -> Request:
        """``request`` with an ``Authorization`` header added. A form body (bytes with the
        form content type) is signed field by field; any other body is not signed (RFC 5849
        §3.4.1.3.1: only form bodies are parameters)."""
        fields: Mapping[str, str] = {}
        body = request.body
        if isinstance(body, bytes) and body and request.header("Content-Type") == FORM:
            fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        value = self.header(request.method, request.url, fields, now, token)
        return replace(request, headers=(*request.headers, ("Authorization", value)))

    # --- the dance ------------------------------------------------------------------------

    def _post(self, exchange: Exchange, name: str, url: str, **oauth: Any) -> Flow[dict[str, str]]:
        label = f"{self._label} {name}"

        def build(now: float) -> Request:
            value = self.header("POST", url, {}, now, **oauth)
            return Request("POST", url, (("Authorization", value),), b"", label=label)

        response = yield from exchange(build, f"oauth/{name}")
        text = response.body.decode("utf-8", errors="replace")
        return dict(parse_qsl(text, keep_blank_values=True))

    def request_token(self, exchange: Exchange, callback: str = "oob") -> Flow[TokenPair]:
        """Leg 1: a request token, for ``callback`` (a URL of the application's, or
        ``"oob"`` when the user will type the verifier).

        Raises:
            auth_error: the server did not confirm the callback (a wrong key or secret).
        """
        body = yield from self._post(
            exchange, "request_token", self.endpoints.request_token, callback=callback
        )
        if body.get("oauth_callback_confirmed") != "true" or not body.get("oauth_token"):
            raise self._auth_error(
                f"oauth/request_token: {self._service} did not confirm the OAuth callback; "
                "check the API key and secret",
                method="oauth/request_token",
            )
        return TokenPair(body["oauth_token"], body.get("oauth_token_secret", ""))

    def authorize_url(self, request_token: TokenPair | str, **params: str) -> str:
        """Leg 2: the page where the user approves ``request_token`` (``params`` are the
        service's own, e.g. Flickr's ``perms``)."""
        token = request_token if isinstance(request_token, str) else request_token.token
        return self.endpoints.authorize + "?" + urlencode({"oauth_token": token, **params})

    def access_token(
        self, exchange: Exchange, request_token: TokenPair, verifier: str
    ) -> Flow[dict[str, str]]:
        """Leg 3: trade the approved request token and its verifier for an access token.

        Returns:
            The server's whole answer (``oauth_token``, ``oauth_token_secret`` and whatever
            the service adds: Flickr's ``username``, ``user_nsid`` …).
        Raises:
            protocol_error: the answer holds no ``oauth_token``.
        """
        body = yield from self._post(
            exchange,
            "access_token",
            self.endpoints.access_token,
            token=request_token,
            verifier=verifier.strip(),
        )
        if not body.get("oauth_token"):
            raise self._protocol_error(
                f"oauth/access_token: {self._service}'s answer has no oauth_token; log in again",
                method="oauth/access_token",
            )
        return body
