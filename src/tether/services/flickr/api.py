"""Flickr client: ``FlickrAPI`` (sync) and ``AsyncFlickrAPI``, FlickrAPI 1.4's documented API
plus OAuth 1.0a as Flickr uses it today.

The client is built from parts, each in its own module: ``core`` (state, encoding, the one
signed call, walks), ``logins`` (frob and OAuth flows, token store) and ``uploads``; the
facade kit (``tether.services.kit``) gives the sync and async twins. Each public method builds
a flow and hands it to ``self._run`` (the sync or async runtime), so both classes share every
line of behaviour.

What the seed promises and its code did not deliver, done here: ``flickr.token.path`` works
(``token`` is the token cache); ``walk_set(...)[:25]`` is lazy and sliceable; the
``SimpleCache`` membership test works; ``callback(progress, done)`` really fires; transient
errors (0, 105, 106, 5xx, dropped connections) are retried; XML parsing refuses entity bombs;
``flickr.auth.oauth.checkToken`` is called with its token so ``token_valid`` works.
"""

from __future__ import annotations

from tether.services.flickr.core import encode_value
from tether.services.flickr.logins import Logins
from tether.services.flickr.tokens import OAuthToken, SimpleTokenCache
from tether.services.flickr.uploads import Uploads
from tether.services.kit.client import AsyncFacade, SyncFacade

__all__ = ["AsyncFlickrAPI", "FlickrAPI", "OAuthToken", "SimpleTokenCache", "encode_value"]


class _BaseFlickr(Uploads, Logins):
    """Everything but the driver."""


class FlickrAPI(_BaseFlickr, SyncFacade):
    """The sync Flickr client (FlickrAPI's ``flickrapi.FlickrAPI``, same names).

    Args:
        api_key, secret: your application's key and secret.
        username: binds the on-disk token to this user (several accounts on one machine).
        token: a token (string, legacy) or ``OAuthToken`` to use; kept in memory, never stored.
        format: ``etree`` (default), ``xmlnode``, ``parsed-json``; ``json``/``rest`` are
            returned raw and unchecked.
        store_token: ``False`` never reads nor writes the on-disk token cache.
        cache: ``True`` for a ``SimpleCache()``, or any Django-style cache object.
        browser, prompt: how to show a URL / ask the user (defaults: webbrowser, input()).
        transport: a custom transport; timeout, proxy, retry and the ``*_url`` endpoints as
            keywords.
    """


class AsyncFlickrAPI(_BaseFlickr, AsyncFacade):
    """The async twin of ``FlickrAPI``: same arguments and methods, each awaitable; walks
    are async iterators (``async for``)."""
