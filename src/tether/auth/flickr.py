"""Flickr's two signing schemes: the legacy ``api_sig`` (MD5) and OAuth 1.0a (HMAC-SHA1).

Invariants:
- Legacy: MD5 over ``secret + name1 + value1 + …`` with names sorted, values as raw UTF-8 text
  (never URL-encoded), ``api_sig`` excluded, and the ``photo`` file field of an upload or
  replace (flickr.md §5.1). The recipe is data (``tether.auth.frob.FLICKR_RECIPE``); this
  function is its fast path, checked against it in tests/auth/test_frob.py.
- OAuth: the header builder is the service-neutral one of ``tether.auth.oauth1`` (re-exported
  here under the names tests and older code import).
"""

from __future__ import annotations

from collections.abc import Mapping
from hashlib import md5

from tether.auth.oauth1 import FORM, _escape, _normalize, oauth_header

__all__ = ["FORM", "_escape", "_normalize", "legacy_signature", "oauth_header"]


def legacy_signature(secret: str, params: Mapping[str, str], *, upload: bool = False) -> str:
    """``api_sig`` for ``params``: ``api_sig`` is left out, and ``photo`` too when ``upload``
    (the file field of an upload or replace; on a REST call it is an ordinary parameter)."""
    # The same result as FLICKR_RECIPE.signature, kept inline: it runs on every legacy call.
    unsigned = ("api_sig", "photo") if upload else ("api_sig",)
    parts = [secret]
    for name in sorted(params):
        if name in unsigned:
            continue
        parts.append(name)
        parts.append(params[name])
    return md5("".join(parts).encode("utf-8"), usedforsecurity=False).hexdigest()
