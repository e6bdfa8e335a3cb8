"""``photos.get``, ``photos.getAlbums`` and ``docs.get``.

Invariants:
- Photos, albums and documents come from ``model.media`` only: computed from the owner id,
  then what uploads saved (``media.shelf``) after them (documents: before, newest first).
- ``photos.get`` lists an album oldest first, VK's default; ``rev=1`` reverses it.
"""

from __future__ import annotations

from typing import Any, Final

from tether.services.vk.sandbox.methods.base import Call, check_live_owner, invalid, page
from tether.services.vk.sandbox.model import media

PHOTOS_MAX: Final = 1000  # vk.md §4.1
ALBUMS_MAX: Final = 1000
DOCS_MAX: Final = 2000


def m_photos_get_albums(call: Call) -> Any:
    owner = call.owner()
    check_live_owner(owner)
    albums = media.albums_of(owner)
    wanted = {int(a) for a in call.words("album_ids") if a.lstrip("-").isdigit()}
    if not call.flag("need_system"):
        albums = [a for a in albums if a.id > 0]
    if wanted:
        albums = [a for a in albums if a.id in wanted]
    chunk = page(call, albums, default=ALBUMS_MAX, maximum=ALBUMS_MAX)
    return {"count": len(albums), "items": [a.to_json() for a in chunk]}


def m_photos_get(call: Call) -> Any:
    """The photos of ``album_id`` (a number, or ``wall``/``profile``/``saved``)."""
    owner = call.owner()
    check_live_owner(owner)
    word = call.get("album_id")
    if word in media.SYSTEM_ALBUMS:
        album_id = media.SYSTEM_ALBUMS[word]
    else:
        try:
            album_id = int(word)
        except ValueError:
            raise invalid("album_id is invalid") from None
    photos = media.photos_in(owner, album_id)
    if photos is None:
        raise invalid("album_id is invalid")
    photos += call.state.shelf.photos.get((owner, album_id), [])
    if call.flag("rev"):
        photos.reverse()
    chunk = page(call, photos, default=50, maximum=PHOTOS_MAX)
    return {"count": len(photos), "items": chunk}


def m_docs_get(call: Call) -> Any:
    owner = call.owner()
    check_live_owner(owner)
    docs = call.state.shelf.docs.get(owner, []) + media.docs_of(owner)
    kind = call.integer("type", 0)
    if kind:
        docs = [d for d in docs if d["type"] == kind]
    chunk = page(call, docs, default=DOCS_MAX, maximum=DOCS_MAX)
    return {"count": len(docs), "items": chunk}
