"""Checking Flickr's two signature schemes on the server side (flickr.md §5).

This is deliberately a separate implementation from the client's signing code
(``tether.auth.flickr``, built on oauthlib): were both built from the same primitives, a bug
there would be mirrored here and every end-to-end test would still pass.

Invariants:
- Legacy ``api_sig``: MD5 over ``secret + name1 + value1 + …``, names sorted by code point
  (= UTF-8 byte order), values as decoded text, ``api_sig`` left out, and ``photo`` too on an
  upload or replace only (its file field; on a REST call ``photo`` is signed like any other).
- OAuth 1.0a HMAC-SHA1: the base string is built from the request as the client addressed it
  (scheme, Host header, path with its trailing slash), every parameter from the
  ``Authorization`` header, the query string and the form fields (decoded, then re-encoded per
  RFC 3986: space is ``%20``, never ``+``), ``oauth_signature`` and ``realm`` left out.
- Checks run in a fixed order: parameters present and single -> version -> method -> consumer
  key -> timestamp window -> token -> signature -> nonce. The nonce is recorded only for a
  request whose signature is good, so a forger cannot burn a client's nonces.
- Pure: the clock (``now``) and the key, token and nonce books are passed in; nothing logs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Final
from urllib.parse import quote, unquote

Pairs = Sequence[tuple[str, str]]

#: Accepted clock difference for ``oauth_timestamp``, in seconds. Flickr's window is
#: undocumented (flickr.md §14); ±5 minutes is the common choice of OAuth 1.0a servers.
TIMESTAMP_WINDOW: Final = 300
_REQUIRED: Final = ("oauth_consumer_key", "oauth_nonce", "oauth_signature", "oauth_timestamp")
_HEADER_PARAM = re.compile(r'([^\s=,]+)\s*=\s*"([^"]*)"')


# -- legacy ------------------------------------------------------------------------------------


def legacy_signature(secret: str, params: Mapping[str, str], *, upload: bool = False) -> str:
    """The ``api_sig`` Flickr expects for ``params``; ``upload`` for an upload or replace,
    whose ``photo`` file field is never signed (flickr.md §5.1)."""
    unsigned = ("api_sig", "photo") if upload else ("api_sig",)
    parts = [secret]
    for name in sorted(params):
        if name not in unsigned:
            parts.append(name)
            parts.append(params[name])
    return hashlib.md5("".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


def legacy_valid(
    secret: str, params: Mapping[str, str], api_sig: str, *, upload: bool = False
) -> bool:
    expected = legacy_signature(secret, params, upload=upload)
    return hmac.compare_digest(expected.encode(), api_sig.strip().lower().encode("utf-8"))


# -- OAuth primitives --------------------------------------------------------------------------


def pct(text: str) -> str:
    """RFC 3986 percent-encoding of UTF-8 text: only ``A-Z a-z 0-9 - . _ ~`` stay as they are."""
    return quote(text.encode("utf-8"), safe="-._~")


def base_string_uri(scheme: str, host: str, path: str) -> str:
    """``scheme://host[:port]/path``: lower-case scheme and host, default port dropped."""
    scheme, host = scheme.lower(), host.lower()
    default = {"http": ":80", "https": ":443"}.get(scheme)
    if default and host.endswith(default):
        host = host[: -len(default)]
    return f"{scheme}://{host}{path}"


def normalized_parameters(pairs: Iterable[tuple[str, str]]) -> str:
    encoded = sorted((pct(k), pct(v)) for k, v in pairs)
    return "&".join(f"{k}={v}" for k, v in encoded)


def base_string(method: str, uri: str, pairs: Iterable[tuple[str, str]]) -> str:
    return "&".join((pct(method.upper()), pct(uri), pct(normalized_parameters(pairs))))


def hmac_sha1(base: str, consumer_secret: str, token_secret: str) -> str:
    key = f"{pct(consumer_secret)}&{pct(token_secret)}".encode()
    return base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()


def parse_authorization(value: str) -> list[tuple[str, str]] | None:
    """The parameters of an ``Authorization: OAuth …`` header (``realm`` dropped, values
    percent-decoded); ``None`` when the header is not an OAuth one."""
    if value[:6].lower() != "oauth ":
        return None
    return [
        (unquote(name), unquote(val))
        for name, val in _HEADER_PARAM.findall(value[6:])
        if name != "realm"
    ]


# -- verification ------------------------------------------------------------------------------


