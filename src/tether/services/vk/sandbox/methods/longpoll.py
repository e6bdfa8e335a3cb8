"""``messages.getLongPollServer`` and ``groups.getLongPollServer``: the step that hands out a
long poll server, its key and the current ``ts`` (vk.md §4.5); the servers themselves are
``sandbox/longpoll.py``.

Invariants:
- Both answer through ``VkState.longpoll`` only: each call opens the caller's queue (if not
  yet open) and a new key; the older keys keep working (up to the book's bound).
- The user server is the caller's own: a user's, or a community's (``-group_id``) for a
  community token, or for a user token with ``group_id`` of a community the user
  administers (``model.groups.ADMINS``). The bots server is a community's: its own token's,
  or one its user administers. Any other community is VK's 15.
"""

from __future__ import annotations

from typing import Any, Final

from tether.services.vk.sandbox.methods.base import DENIED, Call, MethodError, invalid
from tether.services.vk.sandbox.model import groups
from tether.services.vk.sandbox.model.auth import Kind

#: The user long poll versions ``lp_version`` may ask (VK's current one is 3).
LP_VERSIONS: Final = range(0, 4)


def _community(call: Call, word: str) -> int:
    """The community ``word`` names, which the caller must be (or administer)."""
    text = word.lstrip("-")
    gid = int(text) if text.isdigit() else groups.resolve_group(text)
    if gid is None or not groups.exists(gid):
        raise invalid("group_id is invalid")
    token = call.token
    assert token is not None  # both lines admit user and community tokens only
    if token.kind is Kind.GROUP:
        allowed = token.owner == gid
    else:
        allowed = groups.ADMINS.get(gid) == token.owner
    if not allowed:
        raise MethodError(15, DENIED[15])
    return gid


def m_messages_get_long_poll_server(call: Call) -> Any:
    """The user long poll server: ``{key, server, ts}`` (and ``pts`` with ``need_pts=1``)."""
    token = call.token
    assert token is not None
    version = call.integer("lp_version", 0)
    if version not in LP_VERSIONS:
        raise invalid("lp_version is invalid")
    word = call.get("group_id")
    if word:
        owner = -_community(call, word)
    elif token.kind is Kind.GROUP:
        owner = -token.owner
    else:
        owner = token.owner
    return call.state.longpoll.user_server(call.root, owner, call.flag("need_pts"))


def m_groups_get_long_poll_server(call: Call) -> Any:
    """The bots long poll server of ``group_id``: ``{key, server, ts}``."""
    return call.state.longpoll.bot_server(call.root, _community(call, call.get("group_id")))
