"""FlickrAPI's token cache (flickr.md §7.1): ``TokenCache`` / ``LockingTokenCache``.

The layout: ``<path>/<api_key>/auth.token``, or ``auth-<username>.token``, with ``path``
defaulting to ``~/.flickr`` and settable at any time (the seed's ``flickr.token.path = …``).

Where tokens of other servers go. A token is good only at the server that issued it, so
tokens from anything that is not real Flickr (the sandbox, a proxy or emulator given as
``rest_url=``) never share a file with real ones: under the default ``~/.flickr`` they live in
``~/.flickr/<api_key>@<host>:<port>/`` (the ``:`` written ``%3A``, as every name here is
escaped), e.g. ``~/.flickr/7f3c…a8e3@127.0.0.1%3A8765/oauth.token`` for a sandbox on port
8765. Real Flickr's paths (``*.flickr.com``, any scheme or port) are unchanged:
``~/.flickr/<api_key>/``. A ``path`` the user chooses (at construction or later) is laid out
exactly as FlickrAPI lays it out, ``<path>/<api_key>/``, whatever the server: choosing a
folder for a server keeps it apart already, and the seed's layout is a promise. The scheme is
not part of the key: one host and port serve one scheme at a time.

Invariants:
- The path is computed on every access (``path`` may change at any time) and every read goes
  to the file, so a token saved by another process is seen at the next access.
- Every name in the path is escaped (``paths.escape_name``); bad names fail at construction.
- ``LockingTokenCache`` holds a ``filelock`` lock file beside the token for every write and
  delete, and for as long as the caller wants (``with cache:``), re-entrantly: a
  read-check-replace sequence in one process cannot interleave with another's. Plain reads
  need no lock (files are replaced whole) and so never create folders or lock files.
- Reprs show the token's path, never the token.
"""

from __future__ import annotations

import contextlib
import os
import threading
import warnings
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit

from tether.core.errors import UsageError
from tether.store.locking import DEFAULT_LOCK_TIMEOUT, acquire, file_lock
from tether.store.paths import escape_name
from tether.store.tokenfile import TokenFile

if TYPE_CHECKING:
    from filelock import BaseFileLock

__all__ = ["DEFAULT_FLICKR_PATH", "LockingTokenCache", "TokenCache"]

DEFAULT_FLICKR_PATH: Final = "~/.flickr"


