"""Flickr's two signing schemes: the legacy ``api_sig`` (MD5) and OAuth 1.0a (HMAC-SHA1).

Invariants:
- Legacy: MD5 over ``secret + name1 + value1 + …`` with names sorted, values as raw UTF-8 text
  (never URL-encoded), ``api_sig`` and the ``photo`` file field excluded (flickr.md §5.1).
- OAuth: the base string and parameter normalisation are oauthlib's (a well-kept
  implementation, checked against the vectors in flickr.md §13); this module only feeds it
  the right request shape: form fields as an
  urlencoded body, including for multipart uploads whose text fields are signed as if they
  were a form (§5.2). Nonce and timestamp are passed in: the core reads no clock.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Mapping
from hashlib import md5
from urllib.parse import parse_qsl, urlsplit

from oauthlib.oauth1.rfc5849 import signature as S
from oauthlib.oauth1.rfc5849.utils import escape

FORM = "application/x-www-form-urlencoded"


def legacy_signature(secret: str, params: Mapping[str, str]) -> str:
    """``api_sig`` for ``params`` (``api_sig`` and ``photo`` are left out)."""
    parts = [secret]
    for name in sorted(params):
        if name in ("api_sig", "photo"):
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
    query = urlsplit(url).query
    params = [*oauth, *fields.items(), *parse_qsl(query, keep_blank_values=True)]
    base = S.signature_base_string(
        method.upper(), S.base_string_uri(url.split("?", 1)[0]), S.normalize_parameters(params)
    )
    key = f"{escape(secret)}&{escape(token_secret or '')}".encode()
    sig = base64.b64encode(hmac.new(key, base.encode(), hashlib.sha1).digest()).decode()
    oauth.append(("oauth_signature", sig))
    return "OAuth " + ", ".join(f'{k}="{escape(v)}"' for k, v in oauth)
