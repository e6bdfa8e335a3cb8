"""``groups.get`` and ``groups.getMembers``: communities and their members.

Invariants:
- Groups and members come from ``model.groups`` only, members in ascending id order.
- ``extended=1`` answers group objects instead of ids, as VK does.
"""

from __future__ import annotations

from typing import Any, Final

from tether.services.vk.sandbox.methods.base import Call, invalid, page
from tether.services.vk.sandbox.model import groups, people

GROUPS_MAX: Final = 1000
MEMBERS_MAX: Final = 1000  # vk.md §4.1


def m_groups_get(call: Call) -> Any:
    """The communities of ``user_id`` (or the caller): ids, or objects with ``extended``."""
    uid = call.user()
    ids = groups.groups_of(uid)
    chunk = page(call, ids, default=GROUPS_MAX, maximum=GROUPS_MAX)
    items: list[Any] = (
        [groups.group(g).to_json(call.words("fields")) for g in chunk]
        if call.flag("extended")
        else chunk
    )
    return {"count": len(ids), "items": items}


def m_groups_get_members(call: Call) -> Any:
    """Members of ``group_id`` (an id or a screen name), ``count`` + ``items``."""
    word = call.get("group_id").lstrip("-")
    gid = int(word) if word.isdigit() else groups.resolve_group(word)
    if gid is None or not groups.exists(gid):
        raise invalid("group_id is invalid")
    ids = groups.members_of(gid)
    chunk = page(call, ids, default=MEMBERS_MAX, maximum=MEMBERS_MAX)
    fields = call.words("fields")
    items: list[Any] = (
        [people.user_fields(people.person(i), fields) for i in chunk] if fields else chunk
    )
    return {"count": len(ids), "items": items}