class TokenCache:
    """FlickrAPI's on-disk token cache (flickr.md §7.1).

    The token lives in ``<path>/<api_key>/auth.token``, or ``auth-<username>.token`` with a
    username, ``path`` defaulting to ``~/.flickr``; for a server other than real Flickr
    (``origin``) and the default path, in ``~/.flickr/<api_key>@<origin>/`` (see the module
    docstring). ``path`` can be changed at any time
    (``cache.path = …``; through the client also ``flickr.token.path = …``, as the seed
    writes it); it is looked up on every access. ``token`` reads, assigns and ``del``-etes the
    stored token; assigning ``None`` deletes it too.

    Every read goes to the file (about 15 µs), so a token saved by another process is seen
    at the next access. (Remembering the token until the file's ``stat`` changes was tried
    and dropped: inode numbers are reused at once and modification times are only as fine
    as the kernel's tick, so two saves in a few milliseconds can look alike.)

    Args:
        api_key: the application's key; names the folder.
        username: keeps tokens of several accounts apart (FlickrAPI's lookup key).
        path: the base folder (``~`` expanded when used).
        origin: the server the tokens are for, as ``origin_of(rest_url)`` gives it;
            ``None`` (the default) for real Flickr.

    Raises:
        UsageError: ``api_key`` is empty, or ``username`` or ``origin`` is not text (there
            would be no file to name).
    """

    def __init__(
        self,
        api_key: str,
        username: str | None = None,
        path: str | os.PathLike[str] | None = None,
        *,
        origin: str | None = None,
    ) -> None:
        escape_name(api_key, "the API key")  # fail at construction, not at the first read
        if username:
            escape_name(username, "the user name")
        if origin is not None:
            escape_name(origin, "the server's origin")
        self.api_key = api_key
        self.username = username or None
        self.origin = origin
        self._path: str | os.PathLike[str] = DEFAULT_FLICKR_PATH
        self._path_chosen = False
        self._escaped = ("", "")  # (folder name, escaped), see token_path
        if path is not None:
            self.path = path

    @property
    def path(self) -> str | os.PathLike[str]:
        """The base folder (default ``~/.flickr``); assigning one makes it the user's choice,
        laid out ``<path>/<api_key>/`` whatever the ``origin``."""
        return self._path

    @path.setter
    def path(self, value: str | os.PathLike[str]) -> None:
        self._path = value
        self._path_chosen = True

    @staticmethod
    def origin_of(url: str) -> str | None:
        """Which server a REST endpoint is, for keying its tokens: ``None`` for real Flickr
        (``flickr.com`` and its subdomains), else ``host:port`` (host lower-cased, the port
        explicit, an IPv6 host in brackets). Never raises: text that is no URL is its own
        key (no token can come from it anyway)."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
            port = parts.port
        except ValueError:  # a port out of range or not a number
            return url or None
        if not host:
            return url or None
        if host == "flickr.com" or host.endswith(".flickr.com"):
            return None
        if port is None:
            port = 443 if parts.scheme.lower() == "https" else 80
        shown = f"[{host}]" if ":" in host else host
        return f"{shown}:{port}"

    def token_path(self) -> str:
        """The full path of the token file, as it is now."""
        name = (
            f"auth-{escape_name(self.username, 'the user name')}.token"
            if self.username
            else "auth.token"
        )
        base = os.path.expanduser(os.fspath(self._path))
        folder = self.api_key
        if self.origin is not None and not self._path_chosen:
            folder = f"{self.api_key}@{self.origin}"
        if self._escaped[0] != folder:  # every read names the file: escape once per name
            self._escaped = (folder, escape_name(folder, "the API key"))
        return os.path.join(base, self._escaped[1], name)

    def _file(self) -> TokenFile:
        return TokenFile(self.token_path())

    def _guard(self) -> contextlib.AbstractContextManager[object]:
        """What every access holds: nothing here; the lock in ``LockingTokenCache``."""
        return contextlib.nullcontext()

    @property
    def token(self) -> str | None:
        """The stored token, or ``None``; assign to save, ``del`` (or assign ``None``) to remove.

        Reading takes no lock, even in ``LockingTokenCache``: every save replaces the file
        whole, so a reader sees the old token or the new one, never a mix.

        Raises:
            StoreError: the file cannot be read or written (on assignment, the previous token
                stays).
            LockingError: (``LockingTokenCache``, on assignment) the lock was not had within
                ``timeout``.
        """
        return self._file().get()

    @token.setter
    def token(self, value: str | None) -> None:
        with self._guard():
            if value is None:
                self._file().delete()
            else:
                self._file().set(value)

    @token.deleter
    def token(self) -> None:
        self.forget()

    def forget(self) -> None:
        """Remove the stored token (no error if there is none).

        Raises:
            StoreError: the file exists but cannot be removed.
            LockingError: (``LockingTokenCache``) the lock was not had within ``timeout``.
        """
        with self._guard():
            self._file().delete()

    def __repr__(self) -> str:
        try:
            where = self.token_path()
        except UsageError:
            where = f"{os.fspath(self.path)}, api_key={self.api_key!r}"
        return f"{type(self).__name__}({where!r})"


class LockingTokenCache(TokenCache):
    """``TokenCache`` for several processes sharing one key (the seed: "only one process at the
    time can use the token cache").

    Every write and delete holds the lock file beside the token (``auth.token.lock``); a read
    needs no lock, since a save replaces the file whole.
    To keep the token to yourself across several steps (read it, check it with Flickr, replace
    it), hold the lock longer with ``with cache:`` or ``acquire()`` / ``release()``; the lock is
    re-entrant, so ``cache.token`` works inside. The lock frees itself if the process dies.

    Args:
        api_key: the application's key.
        username: keeps tokens of several accounts apart.
        path: the base folder (default ``~/.flickr``).
        timeout: seconds to wait for another holder before ``LockingError``.
        origin: the server the tokens are for (``TokenCache.origin_of``); ``None``: Flickr.
    """

    def __init__(
        self,
        api_key: str,
        username: str | None = None,
        path: str | os.PathLike[str] | None = None,
        timeout: float = DEFAULT_LOCK_TIMEOUT,
        *,
        origin: str | None = None,
    ) -> None:
        super().__init__(api_key, username, path, origin=origin)
        self.timeout = timeout
        # The locks each thread holds, innermost last: release() frees the one acquire() took
        # even if `path` changed in between. Per thread, like filelock's own lock state.
        self._local = threading.local()

    @property
    def _held(self) -> list[BaseFileLock]:
        held: list[BaseFileLock] | None = getattr(self._local, "held", None)
        if held is None:
            held = self._local.held = []
        return held

    def lock_path(self) -> str:
        """The lock file's path, as it is now (beside the token file)."""
        return self.token_path() + ".lock"

    def acquire(self, timeout: float | None = None) -> None:
        """Take the lock (re-entrant); every ``acquire`` needs one ``release``.

        Args:
            timeout: seconds to wait; default the cache's ``timeout``.

        Raises:
            LockingError: another holder kept it longer than ``timeout``.
            StoreError: the lock file cannot be created.
        """
        lock = file_lock(self.lock_path())
        acquire(lock, self.timeout if timeout is None else timeout)
        self._held.append(lock)

    def release(self) -> None:
        """Give back the innermost ``acquire``; warns (as FlickrAPI did) if nothing is held."""
        if not self._held:
            warnings.warn(
                f"release() of {self.lock_path()} without acquire()", RuntimeWarning, stacklevel=2
            )
            return
        self._held.pop().release()

    @property
    def locked(self) -> bool:
        """Whether this thread holds the lock through this object now."""
        return bool(self._held)

    def __enter__(self) -> LockingTokenCache:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _guard(self) -> contextlib.AbstractContextManager[object]:
        return self  # every write and delete holds the lock (re-entrant)
