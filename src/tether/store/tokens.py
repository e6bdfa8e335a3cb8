"""Token storage for every service: in memory, or one file per token (0600, atomic, lockable).

This module is where every token-store name has always been imported from; the code lives in
one module per concern:

- ``stores``: ``TokenStore``, the protocol every service's auth code talks to (``get(key)``,
  ``set(key, token)``, ``delete(key)``), and ``MemoryTokenStore`` / ``FileTokenStore``.
- ``tokenfile``: ``TokenFile``, one token in one file; every write goes through it (the
  file format and the atomic replace).
- ``flickr_layout``: ``TokenCache`` / ``LockingTokenCache``, FlickrAPI's names and layout on
  top (flickr.md §7.1), including where tokens of servers other than real Flickr go.
- ``locking`` (lock files, through ``filelock``), ``paths`` (names escaped into file names,
  folders created 0700), ``errors`` (``StoreError``, ``LockingError``, what a token is).

Invariants (each stated in full where it is kept):
- A token file is only ever replaced whole (temporary file, fsync, ``os.replace``): a crash
  leaves the previous token intact, readers never see half a token (``tokenfile``).
- Files are created 0600 and the folders we create 0700: tokens are secrets (``tokenfile``,
  ``paths``).
- Keys and user names become file names by escaping, never by trust (``paths``).
- Surrounding whitespace is not part of a token (``errors.clean_token``).
- ``LockingTokenCache`` holds a lock file for every write and delete, re-entrantly; plain
  reads need no lock (``flickr_layout``, ``locking``).
- Errors say which file and what to do; the token itself never appears in them.
- Imports go one way: ``errors`` ← ``paths`` ← ``locking`` ← ``tokenfile`` ← ``stores`` /
  ``flickr_layout`` ← this module.
"""

from __future__ import annotations

# Besides ``__all__``, the module attributes this module has always had, for whoever reads
# them from here (the tests import ``_escape_name``): the ``X as X`` and ``noqa`` lines.
from tether.store.errors import LockingError, StoreError
from tether.store.flickr_layout import DEFAULT_FLICKR_PATH as DEFAULT_FLICKR_PATH
from tether.store.flickr_layout import LockingTokenCache, TokenCache
from tether.store.locking import DEFAULT_LOCK_TIMEOUT as DEFAULT_LOCK_TIMEOUT
from tether.store.paths import escape_name as _escape_name  # noqa: F401
from tether.store.stores import FileTokenStore, MemoryTokenStore, TokenStore
from tether.store.tokenfile import MAX_TOKEN_BYTES as MAX_TOKEN_BYTES
from tether.store.tokenfile import TokenFile

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
