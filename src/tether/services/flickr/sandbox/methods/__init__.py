"""The REST methods the Flickr emulator implements, by API family: one handler per method name,
each taking the checked call (parameters, caller, clock) and returning the children of
``<rsp>``. ``METHODS`` is the table the emulator dispatches on.

Module map: ``base`` (Call, Caller, MethodError, paging, photo elements, perms), ``auth``
(flickr.test.*, flickr.auth.*), ``photos`` (flickr.photos.*), ``people`` (flickr.photosets.*,
flickr.people.*).

Invariants:
- ``METHODS`` is the only table: a method is emulated iff it has a line here, with the
  permission level the envelope checks before its handler runs.
- The families import ``base`` only, never each other nor this module: no import circle.
"""

from __future__ import annotations

from typing import Final

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
    m_search,
    m_set_meta,
)

METHODS: Final[dict[str, Method]] = {
    "flickr.test.echo": Method(m_echo),
    "flickr.test.login": Method(m_login, "read"),
    "flickr.auth.getFrob": Method(m_get_frob),
    "flickr.auth.getToken": Method(m_get_token),
    "flickr.auth.checkToken": Method(m_check_token),
    "flickr.auth.oauth.checkToken": Method(m_oauth_check_token),
    "flickr.auth.oauth.getAccessToken": Method(m_oauth_get_access_token, "read"),
    "flickr.photos.search": Method(m_search),
    "flickr.photos.getRecent": Method(m_get_recent),
    "flickr.photos.getInfo": Method(m_get_info),
    "flickr.photos.setMeta": Method(m_set_meta, "write"),
    "flickr.photos.delete": Method(m_delete, "delete"),
    "flickr.photos.upload.checkTickets": Method(m_check_tickets),
    "flickr.photosets.getList": Method(m_sets_get_list),
    "flickr.photosets.getPhotos": Method(m_sets_get_photos),
    "flickr.people.getInfo": Method(m_people_get_info),
    "flickr.people.getPhotos": Method(m_people_get_photos),
    "flickr.people.getPublicPhotos": Method(m_people_get_public_photos),
}


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
    "m_delete",
    "m_echo",
    "m_get_frob",
    "m_get_info",
    "m_get_recent",
    "m_get_token",
    "m_login",
    "m_oauth_check_token",
    "m_oauth_get_access_token",
    "m_people_get_info",
    "m_people_get_photos",
    "m_people_get_public_photos",
    "m_search",
    "m_set_meta",
    "m_sets_get_list",
    "m_sets_get_photos",
    "paginate",
    "photo_element",
    "photo_url",
]
