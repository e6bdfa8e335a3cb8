"""Photos family objects: photos and sets, tags, Flickr's date arguments, and the seeded
5,200 photos and their sets.

Invariants: see ``model``. Besides:
- The seed itself is computed once per process (``blueprint``, immutable values); each
  reset builds fresh mutable objects from it, in a few milliseconds.
- A photo caches its rendered list fragments (XML text, JSON object); every mutation goes
  through ``Photo.touch()`` so a cached fragment is never stale.
- ``clean_tag`` is the one normalisation of tags, for indexes and searches alike.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Final

from tether.services.flickr.sandbox.model.auth import USER_NSID
from tether.services.flickr.sandbox.model.people import FIRST_POSTED, SEED_AUTHOR, USERS

#: The photoset FlickrAPI's manual walks (``walk_set('2b64…')``), owned by its author.
SEED_PHOTOSET: Final = "2b640a3efc262f03567ee93cfd544e14"
PHOTO_COUNT: Final = 5200
TAGS: Final = ("cat", "dog", "sunset", "amsterdam", "bridge", "snow", "portrait", "street")
#: The seed generator's constant (``state`` seeds its own generator with ``SEED + 1``).
SEED: Final = 20240501
_FIRST_PHOTO_ID: Final = 50_000_000_000
FIRST_UPLOAD_ID: Final = 90_000_000_001


def mysql_datetime(ts: int) -> str:
    """Unix seconds -> ``YYYY-MM-DD HH:MM:SS`` (UTC), Flickr's ``taken`` format."""
    return datetime.fromtimestamp(ts, timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


# ASCII digits only: ``\d`` alone would take other scripts' digits (``٢٠٢٠``).
_DATE = re.compile(
    r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T](\d{1,2}):(\d{2})(?::(\d{2}))?)?\s*$", re.ASCII
)
_UNIX = re.compile(r"[0-9]+")
#: PHP's ``intval`` saturates here: a longer run of digits reads as this.
_PHP_INT_MAX: Final = 2**63 - 1


def parse_date(text: str) -> int | None:
    """A Flickr date argument: Unix seconds or a MySQL datetime (``2008-08-20`` …), as Unix
    seconds (UTC); ``None`` for anything else (Flickr ignores what it cannot read).

    Unix seconds are ASCII digits (``"²"`` is no number); a number too large for 64 bits
    saturates, as PHP reads it, and never reaches ``int()`` whole (Python refuses to convert
    more than 4,300 digits).
    """
    text = text.strip()
    if _UNIX.fullmatch(text):
        digits = text.lstrip("0")
        return _PHP_INT_MAX if len(digits) > 19 else min(int(digits or "0"), _PHP_INT_MAX)
    m = _DATE.match(text)
    if m is None:
        return None
    y, mo, d, h, mi, s = (int(g) if g else 0 for g in m.groups())
    try:
        return int(datetime(y, mo, d, h, mi, s, tzinfo=timezone.utc).timestamp())
    except ValueError:
        return None


def clean_tag(raw: str) -> str:
    """Flickr's normalised tag: lower case, without spaces and punctuation
    (``"Central Station"`` -> ``"centralstation"``)."""
    return "".join(ch for ch in raw.lower() if ch.isalnum() or ch in ":=_")


def split_tags(text: str) -> list[str]:
    """Upload/``addTags`` syntax: space-separated, multi-word tags in double quotes."""
    out: list[str] = []
    current: list[str] = []
    quoted = False
    for ch in text:
        if ch == '"':
            quoted = not quoted
        elif ch.isspace() and not quoted:
            if current:
                out.append("".join(current))
                current = []
        else:
            current.append(ch)
    if current:
        out.append("".join(current))
    return [t for t in out if clean_tag(t)]


@dataclass(eq=False, slots=True)
class Photo:
    id: str
    owner: str
    secret: str
    originalsecret: str
    server: str
    farm: int
    title: str
    description: str
    tags: tuple[str, ...]  # raw, as the owner typed them
    ispublic: int
    isfriend: int
    isfamily: int
    posted: int
    taken: int
    width: int
    height: int
    views: int = 0
    lastupdate: int = 0
    safety_level: int = 1  # upload scale: 1 safe, 2 moderate, 3 restricted
    content_type: int = 1
    hidden: int = 1
    originalformat: str = "jpg"
    #: What the emulator received for an uploaded or replaced file (None for seeded photos).
    size: int | None = None
    sha1: str | None = None
    #: Rendered list elements (``render.Raw``) per listing style, dropped by ``touch()``.
    cache: dict[str, Any] = field(default_factory=dict)
    _haystack: str | None = None
    _clean: tuple[str, ...] | None = None

    @property
    def clean_tags(self) -> tuple[str, ...]:
        if self._clean is None:
            self._clean = tuple(dict.fromkeys(clean_tag(t) for t in self.tags))
        return self._clean

    @property
    def haystack(self) -> str:
        """Lower-case title, description and tags, for ``text=`` searches."""
        if self._haystack is None:
            self._haystack = " ".join(
                (self.title.lower(), self.description.lower(), *self.clean_tags)
            )
        return self._haystack

    def visible_to(self, nsid: str | None) -> bool:
        """Public, or the caller's own photo. (The sandbox has no contacts, so friend/family
        visibility never applies to anyone else.)"""
        return bool(self.ispublic) or (nsid is not None and nsid == self.owner)

    def touch(self, now: int) -> None:
        self.lastupdate = now
        self.cache.clear()
        self._haystack = None


