"""The API methods the VK emulator implements, by family: ``users`` (users.*, friends.get,
account.*, utils.resolveScreenName, stats.trackVisitor), ``groups``, ``wall``, ``media``
(photos.*, docs.get), ``messages``, ``longpoll`` (the two get*LongPollServer steps) and
``uploads`` (the upload-server and save steps of every upload; the servers themselves are
``sandbox/upload.py``, whose book it reads); ``base`` holds what they share. ``METHODS`` is
the table the emulator dispatches on.

Invariants:
- ``METHODS`` is the only table (the kit's ``Registry``): a method is served iff it has a
  line, with the token kinds it serves, the right it needs and the code VK answers without
  that right. An unknown name is VK's 3; a required argument absent or empty is VK's 100
  naming it (the registry's ``missing``), checked after every envelope gate (``app.py``).
- A method without a line answers 3 like any unknown name, never a stub. ``execute`` is the
  ``execute`` package's (it reads this table for its inner calls, when a call comes).
- The families import ``base`` and ``model`` only (``uploads`` also ``sandbox/upload.py``),
  never each other nor this module.
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
from tether.services.vk.sandbox.methods.uploads import (
    m_audio_get_upload_server,
    m_audio_save,
    m_docs_get_messages_upload_server,
    m_docs_get_upload_server,
    m_docs_get_wall_upload_server,
    m_docs_save,
    m_photos_get_messages_upload_server,
    m_photos_get_owner_photo_upload_server,
    m_photos_get_upload_server,
    m_photos_get_wall_upload_server,
    m_photos_save,
    m_photos_save_messages_photo,
    m_photos_save_owner_photo,
    m_photos_save_wall_photo,
    m_video_save,
)
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
_BAD_HASH: Final = ((121, "Invalid hash"),)


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
    # -- uploads (vk.md §5): step 1 hands out a URL, step 3 saves what it received
    "photos.getUploadServer": VkMethod(
        m_photos_get_upload_server, "photos", required=("album_id",), optional=("group_id",)
    ),
    "photos.save": VkMethod(
        m_photos_save,
        "photos",
        required=("album_id", "server", "photos_list", "hash"),
        optional=("group_id", "latitude", "longitude", "caption", "aid"),
        errors=_BAD_HASH,
    ),
    "photos.getWallUploadServer": VkMethod(
        m_photos_get_wall_upload_server, "photos", optional=("group_id",)
    ),
    "photos.saveWallPhoto": VkMethod(
        m_photos_save_wall_photo,
        "photos",
        required=("photo", "server", "hash"),
        optional=("user_id", "group_id", "latitude", "longitude", "caption"),
        errors=_BAD_HASH,
    ),
    "photos.getOwnerPhotoUploadServer": VkMethod(
        m_photos_get_owner_photo_upload_server, "photos", optional=("owner_id",)
    ),
    "photos.saveOwnerPhoto": VkMethod(
        m_photos_save_owner_photo,
        "photos",
        required=("photo", "server", "hash"),
        errors=_BAD_HASH,
    ),
    "photos.getMessagesUploadServer": VkMethod(
        m_photos_get_messages_upload_server, "photos", kinds=_SENDERS, optional=("peer_id",)
    ),
    "photos.saveMessagesPhoto": VkMethod(
        m_photos_save_messages_photo,
        "photos",
        kinds=_SENDERS,
        required=("photo", "server", "hash"),
        errors=_BAD_HASH,
    ),
    "docs.getUploadServer": VkMethod(m_docs_get_upload_server, "docs", optional=("group_id",)),
    "docs.getWallUploadServer": VkMethod(
        m_docs_get_wall_upload_server, "docs", optional=("group_id",)
    ),
    "docs.getMessagesUploadServer": VkMethod(
        m_docs_get_messages_upload_server, "docs", kinds=_SENDERS, optional=("peer_id", "type")
    ),
    "docs.save": VkMethod(
        m_docs_save,
        "docs",
        kinds=_SENDERS,
        required=("file",),
        optional=("title", "tags", "return_tags"),
        errors=_BAD_HASH,
    ),
    "audio.getUploadServer": VkMethod(m_audio_get_upload_server, "audio"),
    "audio.save": VkMethod(
        m_audio_save,
        "audio",
        required=("server", "audio", "hash"),
        optional=("artist", "title"),
        errors=_BAD_HASH,
    ),
    "video.save": VkMethod(
        m_video_save,
        "video",
        optional=(
            "name",
            "description",
            "is_private",
            "wallpost",
            "link",
            "group_id",
            "album_id",
            "privacy_view",
            "privacy_comment",
            "no_comments",
            "repeat",
        ),
    ),
    "execute": VkMethod(
        execute_handler(lambda: METHODS), kinds=_TOKENS, required=("code",), optional=("func_v",)
    ),
}

METHODS: Final[Registry[VkMethod]] = Registry(
    _TABLE, not_found=method_not_found, missing=missing, levels=SCOPES
)

__all__ = ["METHODS", "Call", "MethodError", "VkMethod", "invalid", "method_not_found"]
