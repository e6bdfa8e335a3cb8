"""Seeded, deterministic state of the Flickr emulator: users, applications, 5,200 photos, sets,
the sandbox user's contacts, tokens, frobs, request tokens and upload tickets.

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
- The seed itself is computed once per process (``_blueprint``, immutable values); each
  reset builds fresh mutable objects from it, in a few milliseconds.
- A photo caches its rendered list fragments (XML text, JSON object); every mutation goes
  through ``Photo.touch()`` so a cached fragment is never stale.
- Only this module knows the fixed sandbox secrets; ``app.credentials`` is the one place that
  hands them out.
"""

from __future__ import annotations

import functools
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Final

from tether.sandbox.kit.grants import Grant, GrantState
from tether.sandbox.kit.progress import Progression

#: The sandbox application (32 hex key, 16 hex secret, the formats Flickr hands out).
API_KEY: Final = "7f3c2a9e5b1d4c8fa0e6b2d9c4f1a8e3"
SECRET: Final = "b5e1c9d3a7f20486"
#: FlickrAPI's manual uses these placeholders in every example; as a sandbox application they
#: let the manual's examples run unchanged.
MANUAL_KEY: Final = "X" * 32
MANUAL_SECRET: Final = "Y" * 16
#: The key, secret and access token of flickr.md §13's test vectors, so tests can drive the
#: emulator with the very values the vectors use.
VECTOR_KEY: Final = "0123456789abcdef0123456789abcdef"
VECTOR_SECRET: Final = "fedcba9876543210"
VECTOR_OAUTH_TOKEN: Final = "72157626318069415-087bfc7b5816092c"
VECTOR_OAUTH_SECRET: Final = "a202d1f853ec69de"

USER_NSID: Final = "12037949754@N01"
USERNAME: Final = "tether-tester"
REALNAME: Final = "Tess Tester"
LOGIN: Final = "tester@sandbox.tether"
PASSWORD: Final = "sandbox"
#: Ready tokens of the sandbox user for the sandbox application, both with ``delete``.
READY_TOKEN: Final = "72157600000000001-7e5d1c3b9a2f4e6d"
READY_OAUTH_TOKEN: Final = "72157626318069415-4c2b8d6e1f3a5c7e"
READY_OAUTH_SECRET: Final = "9d4e2a6c8b1f3e5a"

#: The photoset FlickrAPI's manual walks (``walk_set('2b64…')``), owned by its author.
SEED_PHOTOSET: Final = "2b640a3efc262f03567ee93cfd544e14"
SEED_AUTHOR: Final = "73509078@N00"

PERMS: Final = ("none", "read", "write", "delete")
PHOTO_COUNT: Final = 5200
TAGS: Final = ("cat", "dog", "sunset", "amsterdam", "bridge", "snow", "portrait", "street")
_SEED: Final = 20240501
_FIRST_POSTED: Final = 1_600_000_000
_FIRST_PHOTO_ID: Final = 50_000_000_000
_FIRST_UPLOAD_ID: Final = 90_000_000_001
#: Seconds a frob stays usable; Flickr's lifetime is unconfirmed (flickr.md §6.1), an hour here.
FROB_LIFETIME: Final = 3600
#: The same for an OAuth request token (unconfirmed too, flickr.md §14).
REQUEST_TOKEN_LIFETIME: Final = 3600


def perms_at_least(have: str, want: str) -> bool:
    """``delete`` implies ``write`` implies ``read``."""
    return PERMS.index(have) >= PERMS.index(want)


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


@dataclass(frozen=True)
class User:
    nsid: str
    username: str
    realname: str
    location: str
    path_alias: str


USERS: Final = (
    User(USER_NSID, USERNAME, REALNAME, "Sandbox, Loopback", "tether-tester"),
    User("35034346050@N01", "ada", "Ada Lovelace", "London, UK", "ada"),
    User("48889646112@N01", "grace", "Grace Hopper", "Arlington, USA", "grace"),
    User("66956608@N00", "alan", "Alan Turing", "Manchester, UK", "alan"),
    User(SEED_AUTHOR, "sybren", "Sybren Stüvel", "Amsterdam, NL", "sybren"),
)


