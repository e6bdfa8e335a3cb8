"""Token storage for every service: in memory, or one file per token (0600, atomic, lockable).

Invariants:
- A token file is only ever replaced whole: written to a temporary file in the same folder,
  flushed to disk, then ``os.replace``-d over the old one. A crash or a full disk leaves the
  previous token intact; readers never see half a token.
- Files are created 0600 and folders 0700: tokens are secrets.
- ``LockingTokenCache`` serialises read-modify-write across processes with ``filelock``; the
  lock can also be held for a whole session (``acquire``/``release``), as FlickrAPI's did.
- Errors say which file and what to do; the token itself never appears in them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from typing import Protocol

from filelock import FileLock
from filelock import Timeout as _LockTimeout

from tether.core.errors import TetherError

__all__ = [
    "FileTokenStore",
    "LockingError",
    "LockingTokenCache",
    "MemoryTokenStore",
    "StoreError",
    "TokenCache",
    "TokenStore",
]


class StoreError(TetherError):
    """A token could not be read or saved (permissions, full disk …)."""


class LockingError(StoreError):
    """The token cache's lock could not be had in time (another process holds it)."""


class TokenStore(Protocol):
    def get(self) -> str | None: ...
    def set(self, token: str) -> None: ...
    def delete(self) -> None: ...


class MemoryTokenStore:
    def __init__(self, token: str | None = None) -> None:
        self._token = token

    def get(self) -> str | None:
        return self._token

    def set(self, token: str) -> None:
        self._token = token

    def delete(self) -> None:
        self._token = None

    def __repr__(self) -> str:
        return "MemoryTokenStore(***)" if self._token else "MemoryTokenStore(empty)"


class FileTokenStore:
    """One token in one file."""

    def __init__(self, path: str) -> None:
        self.path = os.path.expanduser(path)

    def get(self) -> str | None:
        try:
            with open(self.path, encoding="utf-8") as f:
                token = f.read().strip()
        except FileNotFoundError:
            return None
        except OSError as e:
            raise StoreError(
                f"cannot read the token file {self.path} ({e.strerror}); check its permissions"
            ) from None
        return token or None

    def set(self, token: str) -> None:
        folder = os.path.dirname(self.path) or "."
        try:
            os.makedirs(folder, mode=0o700, exist_ok=True)
            fd, tmp = tempfile.mkstemp(prefix=".tmp-", dir=folder)  # created 0600
        except OSError as e:
            raise _save_error(self.path, e) from None
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(token)
                f.flush()
                os.fsync(f.fileno())
            os.replace(tmp, self.path)
        except OSError as e:
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            raise _save_error(self.path, e) from None
        with contextlib.suppress(OSError):  # make the rename itself durable where possible
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def delete(self) -> None:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)

    def __repr__(self) -> str:
        return f"FileTokenStore({self.path!r})"


def _save_error(path: str, e: OSError) -> StoreError:
    what = {
        errno.ENOSPC: "the disk is full; free some space",
        errno.EDQUOT: "the disk quota is exceeded; free some space",
        errno.EACCES: "permission denied; choose a writable location",
        errno.EROFS: "the file system is read-only; choose another location",
    }.get(e.errno or 0, e.strerror or type(e).__name__)
    return StoreError(f"cannot save the token to {path}: {what}. The previous token is unchanged.")


class TokenCache:
    """FlickrAPI's on-disk token cache: ``<path>/<api_key>/auth.token`` (``auth-<username>.token``
    with a username), ``path`` defaulting to ``~/.flickr`` and settable at any time.

    ``token`` reads, assigns and ``del``-etes the stored token; ``forget()`` deletes it.
    """

    def __init__(self, api_key: str, username: str | None = None, path: str | None = None) -> None:
        self.api_key = api_key
        self.username = username
        self.path = path or "~/.flickr"

    def token_path(self) -> str:
        name = f"auth-{self.username}.token" if self.username else "auth.token"
        return os.path.join(os.path.expanduser(self.path), self.api_key, name)

    def _store(self) -> FileTokenStore:
        return FileTokenStore(self.token_path())

    @property
    def token(self) -> str | None:
        return self._store().get()

    @token.setter
    def token(self, value: str | None) -> None:
        if value is None:
            self.forget()
        else:
            self._store().set(value)

    @token.deleter
    def token(self) -> None:
        self.forget()

    def forget(self) -> None:
        self._store().delete()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.token_path()!r})"


class LockingTokenCache(TokenCache):
    """``TokenCache`` safe for several processes sharing one key: every read and write holds
    a lock file beside the token (``auth.token.lock``). ``acquire()`` / ``release()`` (or
    ``with cache:``) hold it across a whole session. Not meant for threads of one process.
    """

    def __init__(
        self,
        api_key: str,
        username: str | None = None,
        path: str | None = None,
        timeout: float = 60.0,
    ) -> None:
        super().__init__(api_key, username, path)
        self.timeout = timeout
        self._locks: dict[str, FileLock] = {}

    def _lock(self) -> FileLock:
        target = self.token_path() + ".lock"
        lock = self._locks.get(target)
        if lock is None:
            os.makedirs(os.path.dirname(target), mode=0o700, exist_ok=True)
            lock = self._locks[target] = FileLock(target, timeout=self.timeout, mode=0o600)
        return lock

    def acquire(self, timeout: float | None = None) -> None:
        try:
            self._lock().acquire(timeout=self.timeout if timeout is None else timeout)
        except _LockTimeout:
            raise LockingError(
                f"another process has held {self.token_path()}.lock for over "
                f"{self.timeout if timeout is None else timeout:.0f} s; wait, or remove the lock "
                "file if that process is gone"
            ) from None

    def release(self) -> None:
        self._lock().release()

    def __enter__(self) -> LockingTokenCache:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    @property
    def token(self) -> str | None:
        with self:
            return self._store().get()

    @token.setter
    def token(self, value: str | None) -> None:
        with self:
            if value is None:
                self._store().delete()
            else:
                self._store().set(value)

    @token.deleter
    def token(self) -> None:
        self.forget()

    def forget(self) -> None:
        with self:
            self._store().delete()
