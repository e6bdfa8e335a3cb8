"""``from tether.flickr import FlickrAPI`` — FlickrAPI's public names, on tether's core.

A FlickrAPI user changes ``import flickrapi`` to ``from tether import flickr as flickrapi``.
"""

import tether.services.flickr.shorturl as shorturl
from tether.services.flickr.api import AsyncFlickrAPI, FlickrAPI, OAuthToken, SimpleTokenCache
from tether.services.flickr.errors import (
    CancelUpload,
    FlickrAuthError,
    FlickrError,
    FlickrNotFound,
    FlickrProtocolError,
    FlickrRateLimited,
    FlickrUnavailable,
    IllegalArgumentException,
)
from tether.services.flickr.parse import XMLNode

__all__ = [
    "AsyncFlickrAPI",
    "CancelUpload",
    "FlickrAPI",
    "FlickrAuthError",
    "FlickrError",
    "FlickrNotFound",
    "FlickrProtocolError",
    "FlickrRateLimited",
    "FlickrUnavailable",
    "IllegalArgumentException",
    "OAuthToken",
    "SimpleTokenCache",
    "XMLNode",
    "shorturl",
]


def __getattr__(name: str) -> object:
    # The caches live in tether.store / tether.core.cache; FlickrAPI exported them here.
    if name in ("TokenCache", "LockingTokenCache"):
        import tether.store as store

        return getattr(store, name)
    if name == "SimpleCache":
        from tether.core.cache import SimpleCache

        return SimpleCache
    if name == "LockingError":
        import tether.store as store

        return store.LockingError
    raise AttributeError(name)
