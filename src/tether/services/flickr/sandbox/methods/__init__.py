"""The REST methods the Flickr emulator implements, by API family: one handler per method name,
each taking the checked call (parameters, caller, clock) and returning the children of
``<rsp>``. ``METHODS`` is the table the emulator dispatches on.

Module map: ``base`` (Call, Caller, MethodError, paging, photo elements, perms), ``auth``
(flickr.test.*, flickr.auth.*), ``photos`` (flickr.photos.*), ``people`` (flickr.photosets.*,
flickr.people.*, flickr.contacts.getList), ``reflection`` (flickr.reflection.*, handed this
table at call time).

Invariants:
- ``METHODS`` is the only table (the kit's ``Registry``): a method is emulated iff it has a
  line here, with the permission level the envelope checks before its handler runs and the
  arguments and errors ``flickr.reflection.getMethodInfo`` reports (``getMethods`` lists the
  registry's names, so neither can drift from what is served). An unknown method is Flickr's
  112; the registry checks no required argument (``missing=None``): Flickr's handlers answer
  their own codes for one (``1: Photo not found`` …), and the envelope's order is app.py's.
- The families import ``base`` only, never each other nor this module: no import circle.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from tether.sandbox.kit.rpc import Registry
from tether.services.flickr.sandbox.methods.auth import (
    m_check_token,
    m_echo,
    m_get_frob,
    m_get_token,
    m_login,
    m_oauth_check_token,
    m_oauth_get_access_token,
)
from tether.services.flickr.sandbox.methods.base import (
    BLACKLISTED_HOSTS,
    LICENSE,
    MAX_PAGE,
    MAX_PER_PAGE,
    NOT_LOGGED_IN,
    Call,
    Caller,
    Handler,
    Method,
    MethodError,
    Payload,
    bad_url,
    check_perms,
    paginate,
    photo_element,
    photo_url,
)
from tether.services.flickr.sandbox.methods.people import (
    m_contacts_get_list,
    m_people_get_info,
    m_people_get_photos,
    m_people_get_public_photos,
    m_sets_get_list,
    m_sets_get_photos,
)
from tether.services.flickr.sandbox.methods.photos import (
    m_check_tickets,
    m_delete,
    m_get_info,
    m_get_recent,
    m_recently_updated,
    m_search,
    m_set_meta,
)
from tether.services.flickr.sandbox.methods.reflection import m_get_method_info, m_get_methods
from tether.services.flickr.sandbox.state import PERMS

_PAGE: Final = ("extras", "per_page", "page")
_SEARCH: Final = (
    "user_id",
    "tags",
    "tag_mode",
    "text",
    "min_upload_date",
    "max_upload_date",
    "min_taken_date",
    "max_taken_date",
    "license",
    "sort",
    "machine_tags",
    "machine_tag_mode",
    "group_id",
    "contacts",
    "woe_id",
    "place_id",
    "has_geo",
    "bbox",
    "lat",
    "lon",
    *_PAGE,
)
_NO_PHOTO: Final = ((1, "Photo not found"),)
_NO_USER: Final = ((1, "User not found"),)


def _reflect(handler: Callable[[Call, Registry[Method]], Payload]) -> Handler:
    # Looks ``METHODS`` up when called, so the reflection lines see the whole table, their own
    # lines included.
    return lambda call: handler(call, METHODS)


def method_not_found(name: str) -> MethodError:
    """The envelope's answer for a method the table does not hold."""
    return MethodError(112, f'Method "{name}" not found')


_TABLE: Final[dict[str, Method]] = {
    "flickr.test.echo": Method(m_echo),
    "flickr.test.login": Method(m_login, "read"),
    "flickr.auth.getFrob": Method(m_get_frob),
    "flickr.auth.getToken": Method(
        m_get_token, required=("frob",), errors=((108, "Invalid frob"),)
    ),
    "flickr.auth.checkToken": Method(
        m_check_token, required=("auth_token",), errors=((98, "Invalid auth token"),)
    ),
    "flickr.auth.oauth.checkToken": Method(
        m_oauth_check_token, required=("oauth_token",), errors=((98, "Invalid token"),)
    ),
    "flickr.auth.oauth.getAccessToken": Method(m_oauth_get_access_token, "read"),
    "flickr.photos.search": Method(
        m_search,
        optional=_SEARCH,
        errors=(
            (2, "Unknown user"),
            (3, "Parameterless searches have been disabled"),
        ),
    ),
    "flickr.photos.getRecent": Method(m_get_recent, optional=_PAGE),
    "flickr.photos.recentlyUpdated": Method(
        m_recently_updated,
        "read",
        required=("min_date",),
        optional=_PAGE,
        errors=((1, "Required argument missing."), (2, "Not a valid date")),
    ),
    "flickr.photos.getInfo": Method(
        m_get_info, required=("photo_id",), optional=("secret",), errors=_NO_PHOTO
    ),
    "flickr.photos.setMeta": Method(
        m_set_meta,
        "write",
        required=("photo_id",),
        optional=("title", "description"),
        errors=_NO_PHOTO,
    ),
    "flickr.photos.delete": Method(m_delete, "delete", required=("photo_id",), errors=_NO_PHOTO),
    "flickr.photos.upload.checkTickets": Method(m_check_tickets, required=("tickets",)),
    "flickr.photosets.getList": Method(
        m_sets_get_list, optional=("user_id", "page", "per_page"), errors=_NO_USER
    ),
    "flickr.photosets.getPhotos": Method(
        m_sets_get_photos,
        required=("photoset_id",),
        optional=_PAGE,
        errors=((1, "Photoset not found"),),
    ),
    "flickr.people.getInfo": Method(m_people_get_info, required=("user_id",), errors=_NO_USER),
    "flickr.people.getPhotos": Method(
        m_people_get_photos,
        required=("user_id",),
        optional=("min_upload_date", "max_upload_date", *_PAGE),
        errors=((2, "Unknown user"),),
    ),
    "flickr.people.getPublicPhotos": Method(
        m_people_get_public_photos, required=("user_id",), optional=_PAGE, errors=_NO_USER
    ),
    "flickr.contacts.getList": Method(
        m_contacts_get_list,
        "read",
        optional=("filter", "page", "per_page", "sort"),
        errors=((1, "Invalid sort parameter."),),
    ),
    "flickr.reflection.getMethods": Method(_reflect(m_get_methods)),
    "flickr.reflection.getMethodInfo": Method(
        _reflect(m_get_method_info),
        required=("method_name",),
        errors=((1, "Method not found"),),
    ),
}

METHODS: Final[Registry[Method]] = Registry(_TABLE, not_found=method_not_found, levels=PERMS)


__all__ = [
    "BLACKLISTED_HOSTS",
    "LICENSE",
    "MAX_PAGE",
    "MAX_PER_PAGE",
    "METHODS",
    "NOT_LOGGED_IN",
    "Call",
    "Caller",
    "Method",
    "MethodError",
    "Payload",
    "bad_url",
    "check_perms",
    "m_check_tickets",
    "m_check_token",
    "m_contacts_get_list",
    "m_delete",
    "m_echo",
    "m_get_frob",
    "m_get_info",
    "m_get_method_info",
    "m_get_methods",
    "m_get_recent",
    "m_get_token",
    "m_login",
    "m_oauth_check_token",
    "m_oauth_get_access_token",
    "m_people_get_info",
    "m_people_get_photos",
    "m_people_get_public_photos",
    "m_recently_updated",
    "m_search",
    "m_set_meta",
    "m_sets_get_list",
    "m_sets_get_photos",
    "method_not_found",
    "paginate",
    "photo_element",
    "photo_url",
]