class OAuthProblem(Exception):
    """An OAuth refusal: HTTP 401 with a form-encoded ``oauth_problem=…`` body."""

    def __init__(self, problem: str, extra: Pairs = ()) -> None:
        super().__init__(problem)
        self.problem = problem
        self.extra = tuple(extra)

    def body(self) -> bytes:
        parts = [f"oauth_problem={pct(self.problem)}"]
        for name, value in self.extra:
            # Flickr appends the base string as it is, unencoded (sybrenstuvel/flickrapi#147:
            # "debug_sbs=POST&https%3A%2F%2F…"); a form parser still reads oauth_problem.
            parts.append(f"{name}={value if name == 'debug_sbs' else pct(value)}")
        return "&".join(parts).encode()


@dataclass(frozen=True)
class SignedRequest:
    """What the signature covers, as the server received it."""

    method: str
    uri: str  # base string URI (``base_string_uri``)
    header: Pairs  # OAuth parameters from the Authorization header
    query: Pairs
    form: Pairs  # urlencoded body, or an upload's text fields


@dataclass(frozen=True)
class OAuthResult:
    consumer_key: str
    token: str | None
    oauth: Mapping[str, str]  # every oauth_* parameter received


class NonceBook:
    """Nonces seen per (consumer key, timestamp); entries whose timestamp has left the window
    are forgotten (a replay of them is refused by the timestamp check anyway)."""

    def __init__(self, window: int = TIMESTAMP_WINDOW) -> None:
        self.window = window
        self._seen: dict[tuple[str, int], set[str]] = {}

    def use(self, consumer_key: str, timestamp: int, nonce: str, now: float) -> bool:
        """Record ``nonce``; False if it was already used with this key and timestamp."""
        if len(self._seen) > 4096:
            horizon = now - self.window
            self._seen = {k: v for k, v in self._seen.items() if k[1] >= horizon}
        used = self._seen.setdefault((consumer_key, timestamp), set())
        if nonce in used:
            return False
        used.add(nonce)
        return True


def verify_oauth(
    request: SignedRequest,
    *,
    now: float,
    consumer_secret: Callable[[str], str | None],
    token_secret: Callable[[str, str], str | None],
    nonces: NonceBook,
    require_token: bool,
    window: int = TIMESTAMP_WINDOW,
) -> OAuthResult:
    """Check an OAuth 1.0a HMAC-SHA1 signed request.

    Args:
        request: the signed parts of the request.
        now: the server clock (Unix seconds).
        consumer_secret: the secret of a consumer key, ``None`` if unknown.
        token_secret: ``(token, consumer_key) -> secret``, ``None`` if the token is unknown,
            refused or not this consumer's.
        nonces: where used nonces are recorded.
        require_token: whether ``oauth_token`` must be present.

    Raises:
        OAuthProblem: the refusal, named as in the OAuth problem-reporting extension.
    """
    oauth: dict[str, str] = {}
    for source in (request.header, request.query, request.form):
        for name, value in source:
            if name.startswith("oauth_"):
                if oauth.get(name, value) != value:
                    raise OAuthProblem("parameter_rejected", [("oauth_parameters_rejected", name)])
                oauth[name] = value
    required = (*_REQUIRED, "oauth_token") if require_token else _REQUIRED
    missing = [name for name in required if not oauth.get(name)]
    if missing:
        raise OAuthProblem("parameter_absent", [("oauth_parameters_absent", "&".join(missing))])
    if oauth.get("oauth_version", "1.0") != "1.0":
        raise OAuthProblem("version_rejected", [("oauth_acceptable_versions", "1.0-1.0")])
    if oauth.get("oauth_signature_method") != "HMAC-SHA1":
        # Flickr supports HMAC-SHA1 only (flickr.md §5.2).
        raise OAuthProblem("signature_method_rejected")
    key = oauth["oauth_consumer_key"]
    secret = consumer_secret(key)
    if secret is None:
        raise OAuthProblem("consumer_key_unknown")
    try:
        timestamp = int(oauth["oauth_timestamp"])
    except ValueError:
        timestamp = -1
    if abs(timestamp - now) > window:
        lo, hi = int(now) - window, int(now) + window
        raise OAuthProblem("timestamp_refused", [("oauth_acceptable_timestamps", f"{lo}-{hi}")])
    token = oauth.get("oauth_token") or None
    tsecret = ""
    if token is not None:
        found = token_secret(token, key)
        if found is None:
            raise OAuthProblem("token_rejected")
        tsecret = found
    signed = [
        (name, value)
        for source in (request.header, request.query, request.form)
        for name, value in source
        if name != "oauth_signature"
    ]
    base = base_string(request.method, request.uri, signed)
    expected = hmac_sha1(base, secret, tsecret)
    if not hmac.compare_digest(expected.encode(), oauth["oauth_signature"].encode("utf-8")):
        raise OAuthProblem("signature_invalid", [("debug_sbs", base)])
    if not nonces.use(key, timestamp, oauth["oauth_nonce"], now):
        raise OAuthProblem("nonce_used")
    return OAuthResult(key, token, oauth)