@dataclass(frozen=True)
class Contact:
    """One of a user's contacts (``flickr.contacts.getList``): who, how related, and when
    added (Unix seconds, for ``sort=time``)."""

    nsid: str
    friend: int
    family: int
    added: int
    ignored: int = 0


#: The sandbox user's contacts, one of each relation ``filter`` tells apart: friend only,
#: family only, both, neither. Listing only: photo visibility still ignores them (see
#: ``Photo.visible_to``).
CONTACTS: Final = (
    Contact("35034346050@N01", 1, 0, _FIRST_POSTED + 400),  # ada
    Contact("48889646112@N01", 0, 1, _FIRST_POSTED + 100),  # grace
    Contact("66956608@N00", 1, 1, _FIRST_POSTED + 300),  # alan
    Contact(SEED_AUTHOR, 0, 0, _FIRST_POSTED + 200, ignored=1),  # sybren
)


@dataclass
class App:
    """An API key. ``callback_url`` is the web-flow callback registered with the key
    (``None``: the login page shows the frob instead of redirecting)."""

    key: str
    secret: str
    title: str
    callback_url: str | None = None


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


@dataclass(eq=False)
class Token:
    """A legacy ``auth_token`` (``secret == ""``) or an OAuth access token."""

    value: str
    kind: str  # "legacy" | "oauth"
    api_key: str
    nsid: str
    perms: str
    secret: str = ""


@dataclass(eq=False, kw_only=True)
class Frob(Grant):
    """A frob: a single-use ``Grant`` living ``FROB_LIFETIME`` seconds; ``perms`` is what the
    login page asks for, then what was granted. Spent by ``flickr.auth.getToken``."""

    value: str
    lifetime: float | None = FROB_LIFETIME

    @property
    def status(self) -> GrantState:
        """The recorded state (``"pending"``, ``"approved"``, ``"denied"``)."""
        return self.state

    def usable(self, now: float, api_key: str | None = None) -> bool:
        """Not expired (``FROB_LIFETIME``), and ``api_key``'s when one is given: the one rule
        of the login page, ``flickr.auth.getToken`` and the control API."""
        return self.alive(now, api_key)


@dataclass(eq=False, kw_only=True)
class RequestToken(Grant):
    """An OAuth 1.0a request token: a single-use ``Grant`` living ``REQUEST_TOKEN_LIFETIME``
    seconds; approval adds the ``verifier``; spent by ``/services/oauth/access_token``."""

    value: str
    secret: str
    callback: str
    lifetime: float | None = REQUEST_TOKEN_LIFETIME
    verifier: str | None = None

    @property
    def status(self) -> GrantState:
        return self.state


@dataclass(eq=False, kw_only=True)
class Ticket(Progression):
    """An async upload's ticket: ``complete`` 0 while running, 1 done, 2 failed."""

    id: str
    photo_id: str


@dataclass(frozen=True)
class _Blueprint:
    """The seeded photos and sets as immutable values (see ``_blueprint``)."""

    photos: tuple[tuple[Any, ...], ...]  # Photo's positional fields
    order: tuple[str, ...]
    by_owner: dict[str, tuple[str, ...]]
    by_tag: dict[str, frozenset[str]]
    sets: tuple[tuple[str, str, str, str, tuple[str, ...], int], ...]


@functools.cache
def _blueprint() -> _Blueprint:
    """The seed data, computed once per process: a memo of a pure function of the constants
    above (its values are immutable, every reset builds fresh mutable objects from them), so
    a reset costs a few milliseconds instead of re-running the generator."""
    rng = random.Random(_SEED)
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
        posted = _FIRST_POSTED + i * 3600
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
    next_photo_id: int = _FIRST_UPLOAD_ID
    next_ticket_id: int = 1000

    #: Every user by NSID, the one table methods and pages look people up in.
    users: dict[str, User] = field(default_factory=lambda: {u.nsid: u for u in USERS})
    #: Each user's contacts (NSID -> contacts in the order added); only the sandbox user has any.
    contacts: dict[str, list[Contact]] = field(default_factory=lambda: {USER_NSID: list(CONTACTS)})

    # -- construction ---------------------------------------------------------------------

    @classmethod
    def seeded(cls) -> FlickrState:
        seed = _blueprint()
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
            rng=random.Random(_SEED + 1),
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
