"""Flickr's two signing schemes: the legacy ``api_sig`` (MD5) and OAuth 1.0a (HMAC-SHA1).

Invariants:
- Legacy: MD5 over ``secret + name1 + value1 + …`` with names sorted, values as raw UTF-8 text
  (never URL-encoded), ``api_sig`` excluded, and the ``photo`` file field of an upload or
  replace (flickr.md §5.1).
- OAuth: percent-encoding, the base string URI and the base string are oauthlib's (a well-kept
  implementation, checked against the vectors in flickr.md §13); this module feeds it the
  right request shape: form fields as an urlencoded body, including for multipart uploads
  whose text fields are signed as if they were a form (§5.2). Nonce and timestamp are passed
  in: the core reads no clock.
- Speed (this runs on every call): oauthlib's ``escape`` costs ~2 µs and a call needs ~30 of
  them, almost all on text that has nothing to escape. ``_escape`` returns such text as it is
  (exactly what ``escape`` would return: it never changes RFC 3986 unreserved characters) and
  hands anything else to oauthlib; parameter normalisation (RFC 5849 §3.4.1.3.2: escape names
  and values, sort, join) is done here so that it uses ``_escape``. Both are checked against
  oauthlib's own functions by property tests (tests/services/flickr/test_signing_fast.py).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from functools import lru_cache
from hashlib import md5
from urllib.parse import parse_qsl, urlsplit

from oauthlib.oauth1.rfc5849 import signature as S
from oauthlib.oauth1.rfc5849.utils import escape

FORM = "application/x-www-form-urlencoded"

_UNRESERVED = re.compile(r"[A-Za-z0-9._~-]*")


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


def legacy_signature(secret: str, params: Mapping[str, str], *, upload: bool = False) -> str:
    """``api_sig`` for ``params``: ``api_sig`` is left out, and ``photo`` too when ``upload``
    (the file field of an upload or replace; on a REST call it is an ordinary parameter)."""
    unsigned = ("api_sig", "photo") if upload else ("api_sig",)
    parts = [secret]
    for name in sorted(params):
        if name in unsigned:
            continue
        parts.append(name)
        parts.append(params[name])
    return md5("".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()


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

    Built from oauthlib's signature primitives rather than its ``Client.sign``, which logs the
    base string and the signature at DEBUG: tether never lets a signature reach a log.
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
