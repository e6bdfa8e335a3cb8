"""Photos, albums and documents of the VK emulator, computed from their owner ids.

Invariants:
- Nothing seeded is stored: an owner's albums, photos and documents are computed from the
  owner id, the same every time. What uploads save is kept on the state's ``Shelf``
  (``VkState.shelf``), listed after the seeded photos of its album and before the seeded
  documents (newest first); its ids continue the owner's seeded ones.
- Photo ids are per owner and ascending across the owner's albums in album order, so
  ``photo-5_11`` (vk.md §5.4) is photo 11 of community 5, in its first album.
- System albums have VK's negative ids and names: ``-6`` profile, ``-7`` wall, ``-15`` saved.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

from tether.services.vk.sandbox.model.auth import USER_ID
from tether.services.vk.sandbox.model.groups import SANDBOX_GROUP
from tether.services.vk.sandbox.model.wall import EPOCH

SYSTEM_ALBUMS: Final[dict[str, int]] = {"profile": -6, "wall": -7, "saved": -15}
#: owner -> (album id, title, photo count), in album order.
_ALBUMS: Final[dict[int, tuple[tuple[int, str, int], ...]]] = {
    USER_ID: (
        (1, "Holidays", 40),
        (2, "Cats", 25),
        (3, "Work", 10),
        (-6, "Profile photos", 3),
        (-7, "Wall photos", 12),
    ),
    -SANDBOX_GROUP: ((1, "Community album", 20), (-7, "Wall photos", 4)),
}
_DOCS: Final[dict[int, int]] = {USER_ID: 30, -SANDBOX_GROUP: 5}
_EXTS: Final = (("pdf", 1), ("txt", 1), ("gif", 3), ("jpg", 4), ("zip", 2), ("mp3", 5))


@dataclass(frozen=True)
class Album:
    id: int
    owner_id: int
    title: str
    size: int
    first_photo: int  # id of its first photo

    def to_json(self) -> dict[str, object]:
        return {
            "id": self.id,
            "owner_id": self.owner_id,
            "title": self.title,
            "size": self.size,
            "created": EPOCH - 86400 * 30,
            "updated": EPOCH,
            "thumb_id": self.first_photo,
        }


def albums_of(owner_id: int) -> list[Album]:
    rows = _ALBUMS.get(owner_id, ((1, "Album", abs(owner_id) % 4), (-6, "Profile photos", 1)))
    out, next_id = [], 1
    for album_id, title, size in rows:
        out.append(Album(album_id, owner_id, title, size, next_id))
        next_id += size
    return out


def photo_json(owner_id: int, album_id: int, photo_id: int) -> dict[str, object]:
    base = f"https://vk.com/photo{owner_id}_{photo_id}"
    return {
        "id": photo_id,
        "album_id": album_id,
        "owner_id": owner_id,
        "date": EPOCH - photo_id * 600,
        "text": "",
        "has_tags": False,
        "sizes": [
            {"type": t, "url": f"{base}?size={t}", "width": w, "height": h}
            for t, w, h in (("s", 75, 56), ("m", 130, 97), ("x", 604, 453))
        ],
    }


def photos_in(owner_id: int, album_id: int) -> list[dict[str, object]] | None:
    """The photos of one album, oldest first; ``None`` if the owner has no such album."""
    for album in albums_of(owner_id):
        if album.id == album_id:
            return [
                photo_json(owner_id, album_id, album.first_photo + i) for i in range(album.size)
            ]
    return None


def docs_of(owner_id: int) -> list[dict[str, object]]:
    """Documents, newest first, as ``docs.get`` lists them."""
    n = _DOCS.get(owner_id, 0)
    out = []
    for doc_id in range(n, 0, -1):
        ext, kind = _EXTS[doc_id % len(_EXTS)]
        out.append(
            {
                "id": doc_id,
                "owner_id": owner_id,
                "title": f"document {doc_id}.{ext}",
                "size": 1024 * doc_id,
                "ext": ext,
                "url": f"https://vk.com/doc{owner_id}_{doc_id}",
                "date": EPOCH - doc_id * 3600,
                "type": kind,
            }
        )
    return out


# -- what uploads saved (sandbox/upload.py, methods/uploads.py) ------------------------------------


@dataclass
class Shelf:
    """Saved photos (by owner and album), documents, videos and audio of one emulated VK."""

    photos: dict[tuple[int, int], list[dict[str, Any]]] = field(default_factory=dict)
    docs: dict[int, list[dict[str, Any]]] = field(default_factory=dict)  # newest first
    videos: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    audios: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    last_ids: dict[tuple[str, int], int] = field(default_factory=dict)

    def next_id(self, kind: str, owner_id: int) -> int:
        """The next id of a ``photo``, ``doc``, ``video`` or ``audio`` of ``owner_id``, after
        the seeded ones."""
        key = (kind, owner_id)
        last = self.last_ids.get(key)
        if last is None:
            if kind == "photo":
                last = sum(a.size for a in albums_of(owner_id))
            else:
                last = _DOCS.get(owner_id, 0) if kind == "doc" else 0
        self.last_ids[key] = last + 1
        return last + 1

    def add_photo(self, photo: dict[str, Any]) -> None:
        key = (int(photo["owner_id"]), int(photo["album_id"]))
        self.photos.setdefault(key, []).append(photo)

    def add_doc(self, doc: dict[str, Any]) -> None:
        self.docs.setdefault(int(doc["owner_id"]), []).insert(0, doc)
