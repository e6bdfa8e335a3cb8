"""Communities of the VK emulator: ``GROUP_COUNT`` groups computed from their ids, their members
and the groups each user is in.

Invariants:
- Groups, like users, are computed from their ids and never stored; member lists are ranges
  in ascending id order. Group ids are positive here; VK writes a community as a negative
  ``owner_id`` (``-5``) wherever an owner is meant, and the methods convert.
- ``SANDBOX_GROUP`` (the community token's group) is administered by the sandbox user and
  has more members than one page of ``groups.getMembers`` (1,000).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from tether.services.vk.sandbox.model.auth import GROUP_ID, USER_ID

GROUP_COUNT: Final = 50
SANDBOX_GROUP: Final = GROUP_ID
_NAMES: Final[dict[int, tuple[str, str]]] = {SANDBOX_GROUP: ("Sandbox Community", "sandbox_club")}
_USER_GROUPS: Final[dict[int, tuple[int, ...]]] = {USER_ID: (1, 2, 3, SANDBOX_GROUP, 8, 13)}
#: Communities whose admin is a given user (they may post on its wall as it).
ADMINS: Final[dict[int, int]] = {SANDBOX_GROUP: USER_ID}
#: 2,500 members, ascending: the sandbox user (100) and users 20001..22499. A tuple, built
#: once: immutable, so every state may share it.
_SANDBOX_MEMBERS: Final = (USER_ID, *range(20001, 22500))


@dataclass(frozen=True)
class Group:
    id: int
    name: str
    screen_name: str

    def to_json(self, fields: Sequence[str] = ()) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.id,
            "name": self.name,
            "screen_name": self.screen_name,
            "is_closed": 0,
            "type": "group" if self.id % 2 else "page",
            "photo_50": "https://vk.com/images/community_50.png",
            "photo_100": "https://vk.com/images/community_100.png",
            "photo_200": "https://vk.com/images/community_200.png",
        }
        for f in fields:
            if f == "members_count":
                out[f] = len(members_of(self.id))
            elif f == "description":
                out[f] = f"The {self.name} of the VK sandbox."
            elif f == "activity":
                out[f] = "Open group"
        return out


def exists(group_id: int) -> bool:
    return 1 <= group_id <= GROUP_COUNT


def group(group_id: int) -> Group:
    """The group ``group_id`` (which must exist)."""
    name, screen = _NAMES.get(group_id, (f"Community {group_id}", f"club{group_id}"))
    return Group(group_id, name, screen)


def members_of(group_id: int) -> Sequence[int]:
    if group_id == SANDBOX_GROUP:
        return _SANDBOX_MEMBERS
    return range(80000 + group_id * 100, 80000 + group_id * 100 + group_id * 3)


def groups_of(user_id: int) -> tuple[int, ...]:
    return _USER_GROUPS.get(user_id, (user_id % GROUP_COUNT + 1,))


def resolve_group(word: str) -> int | None:
    """A group id from ``club5``, ``public5``, ``event5`` or a screen name."""
    for prefix in ("club", "public", "event"):
        if word.startswith(prefix) and word[len(prefix) :].isdigit():
            n = int(word[len(prefix) :])
            return n if exists(n) else None
    for gid, (_, screen) in _NAMES.items():
        if screen == word:
            return gid
    return None
