"""tether: one client for VK, Flickr, Ipernity, Vimeo and OVHcloud, sync and async, with an offline sandbox.

Importing this package is cheap: services, transports and the sandbox load only when used.
"""

from tether.core.errors import (
    APIError,
    ConfigError,
    ConnectError,
    ProtocolError,
    TetherError,
    TimeoutError,
    TransportError,
    UsageError,
)

__version__ = "0.1.0"

__all__ = [
    "APIError",
    "ConfigError",
    "ConnectError",
    "ProtocolError",
    "TetherError",
    "TimeoutError",
    "TransportError",
    "UsageError",
    "__version__",
]