@dataclass(eq=False)
class PhotoSet:
    id: str
    owner: str
    title: str
    description: str
    photo_ids: list[str]
    created: int

    def members(self, photos: dict[str, Photo]) -> list[Photo]:
        return [photos[p] for p in self.photo_ids if p in photos]


@dataclass(frozen=True)
class _Blueprint:
    """The seeded photos and sets as immutable values (see ``blueprint``)."""

    photos: tuple[tuple[Any, ...], ...]  # Photo's positional fields
    order: tuple[str, ...]
    by_owner: dict[str, tuple[str, ...]]
    by_tag: dict[str, frozenset[str]]
    sets: tuple[tuple[str, str, str, str, tuple[str, ...], int], ...]


@functools.cache
def blueprint() -> _Blueprint:
    """The seed data, computed once per process: a memo of a pure function of the constants
    above (its values are immutable, every reset builds fresh mutable objects from them), so
    a reset costs a few milliseconds instead of re-running the generator."""
    rng = random.Random(SEED)
    photos: list[tuple[Any, ...]] = []
    by_owner: dict[str, list[str]] = {u.nsid: [] for u in USERS}
    by_tag: dict[str, set[str]] = {}
    public: set[str] = set()
    posted_of: dict[str, int] = {}
    for i in range(PHOTO_COUNT):
        # One photo in eight is the sandbox user's; the rest go round the other four.
        user = USERS[0] if i % 8 == 0 else USERS[1 + i % 4]
        pid = str(_FIRST_PHOTO_ID + i * 37)
        tags = tuple(sorted(rng.sample(TAGS, rng.randint(1, 3))))
        posted = FIRST_POSTED + i * 3600
        is_public = rng.random() < 0.9
        landscape = rng.random() < 0.7
        photos.append(
            (
                pid,  # id
                user.nsid,  # owner
                f"{rng.getrandbits(40):010x}",  # secret
                f"{rng.getrandbits(40):010x}",  # originalsecret
                str(rng.randint(1000, 9999)),  # server
                rng.randint(1, 9),  # farm
                f"{tags[0].title()} #{i}",  # title
                f"{' and '.join(tags)}, seen by {user.realname}",  # description
                tags,
                int(is_public),  # ispublic
                0 if is_public else int(rng.random() < 0.5),  # isfriend
                0 if is_public else int(rng.random() < 0.5),  # isfamily
                posted,
                posted - rng.randint(0, 30 * 86400),  # taken
                4000 if landscape else 3000,  # width
                3000 if landscape else 4000,  # height
                rng.randint(0, 5000),  # views
                posted,  # lastupdate
            )
        )
        by_owner[user.nsid].append(pid)
        for tag in tags:
            by_tag.setdefault(clean_tag(tag), set()).add(pid)
        if is_public:
            public.add(pid)
        posted_of[pid] = posted
    mine = by_owner[USER_NSID]
    sets: list[tuple[str, str, str, str, tuple[str, ...]]] = [
        (str(72157600000000100 + n), USER_NSID, title, f"{title} photos", tuple(mine[a:b]))
        for n, (title, a, b) in enumerate(
            (("Holidays", 0, 100), ("Cats", 50, 90), ("Best of", 100, 112), ("Empty-ish", 150, 153))
        )
    ]
    # The manual's example set first for its owner (its getList example reads photoset [0]);
    # public photos only, so the manual's anonymous walk_set sees all 30.
    shown = tuple(pid for pid in by_owner[SEED_AUTHOR] if pid in public)[:30]
    sets.append((SEED_PHOTOSET, SEED_AUTHOR, "365", "threesixtyfive", shown))
    for n, user in enumerate(USERS[1:4]):
        ids = tuple(by_owner[user.nsid][5:25])
        sets.append(
            (str(72157600000000200 + n), user.nsid, f"{user.realname}'s favourites", "", ids)
        )
    return _Blueprint(
        photos=tuple(photos),
        order=tuple(row[0] for row in photos),
        by_owner={nsid: tuple(ids) for nsid, ids in by_owner.items()},
        by_tag={tag: frozenset(ids) for tag, ids in by_tag.items()},
        sets=tuple((*row, posted_of[row[4][0]]) for row in sets),
    )
