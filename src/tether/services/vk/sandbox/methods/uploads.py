"""The first and last steps of VK's uploads (vk.md §5): the methods that hand out an upload URL
(``photos.get*UploadServer``, ``docs.get*UploadServer``, ``audio.getUploadServer``,
``video.save``) and the save methods that turn an upload server's reply into saved objects.

Invariants:
- URLs come from the state's ``upload.UploadBook`` only, signed for the caller (a user, or
  ``-group`` for a community token) and the target asked for; a save takes the book's record
  once (``UploadBook.take``). Anything that does not match (another caller, another kind, a
  changed ``server`` or payload, a community other than the URL's, a second save) is VK's
  121 "Invalid hash", as real VK answers a wall photo saved for another community (121 for
  the other mismatches is the emulator's choice: unconfirmed). A refused save takes nothing,
  so the right one may follow. A photo upload that carried no file is 100.
- Saved objects go on the state's ``media.Shelf``: photos in their album (``photos.get``
  lists them), documents with their owner (``docs.get``); ids continue the owner's seeded
  ones. A profile photo goes to the profile album and is announced by a wall post (its
  ``post_id``), as VK does. Message photos and documents carry an ``access_key``.
- Upload targets are the caller's own: its albums, walls and profile, or those of a
  community its user administers (``model.groups.ADMINS``); another community is VK's 203,
  another user's profile 15. Only albums with positive ids take ``photos.getUploadServer``.
- ``docs.save`` answers ``{"type": "doc", "doc": {…}}`` from API version 5.81 and a list of
  documents below it (the version VK switched at is unconfirmed: vk.md §9).
"""

from __future__ import annotations

import json
import os
import secrets
from typing import Any, Final

from tether.services.vk.sandbox.methods.base import DENIED, Call, MethodError, invalid
from tether.services.vk.sandbox.model import groups, media
from tether.services.vk.sandbox.model.auth import Kind
from tether.services.vk.sandbox.upload import DOC_KINDS, Received, Refused

MESSAGES_ALBUM: Final = -3  # VK keeps message photos in an album no method lists
DOC_TYPES: Final = ("doc", "audio_message", "graffiti")
#: File extension -> VK's document type (1 text, 2 archive, 3 gif, 4 image, 5 audio, 6 video,
#: 7 e-book, 8 unknown).
_DOC_TYPE: Final = {
    **dict.fromkeys(("txt", "pdf", "doc", "docx", "odt", "rtf"), 1),
    **dict.fromkeys(("zip", "rar", "7z", "tar", "gz"), 2),
    "gif": 3,
    **dict.fromkeys(("jpg", "jpeg", "png", "bmp", "webp"), 4),
    **dict.fromkeys(("ogg", "wav", "m4a", "opus"), 5),
    **dict.fromkeys(("mp4", "avi", "mkv", "webm", "mov"), 6),
    **dict.fromkeys(("epub", "fb2", "djvu"), 7),
}
_DOC_FLIP_VERSION: Final = (5, 81)


def _invalid_hash() -> MethodError:
    return MethodError(121, "Invalid hash")


def _caller(call: Call) -> int:
    """The caller as an owner: the user, or ``-group`` for a community token."""
    token = call.token
    assert token is not None  # every line here needs a token
    return -token.owner if token.kind is Kind.GROUP else token.owner


def _community(call: Call, gid: int | None = None) -> int:
    """``gid`` (default: the ``group_id`` parameter; 0 when absent), a community the caller's
    user must administer (or the community token's own)."""
    if gid is None:
        gid = call.integer("group_id", 0)
    gid = abs(gid or 0)
    if not gid:
        return 0
    if not groups.exists(gid):
        raise invalid("group_id is invalid")
    token = call.token
    assert token is not None
    if token.kind is Kind.GROUP:
        allowed = token.owner == gid
    else:
        allowed = groups.ADMINS.get(gid) == token.owner
    if not allowed:
        raise MethodError(203, "Access to group denied: you are not an administrator")
    return gid


def _url(call: Call, kind: str, target: str) -> str:
    return call.state.uploads.url(call.root, kind, _caller(call), target)


def _take(call: Call, kinds: frozenset[str], key: str, **checks: str | None) -> Received:
    try:
        return call.state.uploads.take(kinds, key, _caller(call), **checks)
    except Refused:
        raise _invalid_hash() from None


# -- step 1: upload servers ------------------------------------------------------------------


