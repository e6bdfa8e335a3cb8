"""Response caching: ``SimpleCache`` (in memory), cache keys, and the rule for what may be cached.

``SimpleCache`` has the Django low-level cache interface (``get``, ``set``, ``add``,
``get_or_set``, ``touch``, ``delete``, ``has_key``, ``in``, ``get_many``, ``set_many``,
``delete_many``, ``incr``, ``decr``, ``clear``, ``close``), so a Django cache, or anything
shaped like it, can be plugged in instead (the FlickrAPI manual promises exactly that).

What is a read (``ReadRule``): each RPC service declares one rule in its ``spec.py`` and uses
it twice, for retrying (a read is idempotent) and for caching (a read may be served from a
cache unless its answer changes by design). RPC APIs name their methods
``<area>.<verb…>`` (``flickr.photos.search``, VK's ``users.get``): a method is a read when its
last segment is a verb of looking, as a whole camel-case word: ``get…`` (``getInfo``,
``getList``), ``search``, ``find…``, ``lookup…``, ``echo``, ``check…``; plus the reads whose
names do not say so, which the service lists (Flickr's ``photos.recentlyUpdated``). Never
cached, though reads:

- anything under an ``auth`` segment (``flickr.auth.getToken``, ``flickr.auth.oauth.checkToken``
  …): these make, exchange or check credentials, and a stale "token is valid" is exactly the
  wrong answer;
- ``check…`` verbs and the polls a service lists (``flickr.photos.upload.checkTickets``,
  ``flickr.test.login``): their whole point is the current state;
- every write: ``set…``, ``add…``, ``remove…``, ``delete``, ``create``, ``edit…``, uploads and
  replaces (not method calls at all), and any verb not listed above.

Keys (``cache_key``): service, method, the parameters sorted by name, and who is asking.
Parameters that differ on every call for the same question (nonces, timestamps, signatures)
are left out, or nothing would ever hit; credentials (tokens) are left out of the key material
too and only a digest of them stands for "who is asking", so users never share entries and
no key ever contains a secret.

Invariants:
- The clock is injected (``clock=``); expiry is checked on every read.
- When full, an insert first drops expired entries, then the oldest ``1/cull_frequency`` of
  the rest (oldest = least recently set).
- Every method holds one re-entrant lock: the cache can be shared by threads.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any, Final

__all__ = [
    "CREDENTIAL_PARAMS",
    "VOLATILE_PARAMS",
    "ReadRule",
    "SimpleCache",
    "cache_key",
]

# --- what is a read -----------------------------------------------------------------------

# A read verb, as a whole camel-case word: "getInfo" and "get" yes, "getaway" no.
_READ_VERB = re.compile(r"(?:get|search|find|lookup|echo|check)(?:[A-Z0-9_]|$)")
_CHECK_VERB = re.compile(r"check(?:[A-Z0-9_]|$)")


class ReadRule:
    """One service's rule for which methods are reads (see the module docstring).

    Args:
        prefix: the namespace every method name has and users may leave out (``"flickr."``).
        extra_reads: reads whose names do not say so, full names.
        volatile: reads whose answer changes by design: retried, never cached.
    """

    __slots__ = ("_extra", "_prefix", "_volatile")

    def __init__(
        self, prefix: str = "", extra_reads: Iterable[str] = (), volatile: Iterable[str] = ()
    ) -> None:
        self._prefix = prefix
        self._extra = frozenset(extra_reads)
        self._volatile = frozenset(volatile)

    def _full(self, method: str) -> str:
        p = self._prefix
        return method if not p or method.startswith(p) else p + method

    def is_read(self, method: str) -> bool:
        """Whether ``method`` only reads: sending it twice acts no more than once (retries)."""
        if not isinstance(method, str) or not method:
            return False
        full = self._full(method)
        if full in self._extra or full in self._volatile:
            return True
        return _READ_VERB.match(full.rsplit(".", 1)[-1]) is not None

    def cacheable(self, method: str) -> bool:
        """Whether answers of ``method`` may be served from a cache: reads, except credentials,
        ``check…`` verbs and the volatile ones."""
        if not self.is_read(method):
            return False
        full = self._full(method)
        if full in self._volatile:
            return False
        parts = full.split(".")
        if "auth" in parts[:-1]:
            return False
        return _CHECK_VERB.match(parts[-1]) is None

    def __repr__(self) -> str:
        return f"ReadRule(prefix={self._prefix!r})"


# --- keys -----------------------------------------------------------------------------------

# Different on every call for the same question; also never secret enough to matter.
VOLATILE_PARAMS: Final = frozenset(
    {
        "api_sig",
        "sig",
        "signature",
        "oauth_signature",
        "oauth_nonce",
        "nonce",
        "oauth_timestamp",
        "timestamp",
    }
)

# Who is asking, as a secret: never key material themselves, only through a digest.
CREDENTIAL_PARAMS: Final = frozenset(
    {
        "auth_token",
        "oauth_token",
        "access_token",
        "oauth_token_secret",
        "client_secret",
        "refresh_token",
        "password",
    }
)

_SAFE_LABEL = re.compile(r"[A-Za-z0-9._-]{1,100}")


def _text(value: object) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="surrogateescape")
    return value if isinstance(value, str) else str(value)


def cache_key(
    service: str,
    method: str,
    params: Mapping[str, object],
    identity: str = "",
    *,
    exclude: Iterable[str] = (),
) -> str:
    """A stable cache key for one call.

    Two calls get the same key exactly when they ask the same service the same method with the
    same parameters (in any order) on behalf of the same caller. Nonces, timestamps and
    signatures do not count; credentials count only through a digest (see the module rule).

    Args:
        service: short service name (``"flickr"``).
        method: the method name.
        params: the call's parameters (values are compared as text).
        identity: who is asking (a user id, or a non-secret handle for the token); callers
            whose parameters carry no credentials must pass it, or users share entries.
        exclude: more parameter names to leave out (lower-case compared).

    Returns:
        ``"tether:<service>:<method>:<hex digest>"``: printable, short enough for memcached,
        free of parameter values.
    """
    skip = VOLATILE_PARAMS | {name.lower() for name in exclude} if exclude else VOLATILE_PARAMS
    fields: list[tuple[str, str]] = []
    credentials: list[tuple[str, str]] = []
    for name in sorted(params):
        lname = name.lower()
        if lname in skip:
            continue
        (credentials if lname in CREDENTIAL_PARAMS else fields).append((name, _text(params[name])))
    who = identity
    if credentials:
        secret_part = json.dumps(credentials).encode("utf-8", "surrogatepass")
        who += "#" + hashlib.sha256(secret_part).hexdigest()
    # JSON keeps the parts apart unambiguously: no choice of values can make two calls collide.
    material = json.dumps([service, method, who, fields], ensure_ascii=False, separators=(",", ":"))
    digest = hashlib.sha256(material.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    label_s = service if _SAFE_LABEL.fullmatch(service) else "x"
    label_m = method if _SAFE_LABEL.fullmatch(method) else "x"
    return f"tether:{label_s}:{label_m}:{digest}"


# --- the cache ------------------------------------------------------------------------------

_MISSING: Final = object()


def _norm(key: Any) -> Hashable:
    # FlickrAPI 2.4 cached under the parameter dict itself. An unhashable key stands for its
    # repr, a dict's items sorted first so that insertion order does not matter.
    try:
        hash(key)
    except TypeError:
        if isinstance(key, Mapping):
            try:
                return ("repr", repr(sorted(key.items())))
            except TypeError:  # names that do not sort together
                pass
        return ("repr", repr(key))
    return key  # type: ignore[no-any-return]


class SimpleCache:
    """In-memory cache with per-entry timeouts and a size bound; thread-safe.

    ``nonblocking`` tells facades it never waits on I/O (a dict under a lock), so the async
    driver calls it inline instead of in a worker thread (``tether.services.kit.rpc``).

    Timeouts are in seconds. ``timeout=None`` in ``set``/``add``/… means the cache's default
    (FlickrAPI's meaning; in Django ``None`` means "forever": pass ``math.inf`` for that here);
    a timeout of 0 or less stores nothing and removes the key (as in Django).

    Args:
        timeout: default seconds an entry lives (``None``: forever).
        max_entries: entries kept at most (>= 1).
        clock: seconds on a monotonic scale; injectable for tests.
        cull_frequency: when full, the oldest ``1/cull_frequency`` of the entries go (at least
            one); 0 empties the cache (Django's meaning).

    Raises:
        ValueError: ``max_entries`` < 1 or ``cull_frequency`` < 0.
    """

    nonblocking = True

    def __init__(
        self,
        timeout: float | None = 300,
        max_entries: int = 200,
        clock: Callable[[], float] = time.monotonic,
        cull_frequency: int = 3,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        if cull_frequency < 0:
            raise ValueError("cull_frequency must be 0 or more")
        self.default_timeout = timeout
        self.max_entries = max_entries
        self.cull_frequency = cull_frequency
        self._clock = clock
        # key -> (expires at, value), oldest set first.
        self._data: OrderedDict[Hashable, tuple[float, Any]] = OrderedDict()
        self._lock = threading.RLock()

    # -- internals (lock held) --

    def _expiry(self, timeout: float | None) -> float:
        ttl = self.default_timeout if timeout is None else timeout
        if ttl is None:  # a default of None: Django's "forever"
            return math.inf
        return self._clock() + ttl if ttl > 0 else -math.inf

    def _live(self, key: Hashable) -> tuple[float, Any] | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._data[key]
            return None
        return entry

    def _store(self, key: Hashable, value: Any, timeout: float | None) -> bool:
        expires = self._expiry(timeout)
        if expires == -math.inf:
            self._data.pop(key, None)
            return False
        if key not in self._data and len(self._data) >= self.max_entries:
            self._cull()
        self._data[key] = (expires, value)
        self._data.move_to_end(key)
        return True

    def _cull(self) -> None:
        now = self._clock()
        for k in [k for k, (exp, _) in self._data.items() if exp <= now]:
            del self._data[k]
        if len(self._data) < self.max_entries:
            return
        if self.cull_frequency == 0:
            self._data.clear()
            return
        for _ in range(max(1, len(self._data) // self.cull_frequency)):
            self._data.popitem(last=False)

    # -- the Django interface --

    def get(self, key: Any, default: Any = None) -> Any:
        """The value stored under ``key``, or ``default`` if absent or expired."""
        with self._lock:
            entry = self._live(_norm(key))
            return default if entry is None else entry[1]

    def set(self, key: Any, value: Any, timeout: float | None = None) -> None:
        """Store ``value`` under ``key`` for ``timeout`` seconds (``None``: the default)."""
        with self._lock:
            self._store(_norm(key), value, timeout)

    def add(self, key: Any, value: Any, timeout: float | None = None) -> bool:
        """Store only if ``key`` is absent (or expired).

        Returns:
            Whether the value was stored.
        """
        with self._lock:
            k = _norm(key)
            if self._live(k) is not None:
                return False
            return self._store(k, value, timeout)

    def get_or_set(self, key: Any, default: Any, timeout: float | None = None) -> Any:
        """The value under ``key``; if absent, store ``default`` (called first if callable)
        and return it."""
        k = _norm(key)
        with self._lock:
            entry = self._live(k)
            if entry is not None:
                return entry[1]
        # Computed outside the lock (as Django does): a slow default, such as the API call
        # itself, must not stall every other thread's reads.
        value = default() if callable(default) else default
        with self._lock:
            entry = self._live(k)
            if entry is not None:  # another thread stored one meanwhile: theirs stands
                return entry[1]
            self._store(k, value, timeout)
            return value

    def touch(self, key: Any, timeout: float | None = None) -> bool:
        """Give ``key`` a new expiry without changing its value.

        Returns:
            Whether the key was there to touch.
        """
        with self._lock:
            k = _norm(key)
            entry = self._live(k)
            if entry is None:
                return False
            self._store(k, entry[1], timeout)
            return True

    def delete(self, key: Any) -> bool:
        """Remove ``key``.

        Returns:
            Whether a live entry was removed.
        """
        with self._lock:
            k = _norm(key)
            alive = self._live(k) is not None
            self._data.pop(k, None)
            return alive

    def has_key(self, key: Any) -> bool:
        """Whether ``key`` holds a live (unexpired) value."""
        with self._lock:
            return self._live(_norm(key)) is not None

    def __contains__(self, key: Any) -> bool:
        return self.has_key(key)

    def get_many(self, keys: Iterable[Any]) -> dict[Any, Any]:
        """The live values among ``keys``, as a dict (absent keys are left out)."""
        with self._lock:
            out: dict[Any, Any] = {}
            for key in keys:
                value = self.get(key, _MISSING)
                if value is not _MISSING:
                    out[_norm(key)] = value  # a dict key is unhashable: it is returned normalised
            return out

    def set_many(self, mapping: Mapping[Any, Any], timeout: float | None = None) -> list[Any]:
        """``set`` every item.

        Returns:
            The keys that could not be stored: always empty for this backend (Django's shape).
        """
        with self._lock:
            for key, value in mapping.items():
                self.set(key, value, timeout)
        return []

    def delete_many(self, keys: Iterable[Any]) -> None:
        """Remove every key in ``keys``."""
        with self._lock:
            for key in keys:
                self._data.pop(_norm(key), None)

    def incr(self, key: Any, delta: int = 1) -> Any:
        """Add ``delta`` to the number under ``key``, keeping its expiry.

        Returns:
            The new value.

        Raises:
            ValueError: ``key`` is absent or expired (Django's behaviour).
        """
        with self._lock:
            k = _norm(key)
            entry = self._live(k)
            if entry is None:
                # The key is not shown: FlickrAPI-style keys are parameter dicts, tokens included.
                raise ValueError("incr/decr: the key is not in the cache (or has expired)")
            value = entry[1] + delta
            self._data[k] = (entry[0], value)
            return value

    def decr(self, key: Any, delta: int = 1) -> Any:
        """``incr(key, -delta)``.

        Raises:
            ValueError: ``key`` is absent or expired.
        """
        return self.incr(key, -delta)

    def clear(self) -> None:
        """Remove everything."""
        with self._lock:
            self._data.clear()

    def close(self) -> None:
        """Nothing to release (Django's interface has it)."""

    def __len__(self) -> int:
        with self._lock:
            now = self._clock()
            return sum(1 for exp, _ in self._data.values() if exp > now)

    def __repr__(self) -> str:
        return (
            f"SimpleCache({len(self)}/{self.max_entries} entries, timeout={self.default_timeout})"
        )
