"""Flickr's tokens as values: ``OAuthToken`` (an access token and what Flickr said of it) and
``SimpleTokenCache`` (a legacy token kept in memory only).

Invariants:
- A token's repr never shows the token or its secret.
- ``OAuthToken.dumps``/``loads`` round-trip; ``loads`` of text without a token and a secret
  is ``None``, never a half token.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, urlencode

from tether.services.flickr.spec import perms_at_least

__all__ = ["OAuthToken", "SimpleTokenCache"]


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
    def of_sandbox(cls, creds: Mapping[str, Any]) -> OAuthToken:
        """The sandbox's ready token (its block of ``/_sandbox/credentials``): full
        permission, bound to the sandbox's own application."""
        user = creds.get("user") or {}
        return cls(
            creds["oauth_token"],
            creds.get("oauth_token_secret", ""),
            "delete",
            username=user.get("username", ""),
            user_nsid=user.get("nsid", ""),
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
