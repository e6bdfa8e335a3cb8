"""Response caching: ``SimpleCache`` (in memory) and the rules for what may be cached.

The cache object has the Django low-level cache interface (``get``, ``set``, ``add``,
``delete``, ``has_key``, ``in``, ``get_many``, ``set_many``, ``delete_many``, ``clear``), so a
Django cache (or anything shaped like it) can be plugged in instead.

The rule: only reads are served from a cache. A call is cacheable when its method name says
it reads (its last part starts with ``get``, ``search``, ``find``, ``lookup``, ``echo`` or
``check``, e.g. ``flickr.photos.search``, ``flickr.photosets.getList``) and is not part of
authentication (``*.auth.*`` calls create or check credentials and must always reach the
service). Anything that changes something (``setMeta``, ``delete``, ``add…``, uploads) is
never answered from the cache. Keys include who is asking, so users never share entries.

Invariants:
- Keys never contain secrets: signatures, nonces, timestamps and tokens are left out of the
  key material (the caller passes an identity that is not itself a secret).
- The clock is injected; expiry is checked on read; when full, expired entries go first,
  then the oldest third.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any

_READ_PREFIXES = ("get", "search", "find", "lookup", "echo", "check")
_VOLATILE = frozenset(
    {
        "api_sig",
        "auth_token",
        "oauth_token",
        "oauth_signature",
        "oauth_nonce",
        "oauth_timestamp",
        "access_token",
        "sig",
        "timestamp",
        "nonce",
    }
)

_MISSING = object()


def is_cacheable(method: str) -> bool:
    """Whether answers of ``method`` may be served from a cache (see the module rule)."""
    parts = method.split(".")
    if "auth" in parts[:-1]:
        return False
    return parts[-1].lower().startswith(_READ_PREFIXES)


def cache_key(service: str, method: str, params: Mapping[str, str], identity: str = "") -> str:
    """A stable key for a call: service, method, sorted non-secret params, who asked."""
    h = hashlib.sha256()
    for part in (service, method, identity):
        h.update(part.encode())
        h.update(b"\0")
    for name in sorted(params):
        if name in _VOLATILE:
            continue
        h.update(name.encode())
        h.update(b"=")
        h.update(str(params[name]).encode())
        h.update(b"\0")
    return f"tether:{service}:{method}:{h.hexdigest()[:32]}"


class SimpleCache:
    """In-memory cache with per-entry timeouts and a size bound; thread-safe.

    Args:
        timeout: default seconds an entry lives.
        max_entries: entries kept at most.
        clock: seconds, monotonic (injectable for tests).
    """

    def __init__(
        self,
        timeout: float = 300,
        max_entries: int = 200,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be at least 1")
        self.default_timeout = timeout
        self.max_entries = max_entries
        self._clock = clock
        self._data: OrderedDict[Any, tuple[float, Any]] = OrderedDict()
        self._lock = threading.RLock()

    def _alive(self, key: Any) -> tuple[float, Any] | None:
        entry = self._data.get(key)
        if entry is None:
            return None
        if entry[0] <= self._clock():
            del self._data[key]
            return None
        return entry

    def get(self, key: Any, default: Any = None) -> Any:
        with self._lock:
            entry = self._alive(key)
            return default if entry is None else entry[1]

    def set(self, key: Any, value: Any, timeout: float | None = None) -> None:
        with self._lock:
            if key not in self._data and len(self._data) >= self.max_entries:
                self._cull()
            ttl = self.default_timeout if timeout is None else timeout
            self._data[key] = (self._clock() + ttl, value)
            self._data.move_to_end(key)

    def add(self, key: Any, value: Any, timeout: float | None = None) -> bool:
        """Set only if absent (or expired); returns whether it was set."""
        with self._lock:
            if self._alive(key) is not None:
                return False
            self.set(key, value, timeout)
            return True

    def delete(self, key: Any) -> None:
        with self._lock:
            self._data.pop(key, None)

    def has_key(self, key: Any) -> bool:
        with self._lock:
            return self._alive(key) is not None

    __contains__ = has_key

    def get_many(self, keys: Iterable[Any]) -> dict[Any, Any]:
        with self._lock:
            out = {}
            for k in keys:
                v = self.get(k, _MISSING)
                if v is not _MISSING:
                    out[k] = v
            return out

    def set_many(self, mapping: Mapping[Any, Any], timeout: float | None = None) -> list[Any]:
        with self._lock:
            for k, v in mapping.items():
                self.set(k, v, timeout)
        return []

    def delete_many(self, keys: Iterable[Any]) -> None:
        with self._lock:
            for k in keys:
                self._data.pop(k, None)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()

    def __len__(self) -> int:
        with self._lock:
            now = self._clock()
            return sum(1 for exp, _ in self._data.values() if exp > now)

    def _cull(self) -> None:
        now = self._clock()
        for k in [k for k, (exp, _) in self._data.items() if exp <= now]:
            del self._data[k]
        if len(self._data) >= self.max_entries:
            for _ in range(max(1, len(self._data) // 3)):
                self._data.popitem(last=False)

    def __repr__(self) -> str:
        return (
            f"SimpleCache({len(self)}/{self.max_entries} entries, timeout={self.default_timeout})"
        )
