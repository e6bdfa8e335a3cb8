"""tether: one client for VK, Flickr, Ipernity, Vimeo and OVHcloud, sync and async, with an offline sandbox.

Importing this package is cheap: services, transports and the sandbox load only when used
(``from tether.ovh import Client``).
"""

from tether.core.errors import (
    APIError,
    AuthError,
    ConfigError,
    ConnectError,
    ConnectionLost,
    NotFound,
    PermissionDenied,
    ProtocolError,
    RateLimited,
    ResponseTooLarge,
    ServerError,
    TetherError,
    TimeoutError,
    TransportError,
    UsageError,
)

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "AuthError",
    "ConfigError",
    "ConnectError",
    "ConnectionLost",
    "NotFound",
    "PermissionDenied",
    "ProtocolError",
    "RateLimited",
    "ResponseTooLarge",
    "ServerError",
    "TetherError",
    "TimeoutError",
    "TransportError",
    "UsageError",
    "__version__",
]
