"""One token in one file: read tolerant of a missing file, replaced whole, 0600, lockable.

Invariants:
- A token file is only ever replaced whole: written to a temporary file in the same folder,
  fsync-ed, then ``os.replace``-d over the old one. A crash, a full disk or a failed rename
  leaves the previous token intact, and readers never see half a token; so reads need no lock.
- The temporary file is 0600 from its creation (``mkstemp``), so there is no window where the
  token is readable; its name starts with ``.`` (no escaped key can), and it never outlives a
  failed or interrupted write.
- The file's format: the token as UTF-8 text, surrounding whitespace ignored, at most
  ``MAX_TOKEN_BYTES``; anything else at the path is an error, never read as a token.
- Errors say which file and what to do; the token itself never appears in them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import tempfile
from collections.abc import Iterator

from tether.store.errors import StoreError, clean_token
from tether.store.locking import DEFAULT_LOCK_TIMEOUT, acquire, file_lock
from tether.store.paths import make_private_dir

__all__ = ["MAX_TOKEN_BYTES", "TokenFile"]

# A token is a few hundred bytes at most; anything much larger at a token path is not a token,
# and reading it whole would be a way to make us allocate without bound.
MAX_TOKEN_BYTES = 64 * 1024


def _save_error(path: str, e: OSError) -> StoreError:
    what = {
        errno.ENOSPC: "the disk is full; free some space and try again",
        errno.EDQUOT: "the disk quota is exceeded; free some space and try again",
        errno.EACCES: "permission denied; make the folder writable or choose another location",
        errno.EPERM: "permission denied; make the folder writable or choose another location",
        errno.EROFS: "the file system is read-only; choose another location",
        errno.ENOTDIR: "a file is in the way of the folder; move it or choose another location",
        errno.EEXIST: "a file is in the way of the folder; move it or choose another location",
        errno.EISDIR: "a folder is in the way of the token file; remove it or choose another path",
    }.get(e.errno or 0, e.strerror or type(e).__name__)
    return StoreError(f"cannot save the token to {path}: {what}. The previous token is unchanged.")


class TokenFile:
    """One token in one file: read tolerant of a missing file, written atomically, 0600.

    Args:
        path: the token file (``~`` is expanded).
        lock_path: the lock file used by ``lock()``; defaults to ``path + ".lock"``.
    """

    def __init__(self, path: str | os.PathLike[str], lock_path: str | None = None) -> None:
        self.path = os.path.expanduser(os.fspath(path))
        self.lock_path = lock_path or self.path + ".lock"

    def get(self) -> str | None:
        """The stored token, or ``None`` when there is no file (or it is empty).

        Raises:
            StoreError: the file exists but cannot be read, is not text, or is too large to be
                a token.
        """
        try:
            with open(self.path, "rb") as f:
                data = f.read(MAX_TOKEN_BYTES + 1)
        except FileNotFoundError:
            return None
        except IsADirectoryError:
            raise StoreError(
                f"the token path {self.path} is a folder; remove it or choose another path"
            ) from None
        except OSError as e:
            raise StoreError(
                f"cannot read the token file {self.path} ({e.strerror}); check its permissions"
            ) from None
        if len(data) > MAX_TOKEN_BYTES:
            raise StoreError(
                f"{self.path} is larger than {MAX_TOKEN_BYTES} bytes, so it is not a token file; "
                "choose another path"
            )
        try:
            token = data.decode("utf-8").strip()
        except UnicodeDecodeError:
            raise StoreError(
                f"{self.path} is not a text token file; delete it and log in again"
            ) from None
        return token or None

    def set(self, token: str) -> None:
        """Replace the stored token, atomically (see the module invariants).

        Raises:
            UsageError: ``token`` is not a non-empty string.
            StoreError: the token could not be saved (the message says why and what to do);
                the previous token is unchanged.
        """
        data = clean_token(token).encode("utf-8")  # before any file is touched
        folder = os.path.dirname(self.path) or "."
        try:
            make_private_dir(folder)
            fd, tmp = tempfile.mkstemp(
                prefix="." + os.path.basename(self.path) + ".", suffix=".tmp", dir=folder
            )  # created 0600 whatever the umask
        except OSError as e:
            raise _save_error(self.path, e) from None
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(data)
                f.flush()
                os.fsync(f.fileno())  # the bytes are on disk before the name points at them
            os.replace(tmp, self.path)
        except BaseException as e:  # an interrupt too: the half-written file must not linger
            with contextlib.suppress(OSError):
                os.unlink(tmp)
            if isinstance(e, OSError):
                raise _save_error(self.path, e) from None
            raise
        with contextlib.suppress(OSError):  # make the rename itself durable where possible
            dfd = os.open(folder, os.O_RDONLY)
            try:
                os.fsync(dfd)
            finally:
                os.close(dfd)

    def delete(self) -> None:
        """Remove the token file; no error if there is none.

        Raises:
            StoreError: the file exists but cannot be removed.
        """
        try:
            os.unlink(self.path)
        except FileNotFoundError:
            pass
        except OSError as e:
            raise StoreError(
                f"cannot remove the token file {self.path} ({e.strerror}); remove it by hand"
            ) from None

    @contextlib.contextmanager
    def lock(self, timeout: float = DEFAULT_LOCK_TIMEOUT) -> Iterator[None]:
        """Hold this token's lock file for a read-modify-write (re-entrant in one thread).

        Args:
            timeout: seconds to wait for another holder (negative: wait forever).

        Raises:
            LockingError: the lock was not had within ``timeout``.
            StoreError: the lock file cannot be created.
        """
        lock = file_lock(self.lock_path)
        acquire(lock, timeout)
        try:
            yield
        finally:
            lock.release()

    def __repr__(self) -> str:
        return f"TokenFile({self.path!r})"
