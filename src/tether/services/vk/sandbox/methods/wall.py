"""``wall.get``, ``wall.post`` and ``wall.getById``.

Invariants:
- Walls are read through ``VkState.wall`` (newest first when listed) and written only through
  ``VkState.add_post``.
- A user token posts on its own wall, or on the wall of a community its user administers
  (``model.groups.ADMINS``), as the community with ``from_group=1``; any other wall is VK's
  214. (Real VK also lets friends post on open walls; the sandbox does not model privacy.)
"""

from __future__ import annotations

import re
from typing import Any, Final

from tether.services.vk.sandbox.methods.base import (
    Call,
    MethodError,
    check_live_owner,
    invalid,
    page,
)
from tether.services.vk.sandbox.model import groups, people

WALL_MAX: Final = 100  # vk.md §4.1
BY_ID_MAX: Final = 100
MAX_ATTACHMENTS: Final = 10
_ATTACHMENT: Final = re.compile(
    r"(photo|video|audio|doc|wall|market|poll)-?\d+_\d+(_[0-9A-Za-z]+)?|https?://\S+"
)


def _owner_of_wall(call: Call) -> int:
    domain = call.get("domain")
    if domain and not call.get("owner_id"):
        gid = groups.resolve_group(domain)
        if gid is not None:
            return -gid
        uid = people.resolve_user(domain)
        if uid is None:
            raise MethodError(113, "Invalid user id")
        return uid
    return call.owner()


def m_wall_get(call: Call) -> Any:
    """``count`` + ``items`` of a wall, newest first (``owner_id`` or ``domain``)."""
    owner = _owner_of_wall(call)
    check_live_owner(owner)
    posts = call.state.wall(owner)
    wanted = call.get("filter", "all")
    if wanted == "owner":
        posts = [p for p in posts if p.from_id == owner]
    elif wanted == "others":
        posts = [p for p in posts if p.from_id != owner]
    newest_first = posts[::-1]
    chunk = page(call, newest_first, default=20, maximum=WALL_MAX)
    out: dict[str, Any] = {"count": len(posts), "items": [p.to_json() for p in chunk]}
    if call.flag("extended"):
        out["profiles"] = [
            people.user_fields(people.person(i), ("screen_name", "photo_50"))
            for i in sorted({p.from_id for p in chunk if p.from_id > 0})
        ]
        out["groups"] = [groups.group(-i).to_json() for i in {p.from_id for p in chunk} if i < 0]
    return out


def m_wall_post(call: Call) -> Any:
    """A new post on the caller's wall or a community's: ``{"post_id": n}``."""
    user = call.user_id
    assert user is not None  # the line admits user tokens only
    owner = call.integer("owner_id", user)
    assert owner is not None
    check_live_owner(owner)
    if owner != user and not (owner < 0 and groups.ADMINS.get(-owner) == user):
        raise MethodError(214, "Access to adding post denied: access to the wall is closed")
    attachments = tuple(call.words("attachments") or call.words("attachment"))
    if len(attachments) > MAX_ATTACHMENTS or not all(_ATTACHMENT.fullmatch(a) for a in attachments):
        raise invalid("attachments is invalid")
    text = call.get("message")
    if not text.strip() and not attachments:
        raise invalid("message is empty or invalid")
    from_id = owner if owner < 0 and call.flag("from_group") else user
    post = call.state.add_post(owner, from_id, text, attachments, call.now)
    return {"post_id": post.id}


def m_wall_get_by_id(call: Call) -> Any:
    """The posts named ``<owner>_<id>`` in ``posts``, in that order; unknown ones left out."""
    refs = call.words("posts")
    if len(refs) > BY_ID_MAX:
        raise invalid(f"posts is too long (at most {BY_ID_MAX})")
    out = []
    for ref in refs:
        owner_word, _, id_word = ref.partition("_")
        try:
            owner, post_id = int(owner_word), int(id_word)
        except ValueError:
            raise invalid("posts is invalid") from None
        if owner > 0 and (not people.exists(owner) or owner in people.DEACTIVATED):
            continue
        if owner < 0 and not groups.exists(-owner):
            continue
        wall = call.state.wall(owner)
        if 1 <= post_id <= len(wall):
            out.append(wall[post_id - 1].to_json())
    return out
