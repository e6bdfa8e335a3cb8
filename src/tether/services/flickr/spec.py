"""Flickr as data: endpoints, formats, permission levels, transient error codes."""

from __future__ import annotations

REST_URL = "https://api.flickr.com/services/rest/"
UPLOAD_URL = "https://up.flickr.com/services/upload/"
REPLACE_URL = "https://up.flickr.com/services/replace/"
AUTH_URL = "https://www.flickr.com/services/auth/"
OAUTH_URL = "https://www.flickr.com/services/oauth/"

PARSED_FORMATS = frozenset({"etree", "xmlnode", "parsed-json"})
UPLOAD_FORMATS = frozenset({"etree", "xmlnode", "rest"})

PERMS = ("none", "read", "write", "delete")

# Codes Flickr documents as temporary: 0 service off, 105 unavailable, 106 write failed.
TRANSIENT_CODES = frozenset({0, 105, 106})


def perms_at_least(have: str | None, want: str) -> bool:
    """``delete`` implies ``write`` implies ``read``."""
    if have not in PERMS or want not in PERMS:
        return False
    return PERMS.index(have) >= PERMS.index(want)
