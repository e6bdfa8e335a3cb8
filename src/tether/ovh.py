"""``from tether.ovh import Client`` — python-ovh's public names, on tether's core.

A python-ovh user changes ``import ovh`` to ``from tether import ovh`` and nothing else.
"""

from tether.services.ovh.api import (
    API_READ_ONLY,
    API_READ_WRITE,
    API_READ_WRITE_SAFE,
    AsyncClient,
    Client,
    ConsumerKeyRequest,
    RawResponse,
)
from tether.services.ovh.errors import (
    APIError,
    BadParametersError,
    Forbidden,
    HTTPError,
    InvalidConfiguration,
    InvalidCredential,
    InvalidKey,
    InvalidRegion,
    InvalidResponse,
    NetworkError,
    NotCredential,
    NotGrantedCall,
    OAuth2FailureError,
    ReadOnlyError,
    ResourceConflictError,
    ResourceExpiredError,
    ResourceNotFoundError,
    ServerSideError,
    TooManyRequests,
)
from tether.services.ovh.spec import ENDPOINTS, OAUTH2_TOKEN_URLS

__all__ = [
    "API_READ_ONLY",
    "API_READ_WRITE",
    "API_READ_WRITE_SAFE",
    "ENDPOINTS",
    "OAUTH2_TOKEN_URLS",
    "APIError",
    "AsyncClient",
    "BadParametersError",
    "Client",
    "ConsumerKeyRequest",
    "Forbidden",
    "HTTPError",
    "InvalidConfiguration",
    "InvalidCredential",
    "InvalidKey",
    "InvalidRegion",
    "InvalidResponse",
    "NetworkError",
    "NotCredential",
    "NotGrantedCall",
    "OAuth2FailureError",
    "RawResponse",
    "ReadOnlyError",
    "ResourceConflictError",
    "ResourceExpiredError",
    "ResourceNotFoundError",
    "ServerSideError",
    "TooManyRequests",
]
