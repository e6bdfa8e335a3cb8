"""``tether.vk.exceptions``: PyVK's ``pyvk.exceptions`` names (the service's ``errors``)."""

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

__all__ = [
    "APIError",
    "AccessDenied",
    "AuthError",
    "AuthorizationFailed",
    "InvalidToken",
    "NotFound",
    "PyVKError",
    "ReqError",
    "RequestFailed",
    "ServerFailure",
    "TooManyRequests",
]
