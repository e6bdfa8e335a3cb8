"""Lock files beside tokens, through ``filelock`` (a well-kept library; no locking by hand).

Invariants:
- One lock object per lock path and process (``filelock``'s ``is_singleton``): two caches on
  one file in one thread nest instead of deadlocking; other threads still wait (its contexts
  are thread-local). Re-entrant in one thread.
- Lock files are created 0600, their folders 0700 (``paths.make_private_dir``).
- A lock frees itself when its holder exits (the OS drops the ``flock``), so a crashed process
  never leaves a token locked.
- Waiting too long is a ``LockingError`` naming the lock file and the timeout; any other
  failure is a ``StoreError`` saying what to check.
- ``filelock`` is imported on first use only: ``import tether`` stays light.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

from tether.store.errors import LockingError, StoreError
from tether.store.paths import make_private_dir

if TYPE_CHECKING:
    from filelock import BaseFileLock

__all__ = ["DEFAULT_LOCK_TIMEOUT", "acquire", "file_lock"]

DEFAULT_LOCK_TIMEOUT = 60.0  # FlickrAPI 1.4's acquire(timeout=60)


def file_lock(lock_path: str) -> BaseFileLock:
    """The process's lock object for ``lock_path``, its folder created first.

    Raises:
        StoreError: the folder cannot be created.
    """
    from filelock import FileLock  # imported on first use: `import tether` stays light

    try:
        make_private_dir(os.path.dirname(lock_path) or ".")
    except OSError as e:
        raise StoreError(
            f"cannot create the folder for the lock file {lock_path} ({e.strerror}); "
            "choose a writable location"
        ) from None
    # One lock object per path and process (is_singleton): two caches on one file in one
    # thread nest instead of deadlocking; other threads still wait (thread_local contexts).
    return FileLock(lock_path, mode=0o600, is_singleton=True)


def acquire(lock: BaseFileLock, timeout: float) -> None:
    """Take ``lock`` within ``timeout`` seconds (negative: wait forever).

    Raises:
        LockingError: another holder kept it longer than ``timeout``.
        StoreError: the lock file cannot be used.
    """
    from filelock import Timeout

    try:
        lock.acquire(timeout=timeout)
    except Timeout:
        raise LockingError(
            f"another process has held {lock.lock_file} for over {timeout:g} s; wait and try "
            "again, or raise the timeout (the lock frees itself when its holder exits)"
        ) from None
    except OSError as e:
        raise StoreError(
            f"cannot use the lock file {lock.lock_file} ({e.strerror}); "
            "check the folder's permissions"
        ) from None
