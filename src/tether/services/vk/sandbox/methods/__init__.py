"""The API methods the VK emulator implements, by family: ``users`` (users.*, friends.get,
account.*, utils.resolveScreenName, stats.trackVisitor), ``groups``, ``wall``, ``media``
(photos.*, docs.get), ``messages`` and ``longpoll`` (the two get*LongPollServer steps; the
servers themselves are ``sandbox/longpoll.py``); ``base`` holds what they share. ``METHODS`` is the
table the emulator dispatches on.

Invariants:
- ``METHODS`` is the only table (the kit's ``Registry``): a method is served iff it has a
  line, with the token kinds it serves, the right it needs and the code VK answers without
  that right. An unknown name is VK's 3; a required argument absent or empty is VK's 100
  naming it (the registry's ``missing``), checked after every envelope gate (``app.py``).
- Methods of later parts of the emulator (uploads) have no line yet, so they answer 3 like
  any unknown name, never a stub. ``execute`` is the ``execute`` package's
  (it reads this table for its inner calls, when a call comes).
- The families import ``base`` and ``model`` only, never each other nor this module.
"""

from __future__ import annotations

from typing import Final

from tether.sandbox.kit.rpc import Registry
from tether.services.vk.sandbox.execute import execute_handler
from tether.services.vk.sandbox.methods.base import (
    USER,
    Call,
    MethodError,
    VkMethod,
    invalid,
    missing,
)
from tether.services.vk.sandbox.methods.groups import m_groups_get, m_groups_get_members
from tether.services.vk.sandbox.methods.longpoll import (
    m_groups_get_long_poll_server,
    m_messages_get_long_poll_server,
)
from tether.services.vk.sandbox.methods.media import m_docs_get, m_photos_get, m_photos_get_albums
from tether.services.vk.sandbox.methods.messages import m_messages_send
from tether.services.vk.sandbox.methods.users import (
    m_account_get_app_permissions,
    m_account_get_info,
    m_friends_get,
    m_resolve_screen_name,
    m_track_visitor,
    m_users_get,
    m_users_get_followers,
)
from tether.services.vk.sandbox.methods.wall import m_wall_get, m_wall_get_by_id, m_wall_post
from tether.services.vk.sandbox.model.auth import SCOPES, Kind

_ANYONE: Final = frozenset(Kind)
_TOKENS: Final = frozenset({Kind.USER, Kind.GROUP, Kind.SERVICE})
_READERS: Final = frozenset({Kind.USER, Kind.SERVICE})  # user data an app may read too
_SENDERS: Final = frozenset({Kind.USER, Kind.GROUP})
_PAGE: Final = ("offset", "count")


def method_not_found(name: str) -> MethodError:
    return MethodError(3, "Unknown method passed")


_TABLE: Final[dict[str, VkMethod]] = {
    "users.get": VkMethod(m_users_get, kinds=_ANYONE, optional=("user_ids", "fields", "name_case")),
    "users.getFollowers": VkMethod(
        m_users_get_followers, kinds=_ANYONE, optional=("user_id", "fields", *_PAGE)
    ),
    "friends.get": VkMethod(
        m_friends_get, kinds=_READERS, optional=("user_id", "order", "fields", *_PAGE)
    ),
    "account.getInfo": VkMethod(m_account_get_info, optional=("fields",)),
    "account.getAppPermissions": VkMethod(m_account_get_app_permissions, optional=("user_id",)),
    "groups.get": VkMethod(
        m_groups_get, "groups", optional=("user_id", "extended", "fields", *_PAGE)
    ),
    "groups.getMembers": VkMethod(
        m_groups_get_members,
        kinds=_TOKENS,
        required=("group_id",),
        optional=("sort", "fields", *_PAGE),
    ),
    "wall.get": VkMethod(
        m_wall_get,
        kinds=_READERS,
        optional=("owner_id", "domain", "filter", "extended", *_PAGE),
    ),
    "wall.post": VkMethod(
        m_wall_post,
        "wall",
        denied=7,
        optional=("owner_id", "message", "attachments", "from_group", "signed"),
        errors=((214, "Access to adding post denied"),),
    ),
    "wall.getById": VkMethod(
        m_wall_get_by_id, kinds=_READERS, required=("posts",), optional=("extended",)
    ),
    "photos.get": VkMethod(
        m_photos_get,
        kinds=_READERS,
        required=("album_id",),
        optional=("owner_id", "rev", "extended", *_PAGE),
    ),
    "photos.getAlbums": VkMethod(
        m_photos_get_albums,
        kinds=_READERS,
        optional=("owner_id", "album_ids", "need_system", *_PAGE),
    ),
    "docs.get": VkMethod(m_docs_get, "docs", kinds=_SENDERS, optional=("owner_id", "type", *_PAGE)),
    "messages.send": VkMethod(
        m_messages_send,
        "messages",
        kinds=_SENDERS,
        optional=("user_id", "peer_id", "domain", "random_id", "message", "attachment"),
    ),
    "messages.getLongPollServer": VkMethod(
        m_messages_get_long_poll_server,
        "messages",
        kinds=_SENDERS,
        optional=("need_pts", "group_id", "lp_version"),
    ),
    "groups.getLongPollServer": VkMethod(
        m_groups_get_long_poll_server, kinds=_SENDERS, required=("group_id",)
    ),
    "stats.trackVisitor": VkMethod(m_track_visitor, kinds=USER),
    "utils.resolveScreenName": VkMethod(
        m_resolve_screen_name, kinds=_TOKENS, required=("screen_name",)
    ),
    "execute": VkMethod(
        execute_handler(lambda: METHODS), kinds=_TOKENS, required=("code",), optional=("func_v",)
    ),
}

METHODS: Final[Registry[VkMethod]] = Registry(
    _TABLE, not_found=method_not_found, missing=missing, levels=SCOPES
)

__all__ = ["METHODS", "Call", "MethodError", "VkMethod", "invalid", "method_not_found"]
