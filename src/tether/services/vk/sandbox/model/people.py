"""The people of the VK emulator: a population of users computed from their ids, their friends
and followers, and screen names.

Invariants:
- Users are not stored: ``person(id)`` computes one from its id, always the same, so the
  population (``POPULATION`` ids) costs no memory and a reset restores it for free. The three
  test accounts and a few named users override the computed names.
- Ids outside ``1..POPULATION`` do not exist (VK's 113 for them), but for ``DOC_USER``, the
  user of PyVK's own examples (so they run as written); ``DEACTIVATED`` ids exist
  but are deleted or banned (VK's 18 when asked for their friends, followers or wall).
- Friend and follower lists are ranges or tuples in ascending id order (VK's default order),
  never lists of objects: 12,000 friends cost a ``range``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from tether.services.vk.sandbox.model.auth import USER_2FA_ID, USER_ID, USER_PHONE_ID

POPULATION: Final = 300_000
#: The user whose 12,000 friends a walk reads: the sandbox user, so the ready token's own
#: ``friends.get`` (no ``user_id``) walks them.
BIG_FRIENDS_OWNER: Final = USER_ID
BIG_FRIENDS: Final = range(1000, 13000)
DEACTIVATED: Final[dict[int, str]] = {13: "deleted", 666: "banned"}
#: The user PyVK's documentation asks for (``users.get(user_ids=[210700286], fields=['bdate'])``),
#: answered as the documentation shows.
DOC_USER: Final = 210700286
_BDATES: Final[dict[int, str]] = {DOC_USER: "21.9.1986"}
#: Explicit screen names; every other user answers to ``id<n>``.
SCREEN_NAMES: Final[dict[int, str]] = {
    1: "founder",
    USER_ID: "sandbox_user",
    USER_2FA_ID: "sandbox_2fa",
    USER_PHONE_ID: "sandbox_phone",
}
_NAMED: Final[dict[int, tuple[str, str]]] = {
    1: ("Pavel", "Founder"),
    USER_ID: ("Sandra", "Box"),
    USER_2FA_ID: ("Tomas", "Twofactor"),
    USER_PHONE_ID: ("Fiona", "Phone"),
    DOC_USER: ("Lindsey", "Stirling"),
}
_FIRST: Final = ("Anna", "Boris", "Daria", "Egor", "Irina", "Kirill", "Lena", "Maxim", "Olga")
_LAST: Final = ("Ivanova", "Petrov", "Smirnova", "Kuznetsov", "Popova", "Sokolov", "Orlova")
_CITIES: Final = ((1, "Moscow"), (2, "Saint Petersburg"), (49, "Yekaterinburg"), (99, "Kazan"))
_PHOTO: Final = "https://vk.com/images/camera_{size}.png"  # VK's own "no photo" picture


@dataclass(frozen=True)
class Person:
    id: int
    first_name: str
    last_name: str
    deactivated: str | None = None

    @property
    def screen_name(self) -> str:
        return SCREEN_NAMES.get(self.id, f"id{self.id}")


def exists(user_id: int) -> bool:
    return 1 <= user_id <= POPULATION or user_id == DOC_USER


def person(user_id: int) -> Person:
    """The user ``user_id`` (which must exist)."""
    state = DEACTIVATED.get(user_id)
    if state is not None:
        return Person(user_id, "DELETED", "", state)
    named = _NAMED.get(user_id)
    if named is not None:
        return Person(user_id, *named)
    return Person(user_id, _FIRST[user_id % len(_FIRST)], _LAST[user_id % len(_LAST)])


def user_fields(p: Person, fields: Sequence[str]) -> dict[str, object]:
    """The user object ``users.get`` answers, with the ``fields`` asked for (unknown ones are
    left out, as VK does)."""
    out: dict[str, object] = {"id": p.id, "first_name": p.first_name, "last_name": p.last_name}
    if p.deactivated is not None:
        out["deactivated"] = p.deactivated
        return out  # a deactivated profile carries no other field
    out["can_access_closed"] = True
    out["is_closed"] = False
    n = p.id
    for f in fields:
        if f == "bdate" and n in _BDATES:
            out[f] = _BDATES[n]
        elif f == "bdate":
            # Every fifth user hides the year, which VK shows as "D.M".
            day, month = n % 28 + 1, n % 12 + 1
            out[f] = f"{day}.{month}" if n % 5 == 0 else f"{day}.{month}.{1970 + n % 35}"
        elif f == "sex":
            out[f] = 1 if n % 2 else 2
        elif f in ("screen_name", "domain"):
            out[f] = p.screen_name
        elif f == "city":
            city_id, title = _CITIES[n % len(_CITIES)]
            out[f] = {"id": city_id, "title": title}
        elif f == "country":
            out[f] = {"id": 1, "title": "Russia"}
        elif f in ("photo_50", "photo_100", "photo_200"):
            out[f] = _PHOTO.format(size=f[6:])
        elif f == "has_photo":
            out[f] = 0
        elif f == "online":
            out[f] = 1 if n % 3 == 0 else 0
        elif f == "verified":
            out[f] = 1 if n == 1 else 0
        elif f == "status":
            out[f] = "" if n % 4 else f"status of {n}"
        elif f == "followers_count":
            out[f] = len(followers_of(n))
        elif f == "nickname":
            out[f] = ""
    return out


def friends_of(user_id: int) -> Sequence[int]:
    """Ascending ids; the big list for ``BIG_FRIENDS_OWNER``, a few for everyone else."""
    if user_id == BIG_FRIENDS_OWNER:
        return BIG_FRIENDS
    n = user_id % 37
    ids = {(user_id + k * 101) % POPULATION + 1 for k in range(1, n + 1)}
    return tuple(sorted(i for i in ids if i not in DEACTIVATED and i != user_id))


def followers_of(user_id: int) -> Sequence[int]:
    if user_id == 1:
        return range(50001, 51501)  # 1,500: more than one page of 1,000
    if user_id == USER_ID:
        return range(60001, 60043)
    return range(70001, 70001 + user_id % 7)


def resolve_user(word: str) -> int | None:
    """A user id from ``123``, ``id123`` or a screen name; ``None`` if no such user."""
    if word.isdigit():
        n = int(word)
    elif word.startswith("id") and word[2:].isdigit():
        n = int(word[2:])
    else:
        return _BY_NAME.get(word)
    return n if exists(n) else None


_BY_NAME: Final = {name: uid for uid, name in SCREEN_NAMES.items()}