def m_photos_get_upload_server(call: Call) -> Any:
    """An album's upload server: ``{upload_url, album_id, user_id}``."""
    gid = _community(call)
    owner = -gid if gid else _caller(call)
    album_id = call.integer("album_id")
    assert album_id is not None  # required
    if album_id <= 0 or all(a.id != album_id for a in media.albums_of(owner)):
        raise invalid("album_id is invalid")
    url = _url(call, "album", f"{album_id}_{gid}")
    return {"upload_url": url, "album_id": album_id, "user_id": call.user_id or 0}


def m_photos_get_wall_upload_server(call: Call) -> Any:
    """A wall's upload server (the caller's, or community ``group_id``'s)."""
    gid = _community(call)
    url = _url(call, "wall", str(gid))
    return {"upload_url": url, "album_id": media.SYSTEM_ALBUMS["wall"], "user_id": call.user_id}


def m_photos_get_owner_photo_upload_server(call: Call) -> Any:
    """The upload server of the main photo of ``owner_id`` (the caller, or a community)."""
    owner = call.integer("owner_id", _caller(call))
    assert owner is not None
    if owner < 0:
        _community(call, owner)
    elif owner != _caller(call):
        raise MethodError(15, DENIED[15])
    return {"upload_url": _url(call, "owner", str(owner))}


def m_photos_get_messages_upload_server(call: Call) -> Any:
    """The upload server of photos for messages (``peer_id``)."""
    peer = call.integer("peer_id", 0)
    out: dict[str, Any] = {
        "upload_url": _url(call, "message", str(peer)),
        "album_id": MESSAGES_ALBUM,
        "user_id": call.user_id or 0,
    }
    token = call.token
    if token is not None and token.kind is Kind.GROUP:
        out["group_id"] = token.owner
    return out


def m_docs_get_upload_server(call: Call) -> Any:
    """The documents upload server (the caller's documents, or community ``group_id``'s)."""
    return {"upload_url": _url(call, "doc", str(_community(call)))}


def m_docs_get_wall_upload_server(call: Call) -> Any:
    """The upload server of documents for a wall."""
    return {"upload_url": _url(call, "wall_doc", str(_community(call)))}


def m_docs_get_messages_upload_server(call: Call) -> Any:
    """The upload server of documents for messages (``peer_id``, ``type``)."""
    kind = call.get("type", "doc") or "doc"
    if kind not in DOC_TYPES:
        raise invalid("type is invalid")
    peer = call.integer("peer_id", 0)
    return {"upload_url": _url(call, "message_doc", f"{peer}_{kind}")}


def m_audio_get_upload_server(call: Call) -> Any:
    """The audio upload server."""
    return {"upload_url": _url(call, "audio", "0")}


def m_video_save(call: Call) -> Any:
    """A new video (by file: POST it to ``upload_url``; by ``link``: GET ``upload_url``)."""
    gid = _community(call)
    owner = -gid if gid else _caller(call)
    shelf = call.state.shelf
    video_id = shelf.next_id("video", owner)
    access_key = secrets.token_hex(8)
    video = {
        "id": video_id,
        "owner_id": owner,
        "title": call.get("name") or "Video",
        "description": call.get("description"),
        "date": int(call.now),
        "access_key": access_key,
        "player": call.get("link") or f"https://vk.com/video_ext.php?oid={owner}&id={video_id}",
        "is_private": int(call.flag("is_private")),
    }
    shelf.videos.setdefault(owner, []).append(video)
    return {
        "upload_url": _url(call, "video", f"{owner}_{video_id}"),
        "video_id": video_id,
        "owner_id": owner,
        "title": video["title"],
        "description": video["description"],
        "access_key": access_key,
    }


# -- step 3: saving --------------------------------------------------------------------------


def _files(found: Received, field: str) -> list[dict[str, Any]]:
    if not found.files:
        raise invalid(f"{field} is invalid: no photo was uploaded")
    return [{"size": f.size, "name": f.filename or f.name} for f in found.files]


def _photos(
    call: Call, found: Received, field: str, owner: int, album: int, *, key: bool = False
) -> list[dict[str, Any]]:
    shelf = call.state.shelf
    out = []
    for _ in _files(found, field):
        photo: dict[str, Any] = dict(media.photo_json(owner, album, shelf.next_id("photo", owner)))
        photo.update(date=int(call.now), text=call.get("caption"))
        if owner < 0:
            photo["user_id"] = 100  # VK's uploader id of a photo posted as the community
        if key:
            photo["access_key"] = secrets.token_hex(8)
        shelf.add_photo(photo)
        out.append(photo)
    return out


