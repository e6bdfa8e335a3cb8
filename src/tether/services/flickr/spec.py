"""Flickr as data: endpoints, formats, permission levels, transient error codes."""

from __future__ import annotations

from tether.core.cache import ReadRule

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

#: Which Flickr methods are reads: retried freely, and cached when a cache is given (the rule
#: is ``tether.core.cache.ReadRule``'s; these are the names it cannot tell from their verb).
READS = ReadRule(
    "flickr.",
    extra_reads=(
        "flickr.photos.recentlyUpdated",
        "flickr.photos.geo.photosForLocation",
        "flickr.places.placesForBoundingBox",
        "flickr.places.placesForContacts",
        "flickr.places.placesForTags",
        "flickr.places.placesForUser",
        "flickr.places.tagsForPlace",
    ),
    # Polled until they change: serving them from a cache breaks their purpose.
    volatile=("flickr.photos.upload.checkTickets", "flickr.test.login"),
)


def is_cacheable(method: str) -> bool:
    """Whether answers of ``method`` (``flickr.`` optional) may be served from a cache."""
    return READS.cacheable(method)


def perms_at_least(have: str | None, want: str) -> bool:
    """``delete`` implies ``write`` implies ``read``."""
    if have not in PERMS or want not in PERMS:
        return False
    return PERMS.index(have) >= PERMS.index(want)
