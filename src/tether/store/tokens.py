"""Token storage for every service: in memory, or one file per token (0600, atomic, lockable).

Three layers:

- ``TokenStore`` is the protocol every service's auth code talks to: ``get(key)``,
  ``set(key, token)``, ``delete(key)``. ``MemoryTokenStore`` and ``FileTokenStore`` implement
  it; both also have a keyless form (``get()``, ``set(token)``, ``delete()``) for "the store's
  single token" (for ``FileTokenStore(path)``, the file at ``path`` itself).
- ``TokenFile`` is one token in one file; every write goes through it.
- ``TokenCache`` / ``LockingTokenCache`` are FlickrAPI's names and layout on top
  (flickr.md §7.1): ``<path>/<api_key>/auth.token``, or ``auth-<username>.token``, with ``path``
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
- A token file is only ever replaced whole: written to a temporary file in the same folder,
  fsync-ed, then ``os.replace``-d over the old one. A crash, a full disk or a failed rename
  leaves the previous token intact, and readers never see half a token.
- Files are created 0600 and the folders we create 0700: tokens are secrets. The temporary file
  is 0600 from its creation (``mkstemp``), so there is no window where the token is readable.
- Keys and user names become file names by escaping, never by trust: a key cannot name a file
  outside its folder, and names starting with ``.`` are ours (temporary and lock files).
- Surrounding whitespace is not part of a token (a file edited by hand ends with a newline).
- ``LockingTokenCache`` holds a ``filelock`` lock file beside the token for every write and
  delete, and for as long as the caller wants (``with cache:``), re-entrantly: a
  read-check-replace sequence in one process cannot interleave with another's. Plain reads
  need no lock (files are replaced whole) and so never create folders or lock files.
- Errors say which file and what to do; the token itself never appears in them.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import tempfile
import threading
import warnings
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final, Protocol, overload
from urllib.parse import urlsplit

from tether.core.errors import ConfigError, UsageError

if TYPE_CHECKING:
    from filelock import BaseFileLock

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

DEFAULT_FLICKR_PATH: Final = "~/.flickr"

# A token is a few hundred bytes at most; anything much larger at a token path is not a token,
# and reading it whole would be a way to make us allocate without bound.
MAX_TOKEN_BYTES = 64 * 1024
DEFAULT_LOCK_TIMEOUT = 60.0  # FlickrAPI 1.4's acquire(timeout=60)


class StoreError(ConfigError):
    """A token could not be read, saved or removed (permissions, full disk, not a file …).

    When saving fails, the previously stored token is still there, unchanged.
    """


class LockingError(StoreError):
    """The token's lock could not be had in time: another process (or thread) holds it."""


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


def _clean_token(token: object) -> str:
    if not isinstance(token, str):
        raise UsageError(f"a token is text (str), not {type(token).__name__}")
    cleaned = token.strip()
    if not cleaned:
        raise UsageError("a token cannot be empty; to remove one, delete it")
    return cleaned


# --- memory -------------------------------------------------------------------------------


class MemoryTokenStore:
    """Tokens kept in this object only; nothing is written anywhere.

    Args:
        tokens: initial tokens by key (``None`` as a key is the single-token slot).
    """

    def __init__(self, tokens: Mapping[str | None, str] | None = None) -> None:
        self._tokens: dict[str | None, str] = {}
        for key, token in (tokens or {}).items():
            self._tokens[key] = _clean_token(token)

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
        self._tokens[k] = _clean_token(t)

    def delete(self, key: str | None = None) -> None:
        """Forget the token under ``key``; no error if there is none."""
        self._tokens.pop(key, None)

    def __repr__(self) -> str:  # the tokens themselves are never shown
        return f"MemoryTokenStore({len(self._tokens)} token(s))"


# --- one file -----------------------------------------------------------------------------


# "\\" and ":" are escaped everywhere (not only on Windows) so a folder of tokens can move
# between systems and keep its names.
_UNSAFE_CHARS = frozenset("%/\\:")
# The common case (an API key, a user name) needs no escaping; finding that out with one
# regular-expression scan costs a fraction of the character loop (every token read names
# its file).
_NEEDS_ESCAPE = re.compile(r"[%/\\:\x00-\x1f\x7f]|^\.")


def _escape_name(text: str, what: str) -> str:
    """Text → one safe path component, injectively: ``%``, ``/``, ``\\``, ``:``, control
    characters and a leading ``.`` are percent-encoded; everything else (spaces, accents) is
    kept, so common names give the same file names FlickrAPI used."""
    if not isinstance(text, str) or not text:
        raise UsageError(f"{what} must be a non-empty string, not {text!r}")
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    out = []
    for i, ch in enumerate(text):
        if ch in _UNSAFE_CHARS or ord(ch) < 0x20 or ord(ch) == 0x7F or (i == 0 and ch == "."):
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


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


def _make_private_dir(folder: str) -> None:
    # Every folder we create gets 0700, each missing level and not only the last (makedirs
    # gives the parents 0777 minus the umask: a world-writable ~/.flickr under umask 0 would
    # let another user swap in a folder of their own). An existing folder (a home directory, a
    # folder a user made on purpose) keeps its mode: changing it is not ours to do. The token
    # file is 0600 either way.
    missing: list[str] = []
    path = os.path.abspath(folder)
    while not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for level in reversed(missing):
        try:
            os.mkdir(level, 0o700)
        except FileExistsError:
            if not os.path.isdir(level):
                raise
            continue  # another process made it first: its mode is its own
        os.chmod(level, 0o700)  # mkdir's mode is filtered by the umask


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
        data = _clean_token(token).encode("utf-8")  # before any file is touched
        folder = os.path.dirname(self.path) or "."
        try:
            _make_private_dir(folder)
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
        lock = _file_lock(self.lock_path)
        _acquire(lock, timeout)
        try:
            yield
        finally:
            lock.release()

    def __repr__(self) -> str:
        return f"TokenFile({self.path!r})"


def _file_lock(lock_path: str) -> BaseFileLock:
    from filelock import FileLock  # imported on first use: `import tether` stays light

    try:
        _make_private_dir(os.path.dirname(lock_path) or ".")
    except OSError as e:
        raise StoreError(
            f"cannot create the folder for the lock file {lock_path} ({e.strerror}); "
            "choose a writable location"
        ) from None
    # One lock object per path and process (is_singleton): two caches on one file in one
    # thread nest instead of deadlocking; other threads still wait (thread_local contexts).
    return FileLock(lock_path, mode=0o600, is_singleton=True)


def _acquire(lock: BaseFileLock, timeout: float) -> None:
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
        name = _escape_name(key, "a token key")
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


# --- FlickrAPI's layout -------------------------------------------------------------------


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
        _escape_name(api_key, "the API key")  # fail at construction, not at the first read
        if username:
            _escape_name(username, "the user name")
        if origin is not None:
            _escape_name(origin, "the server's origin")
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
            f"auth-{_escape_name(self.username, 'the user name')}.token"
            if self.username
            else "auth.token"
        )
        base = os.path.expanduser(os.fspath(self._path))
        folder = self.api_key
        if self.origin is not None and not self._path_chosen:
            folder = f"{self.api_key}@{self.origin}"
        if self._escaped[0] != folder:  # every read names the file: escape once per name
            self._escaped = (folder, _escape_name(folder, "the API key"))
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
        lock = _file_lock(self.lock_path())
        _acquire(lock, self.timeout if timeout is None else timeout)
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