def m_photos_save(call: Call) -> Any:
    """Save an album upload: the new photos."""
    gid = abs(call.integer("group_id", 0) or 0)
    album = call.integer("album_id")
    found = _take(
        call,
        frozenset({"album"}),
        call.get("hash"),
        server=call.get("server"),
        payload=call.get("photos_list"),
        target=f"{album}_{gid}",
    )
    return _photos(call, found, "photos_list", -gid if gid else found.user, album or 0)


def m_photos_save_wall_photo(call: Call) -> Any:
    """Save a wall upload: the new photos, in the wall album of the user or community."""
    gid = abs(call.integer("group_id", 0) or 0)
    user = call.integer("user_id")
    if user is not None and user != _caller(call):
        raise _invalid_hash()  # a wall photo is its uploader's (or the community's)
    found = _take(
        call,
        frozenset({"wall"}),
        call.get("hash"),
        server=call.get("server"),
        payload=call.get("photo"),
        target=str(gid),
    )
    owner = -gid if gid else found.user
    return _photos(call, found, "photo", owner, media.SYSTEM_ALBUMS["wall"])


def m_photos_save_owner_photo(call: Call) -> Any:
    """Save a main photo: VK's ``{photo_hash, photo_src…, saved, post_id}``."""
    found = _take(
        call,
        frozenset({"owner"}),
        call.get("hash"),
        server=call.get("server"),
        payload=call.get("photo"),
    )
    owner = int(found.target)
    (photo,) = _photos(call, found, "photo", owner, media.SYSTEM_ALBUMS["profile"])
    ref = f"photo{owner}_{photo['id']}"
    post = call.state.add_post(owner, owner, "", (ref,), call.now)
    src = f"https://vk.com/{ref}"
    return {
        "photo_hash": secrets.token_hex(16),
        "photo_src": f"{src}?size=m",
        "photo_src_big": f"{src}?size=x",
        "photo_src_small": f"{src}?size=s",
        "saved": 1,
        "post_id": post.id,
    }


def m_photos_save_messages_photo(call: Call) -> Any:
    """Save a message upload: the new photos, each with an ``access_key``."""
    found = _take(
        call,
        frozenset({"message"}),
        call.get("hash"),
        server=call.get("server"),
        payload=call.get("photo"),
    )
    return _photos(call, found, "photo", found.user, MESSAGES_ALBUM, key=True)


def _version(call: Call) -> tuple[int, ...]:
    try:
        return tuple(int(p) for p in call.get("v").split("."))
    except ValueError:
        return _DOC_FLIP_VERSION


def m_docs_save(call: Call) -> Any:
    """Save a document upload: ``{"type": "doc", "doc": {…}}`` (a list below 5.81)."""
    found = _take(call, DOC_KINDS, call.get("file"))
    target, _, doc_type = found.target.partition("_")
    gid = int(target) if found.kind != "message_doc" else 0
    owner = -gid if gid else found.user
    part = found.files[0]
    name = part.filename or part.name
    ext = os.path.splitext(name)[1].lstrip(".").lower()
    shelf = call.state.shelf
    doc_id = shelf.next_id("doc", owner)
    doc: dict[str, Any] = {
        "id": doc_id,
        "owner_id": owner,
        "title": call.get("title") or name,
        "size": part.size,
        "ext": ext,
        "url": f"https://vk.com/doc{owner}_{doc_id}",
        "date": int(call.now),
        "type": _DOC_TYPE.get(ext, 8),
    }
    if call.get("tags"):
        doc["tags"] = call.words("tags")
    if found.kind == "message_doc":
        doc["access_key"] = secrets.token_hex(8)
    shelf.add_doc(doc)
    if _version(call) < _DOC_FLIP_VERSION:
        return [doc]
    kind = doc_type or "doc"
    return {"type": kind, kind: doc}


def m_audio_save(call: Call) -> Any:
    """Save an audio upload: the new audio."""
    found = _take(
        call,
        frozenset({"audio"}),
        call.get("hash"),
        server=call.get("server"),
        payload=call.get("audio"),
    )
    owner = found.user
    shelf = call.state.shelf
    audio_id = shelf.next_id("audio", owner)
    size = int(json.loads(found.payload).get("size", 0))
    audio = {
        "id": audio_id,
        "owner_id": owner,
        "artist": call.get("artist") or "Unknown artist",
        "title": call.get("title") or (found.files[0].filename or "Untitled"),
        "duration": max(1, size // 16000),  # as if 128 kbit/s
        "url": f"https://vk.com/audio{owner}_{audio_id}.mp3",
        "date": int(call.now),
    }
    shelf.audios.setdefault(owner, []).append(audio)
    return audio
