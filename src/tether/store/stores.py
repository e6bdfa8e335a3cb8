"""Keyed token stores: the ``TokenStore`` protocol, in memory and as files.

Invariants:
- ``TokenStore`` (``get(key)``, ``set(key, token)``, ``delete(key)``) is all an auth strategy
  may assume of a store. Both stores here also have a keyless form (``get()``, ``set(token)``,
  ``delete()``) for "the store's single token" (for ``FileTokenStore(path)``, the file at
  ``path`` itself); one store should use one form or the other.
- Tokens are checked (``errors.clean_token``) before they are kept, in memory as on disk.
- ``FileTokenStore`` names each key's file by escaping (``paths.escape_name``); every write
  goes through ``TokenFile`` (replaced whole, 0600). A key's lock file starts with ``.``, so
  no key's token file can be another key's lock.
- Reprs show where tokens are, never the tokens.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Mapping
from typing import Final, Protocol, overload

from tether.store.errors import clean_token
from tether.store.locking import DEFAULT_LOCK_TIMEOUT
from tether.store.paths import escape_name
from tether.store.tokenfile import TokenFile

__all__ = ["FileTokenStore", "MemoryTokenStore", "TokenStore"]


class TokenStore(Protocol):
    """Where an auth strategy keeps its tokens, by key (``"vk:12345"``, ``"flickr:oauth"`` …)."""

    def get(self, key: str) -> str | None:
        """The token stored under ``key``, or ``None``."""
        ...

    def set(self, key: str, token: str) -> None:
        """Store ``token`` under ``key``, replacing any previous one."""
        ...

    def delete(self, key: str) -> None:
        """Forget the token under ``key`` (no error if there is none)."""
        ...


class _NotGiven:
    pass


_NOT_GIVEN: Final = _NotGiven()


def _key_and_token(key: str | None, token: object) -> tuple[str | None, object]:
    # set(token) is the single-token form, set(key, token) the keyed one.
    if isinstance(token, _NotGiven):
        return None, key
    return key, token


# --- memory -------------------------------------------------------------------------------


class MemoryTokenStore:
    """Tokens kept in this object only; nothing is written anywhere.

    Args:
        tokens: initial tokens by key (``None`` as a key is the single-token slot).
    """

    def __init__(self, tokens: Mapping[str | None, str] | None = None) -> None:
        self._tokens: dict[str | None, str] = {}
        for key, token in (tokens or {}).items():
            self._tokens[key] = clean_token(token)

    def get(self, key: str | None = None) -> str | None:
        """The token under ``key`` (``None``: the single token), or ``None`` if there is none."""
        return self._tokens.get(key)

    @overload
    def set(self, token: str, /) -> None: ...
    @overload
    def set(self, key: str | None, token: str) -> None: ...
    def set(self, key: str | None, token: object = _NOT_GIVEN) -> None:
        """``set(key, token)`` stores ``token`` under ``key``; ``set(token)`` the single token.

        Raises:
            UsageError: ``token`` is not a non-empty string.
        """
        k, t = _key_and_token(key, token)
        self._tokens[k] = clean_token(t)

    def delete(self, key: str | None = None) -> None:
        """Forget the token under ``key``; no error if there is none."""
        self._tokens.pop(key, None)

    def __repr__(self) -> str:  # the tokens themselves are never shown
        return f"MemoryTokenStore({len(self._tokens)} token(s))"


# --- many files ---------------------------------------------------------------------------


class FileTokenStore:
    """Tokens as files: ``<path>/<key>`` for each key, each one a ``TokenFile``.

    Keys are escaped into file names (``/``, ``\\``, ``%``, control characters and a leading
    ``.`` are percent-encoded), so any key is safe. Used without a key (``get()``,
    ``set(token)``, ``delete()``), the store is the single token file at ``path`` itself; one
    store should use one form or the other.

    Args:
        path: the folder of token files (created 0700 on first write), or the single file.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = os.path.expanduser(os.fspath(path))

    def file(self, key: str | None = None) -> TokenFile:
        """The ``TokenFile`` holding ``key``'s token.

        Raises:
            UsageError: ``key`` is not a non-empty string.
        """
        if key is None:
            return TokenFile(self.path)
        name = escape_name(key, "a token key")
        # The lock file starts with "." so that no key's token file can be another key's lock.
        return TokenFile(os.path.join(self.path, name), os.path.join(self.path, f".{name}.lock"))

    def get(self, key: str | None = None) -> str | None:
        """The token under ``key``, or ``None`` if there is none.

        Raises:
            StoreError: the file exists but cannot be read.
        """
        return self.file(key).get()

    @overload
    def set(self, token: str, /) -> None: ...
    @overload
    def set(self, key: str | None, token: str) -> None: ...
    def set(self, key: str | None, token: object = _NOT_GIVEN) -> None:
        """``set(key, token)`` stores ``token`` under ``key`` atomically; ``set(token)`` writes
        the single token file.

        Raises:
            UsageError: bad key or token.
            StoreError: saving failed; the previous token is unchanged.
        """
        k, t = _key_and_token(key, token)
        self.file(k).set(t)  # type: ignore[arg-type]  # TokenFile.set checks it

    def delete(self, key: str | None = None) -> None:
        """Forget the token under ``key``; no error if there is none.

        Raises:
            StoreError: the file exists but cannot be removed.
        """
        self.file(key).delete()

    def lock(
        self, key: str | None = None, timeout: float = DEFAULT_LOCK_TIMEOUT
    ) -> contextlib.AbstractContextManager[None]:
        """A context manager holding ``key``'s lock (a refresh that rotates a token must read,
        ask the service, and write while holding it, or two processes each spend the token).

        Raises:
            LockingError: the lock was not had within ``timeout``.
        """
        return self.file(key).lock(timeout)

    def __repr__(self) -> str:
        return f"FileTokenStore({self.path!r})"
