"""Token storage (``tether.store.tokens``): the ``TokenStore`` protocol, memory and file stores,
and FlickrAPI's ``TokenCache`` / ``LockingTokenCache`` layout on top."""

from tether.store.tokens import (
    FileTokenStore,
    LockingError,
    LockingTokenCache,
    MemoryTokenStore,
    StoreError,
    TokenCache,
    TokenFile,
    TokenStore,
)

__all__ = [
    "FileTokenStore",
    "LockingError",
    "LockingTokenCache",
    "MemoryTokenStore",
    "StoreError",
    "TokenCache",
    "TokenFile",
    "TokenStore",
]
