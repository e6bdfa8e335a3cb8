"""Token storage (``tether.store.tokens``): the ``TokenStore`` protocol, memory and file stores,
and FlickrAPI's ``TokenCache`` / ``LockingTokenCache`` layout on top (real Flickr's tokens in
``~/.flickr/<api_key>/``, any other server's, such as the sandbox's, apart in
``~/.flickr/<api_key>@<host>%3A<port>/``)."""

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
