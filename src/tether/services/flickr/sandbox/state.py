"""Seeded, deterministic state of the Flickr emulator: users, applications, 5,200 photos, sets,
the sandbox user's contacts, tokens, frobs, request tokens and upload tickets.

This module assembles the state; the objects and the seed are in ``model/``, one module per
API family (as ``methods/`` is split), and every name is re-exported here, where callers have
always found them.

Invariants:
- ``FlickrState.seeded()`` always builds the same objects (ids, secrets, titles, tags, dates,
  order), so tests may rely on them; values made later (frobs, tokens, verifiers, photo ids)
  come from a ``random.Random`` seeded with a constant, so the sequence after a reset is
  deterministic too.
- Nothing here does I/O, reads the clock or knows about HTTP: callers pass ``now`` (Unix
  seconds of the emulated clock) where time matters.
- Indexes are kept in step with the photos: ``order`` (every photo, oldest upload first),
  ``by_owner`` (the same order per owner) and ``by_tag`` (normalised tag -> photo ids) change
  only through ``add_photo`` / ``remove_photo``.
- A reset builds fresh mutable objects from the seed (``model.photos``, computed once per
  process), so no two states share a mutable object.
- The fixed sandbox secrets are in ``model.auth`` only; ``app.credentials`` is the one place
  that hands them out.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from tether.services.flickr.sandbox.model.auth import (
    API_KEY,
    FROB_LIFETIME,
    LOGIN,
    MANUAL_KEY,
    MANUAL_SECRET,
    PASSWORD,
    PERMS,
    READY_OAUTH_SECRET,
    READY_OAUTH_TOKEN,
    READY_TOKEN,
    REALNAME,
    REQUEST_TOKEN_LIFETIME,
    SECRET,
    USER_NSID,
    USERNAME,
    VECTOR_KEY,
    VECTOR_OAUTH_SECRET,
    VECTOR_OAUTH_TOKEN,
    VECTOR_SECRET,
    App,
    Frob,
    RequestToken,
    Token,
    perms_at_least,
)
from tether.services.flickr.sandbox.model.people import CONTACTS, SEED_AUTHOR, USERS, Contact, User
from tether.services.flickr.sandbox.model.photos import (
    FIRST_UPLOAD_ID,
    PHOTO_COUNT,
    SEED,
    SEED_PHOTOSET,
    TAGS,
    Photo,
    PhotoSet,
    blueprint,
    clean_tag,
    mysql_datetime,
    parse_date,
    split_tags,
)
from tether.services.flickr.sandbox.model.uploads import Ticket

__all__ = [
    "API_KEY",
    "CONTACTS",
    "FROB_LIFETIME",
    "LOGIN",
    "MANUAL_KEY",
    "MANUAL_SECRET",
    "PASSWORD",
    "PERMS",
    "PHOTO_COUNT",
    "READY_OAUTH_SECRET",
    "READY_OAUTH_TOKEN",
    "READY_TOKEN",
    "REALNAME",
    "REQUEST_TOKEN_LIFETIME",
    "SECRET",
    "SEED_AUTHOR",
    "SEED_PHOTOSET",
    "TAGS",
    "USERNAME",
    "USERS",
    "USER_NSID",
    "VECTOR_KEY",
    "VECTOR_OAUTH_SECRET",
    "VECTOR_OAUTH_TOKEN",
    "VECTOR_SECRET",
    "App",
    "Contact",
    "FlickrState",
    "Frob",
    "Photo",
    "PhotoSet",
    "RequestToken",
    "Ticket",
    "Token",
    "User",
    "clean_tag",
    "mysql_datetime",
    "parse_date",
    "perms_at_least",
    "split_tags",
]


@dataclass
class FlickrState:
    """Everything the emulator knows; ``seeded()`` is the state after every reset."""

    apps: dict[str, App]
    photos: dict[str, Photo]
    order: list[str]
    by_owner: dict[str, list[str]]
    by_tag: dict[str, set[str]]
    sets: dict[str, PhotoSet]
    tokens: dict[str, Token]
    rng: random.Random
    frobs: dict[str, Frob] = field(default_factory=dict)
    request_tokens: dict[str, RequestToken] = field(default_factory=dict)
    tickets: dict[str, Ticket] = field(default_factory=dict)
    #: sha1 of uploaded files -> photo id, for ``dedup_check``.
    uploaded_sha1: dict[tuple[str, str], str] = field(default_factory=dict)
    next_photo_id: int = FIRST_UPLOAD_ID
    next_ticket_id: int = 1000

    #: Every user by NSID, the one table methods and pages look people up in.
    users: dict[str, User] = field(default_factory=lambda: {u.nsid: u for u in USERS})
    #: Each user's contacts (NSID -> contacts in the order added); only the sandbox user has any.
    contacts: dict[str, list[Contact]] = field(default_factory=lambda: {USER_NSID: list(CONTACTS)})

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def seeded(cls) -> FlickrState:
        seed = blueprint()
        photos = {row[0]: Photo(*row) for row in seed.photos}
        sets = {
            sid: PhotoSet(sid, owner, title, description, list(ids), created)
            for sid, owner, title, description, ids, created in seed.sets
        }
        apps = {
            API_KEY: App(API_KEY, SECRET, "tether sandbox"),
            MANUAL_KEY: App(MANUAL_KEY, MANUAL_SECRET, "FlickrAPI manual examples"),
            VECTOR_KEY: App(VECTOR_KEY, VECTOR_SECRET, "flickr.md test vectors"),
        }
        tokens = {
            t.value: t
            for t in (
                Token(READY_TOKEN, "legacy", API_KEY, USER_NSID, "delete"),
                Token(READY_OAUTH_TOKEN, "oauth", API_KEY, USER_NSID, "delete", READY_OAUTH_SECRET),
                Token(
                    VECTOR_OAUTH_TOKEN,
                    "oauth",
                    VECTOR_KEY,
                    USER_NSID,
                    "delete",
                    VECTOR_OAUTH_SECRET,
                ),
            )
        }
        return cls(
            apps=apps,
            photos=photos,
            order=list(seed.order),
            by_owner={nsid: list(ids) for nsid, ids in seed.by_owner.items()},
            by_tag={tag: set(ids) for tag, ids in seed.by_tag.items()},
            sets=sets,
            tokens=tokens,
            rng=random.Random(SEED + 1),
        )

    # -- identifiers ----------------------------------------------------------------------

    def _hex(self, digits: int) -> str:
        return f"{self.rng.getrandbits(digits * 4):0{digits}x}"

    def new_token_value(self) -> str:
        """``72157…-<16 hex>``, the shape of Flickr's tokens (legacy, request and access)."""
        return f"72157{self.rng.randrange(10**12):012d}-{self._hex(16)}"

    def new_secret(self) -> str:
        return self._hex(16)

    def new_frob(self, api_key: str, now: float) -> Frob:
        value = (
            f"72157{self.rng.randrange(10**12):012d}-{self._hex(16)}-{self.rng.randrange(10**6)}"
        )
        frob = self.frobs[value] = Frob(value=value, api_key=api_key, created=now)
        return frob

    def new_verifier(self, oob: bool) -> str:
        """A callback verifier is 16 hex (``5d1b96a26b494074``); an out-of-band one is the
        9-digit code Flickr shows for typing (``123-456-789``, flickr.md §6.4)."""
        if oob:
            n = f"{self.rng.randrange(10**9):09d}"
            return f"{n[:3]}-{n[3:6]}-{n[6:]}"
        return self._hex(16)

    def new_photo_secret(self) -> str:
        return self._hex(10)

    def new_photo_id(self) -> str:
        pid = str(self.next_photo_id)
        self.next_photo_id += 1
        return pid

    def new_ticket_id(self) -> str:
        tid = str(self.next_ticket_id)
        self.next_ticket_id += 1
        return tid

    # -- photos ---------------------------------------------------------------------------

    def add_photo(self, photo: Photo) -> None:
        self.photos[photo.id] = photo
        self.order.append(photo.id)  # the newest upload: ``order`` stays sorted by ``posted``
        self.by_owner.setdefault(photo.owner, []).append(photo.id)
        self._index_tags(photo)

    def remove_photo(self, photo: Photo) -> None:
        del self.photos[photo.id]
        self.order.remove(photo.id)
        self.by_owner[photo.owner].remove(photo.id)
        self._unindex_tags(photo)
        for s in self.sets.values():
            if photo.id in s.photo_ids:
                s.photo_ids.remove(photo.id)

    def _index_tags(self, photo: Photo) -> None:
        for tag in photo.clean_tags:
            self.by_tag.setdefault(tag, set()).add(photo.id)

    def _unindex_tags(self, photo: Photo) -> None:
        for tag in photo.clean_tags:
            ids = self.by_tag.get(tag)
            if ids is not None:
                ids.discard(photo.id)
