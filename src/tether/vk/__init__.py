"""``from tether.vk import API`` — PyVK's public names, on tether's core.

A PyVK user changes ``from pyvk import ...`` to ``from tether.vk import ...``, and
``pyvk.exceptions`` / ``pyvk.config`` / ``pyvk.helpers`` to ``tether.vk.exceptions`` /
``tether.vk.config`` / ``tether.vk.helpers``.

Invariants:
- ``tether.vk.exceptions``, ``.config`` and ``.helpers`` are small modules of this package
  that re-export the service's own (``tether.services.vk.errors`` …), so both
  ``import tether.vk.exceptions`` and ``tether.vk.exceptions.APIError`` work without a second
  copy of any class.
- Only what exists is exported: ``ClientAuth`` and ``ServerAuth`` (and tether's
  ``ImplicitAuth``, ``DirectAuth`` and the ``Async`` twins) are here.
"""

from tether.services.vk.api import API, AsyncAPI, PartialCall
from tether.services.vk.auth import (
    AsyncDirectAuth,
    AsyncImplicitAuth,
    AsyncServerAuth,
    DirectAuth,
    ImplicitAuth,
    ServerAuth,
)
from tether.services.vk.clientauth import AsyncClientAuth, ClientAuth
from tether.services.vk.errors import (
    AccessDenied,
    APIError,
    AuthError,
    AuthorizationFailed,
    InvalidToken,
    NotFound,
    PyVKError,
    ReqError,
    RequestFailed,
    ServerFailure,
    TooManyRequests,
)
from tether.services.vk.inputs import Input
from tether.services.vk.spec import (
    E_CAPTCHA,
    E_FLOOD,
    E_TOO_MANY,
    p_ads,
    p_all,
    p_audio,
    p_basic,
    p_docs,
    p_email,
    p_friends,
    p_groups,
    p_leftmenu,
    p_market,
    p_messages,
    p_notes,
    p_notifications,
    p_notify,
    p_offline,
    p_pages,
    p_photos,
    p_questions,
    p_stats,
    p_status,
    p_stories,
    p_video,
    p_wall,
)
from tether.vk import config, exceptions, helpers

__all__ = [
    "API",
    "E_CAPTCHA",
    "E_FLOOD",
    "E_TOO_MANY",
    "APIError",
    "AccessDenied",
    "AsyncAPI",
    "AsyncClientAuth",
    "AsyncDirectAuth",
    "AsyncImplicitAuth",
    "AsyncServerAuth",
    "AuthError",
    "AuthorizationFailed",
    "ClientAuth",
    "DirectAuth",
    "ImplicitAuth",
    "Input",
    "InvalidToken",
    "NotFound",
    "PartialCall",
    "PyVKError",
    "ReqError",
    "RequestFailed",
    "ServerAuth",
    "ServerFailure",
    "TooManyRequests",
    "config",
    "exceptions",
    "helpers",
    "p_ads",
    "p_all",
    "p_audio",
    "p_basic",
    "p_docs",
    "p_email",
    "p_friends",
    "p_groups",
    "p_leftmenu",
    "p_market",
    "p_messages",
    "p_notes",
    "p_notifications",
    "p_notify",
    "p_offline",
    "p_pages",
    "p_photos",
    "p_questions",
    "p_stats",
    "p_status",
    "p_stories",
    "p_video",
    "p_wall",
]
