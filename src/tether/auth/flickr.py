"""Flickr's two signing schemes: the legacy ``api_sig`` (MD5) and OAuth 1.0a (HMAC-SHA1).

Invariants:
- Legacy: MD5 over ``secret + name1 + value1 + …`` with names sorted, values as raw UTF-8 text
  (never URL-encoded), ``api_sig`` and the ``photo`` file field excluded (flickr.md §5.1).
- OAuth: signing is oauthlib's (a well-kept implementation, checked against the vectors in
  flickr.md §13); this module only feeds it the right request shape: form fields as an
  urlencoded body, including for multipart uploads whose text fields are signed as if they
  were a form (§5.2). Nonce and timestamp are passed in: the core reads no clock.
"""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import md5
from urllib.parse import urlencode

from oauthlib.oauth1 import SIGNATURE_HMAC_SHA1, Client

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
    """The ``Authorization: OAuth …`` header value signing ``fields`` as a form body."""
    client = Client(
        api_key,
        client_secret=secret,
        resource_owner_key=token,
        resource_owner_secret=token_secret,
        verifier=verifier,
        callback_uri=callback,
        signature_method=SIGNATURE_HMAC_SHA1,
        nonce=nonce,
        timestamp=str(timestamp),
    )
    body = urlencode(list(fields.items())) if fields else None
    headers = {"Content-Type": FORM} if fields else {}
    _, signed, _ = client.sign(url, http_method=method, body=body, headers=headers)
    return str(signed["Authorization"])
