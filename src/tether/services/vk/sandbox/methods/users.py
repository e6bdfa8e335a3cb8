"""``users.*``, ``friends.get``, ``account.*``, ``utils.resolveScreenName`` and
``stats.trackVisitor``: people and the caller's own account.

Invariants:
- People come from ``model.people`` only; lists are in ascending id order (VK's default).
- ``account.getAppPermissions`` answers the token's own bits, the number a client compares
  with the rights it asked for.
"""

from __future__ import annotations

from typing import Any, Final

from tether.services.vk.sandbox.methods.base import (
    Call,
    MethodError,
    invalid,
    page,
)
from tether.services.vk.sandbox.model import groups, people

#: Most ids one ``users.get`` takes (VK documents 1000).
MAX_USER_IDS: Final = 1000
FRIENDS_MAX: Final = 5000  # vk.md §4.1
FOLLOWERS_MAX: Final = 1000


def m_users_get(call: Call) -> Any:
    """The users named by ``user_ids`` (ids or screen names), else the caller."""
    words = call.words("user_ids") or call.words("user_id")
    fields = call.words("fields")
    if not words:
        if call.user_id is None:
            raise invalid("user_ids is undefined")
        words = [str(call.user_id)]
    if len(words) > MAX_USER_IDS:
        raise invalid(f"user_ids is too long (at most {MAX_USER_IDS})")
    out = []
    for word in words:
        uid = people.resolve_user(word)
        if uid is None:
            # VK answers 113 for a malformed or unknown id when it is the only one asked
            # for, and leaves unknown ones out of a longer list.
            if len(words) == 1:
                raise MethodError(113, "Invalid user id")
            continue
        out.append(people.user_fields(people.person(uid), fields))
    return out


def m_users_get_followers(call: Call) -> Any:
    """Followers of ``user_id`` (or the caller), ``count`` + ``items``."""
    uid = call.user()
    ids = people.followers_of(uid)
    chunk = page(call, ids, default=100, maximum=FOLLOWERS_MAX)
    fields = call.words("fields")
    items: list[Any] = (
        [people.user_fields(people.person(i), fields) for i in chunk] if fields else chunk
    )
    return {"count": len(ids), "items": items}


def m_friends_get(call: Call) -> Any:
    """Friends of ``user_id`` (or the caller): ids, or user objects with ``fields``."""
    uid = call.user()
    ids = people.friends_of(uid)
    chunk = page(call, ids, default=FRIENDS_MAX, maximum=FRIENDS_MAX)
    fields = call.words("fields")
    items: list[Any] = (
        [people.user_fields(people.person(i), fields) for i in chunk] if fields else chunk
    )
    return {"count": len(ids), "items": items}


def m_account_get_info(call: Call) -> Any:
    info = {
        "country": "RU",
        "https_required": 1,
        "own_posts_default": 0,
        "no_wall_replies": 0,
        "intro": 0,
        "lang": 3,  # English, VK's numeric language code
        "2fa_required": 0,
    }
    fields = call.words("fields")
    return {k: v for k, v in info.items() if k in fields} if fields else info


def m_account_get_app_permissions(call: Call) -> Any:
    """The token's right bits (``user_id``, when given, must be the token's user)."""
    assert call.token is not None  # the line admits user tokens only
    asked = call.integer("user_id")
    if asked is not None and asked != call.token.owner:
        raise MethodError(15, "Access denied: no access to call this method")
    return call.token.scope


def m_resolve_screen_name(call: Call) -> Any:
    """``{"type", "object_id"}`` for a user or community screen name; ``[]`` for none."""
    name = call.get("screen_name").strip().lstrip("@")
    gid = groups.resolve_group(name)
    if gid is not None:
        kind = "group" if gid % 2 else "page"
        return {"type": kind, "object_id": gid}
    uid = people.resolve_user(name)
    if uid is not None and not name.isdigit():
        return {"type": "user", "object_id": uid}
    return []


def m_track_visitor(call: Call) -> Any:
    return 1
