"""The RPC kit: what facades of method-call APIs share (Flickr now; VK and Ipernity next).

Such an API is one endpoint and a method name per call (``flickr.photos.search``,
``users.get``, ``photos.getInfo``). The kit gives a facade:
- ``MethodProxy``: ``api.photos.search(...)`` builds the dotted name one attribute at a time
  and calls the facade's ``call(name, **params)``; names starting with ``_`` are not methods
  (so ``copy``, ``pickle`` and ``hasattr(api, "_x")`` behave);
- ``encode_value``: the common argument encoding (booleans ``1``/``0``, lists comma-joined,
  bytes as UTF-8, everything else ``str``); a service with its own rule wraps it;
- ``cache_get`` / ``cache_set``: a response cache reached without blocking the event loop
  (below);
- ``poll``: a status poll ("done after n polls") as a flow of ``Sleep`` effects, for upload
  tickets and other jobs the server finishes later.

What is a read, for retrying and for caching alike, is one ``tether.core.cache.ReadRule``
per service, declared in its ``spec.py``.

Invariants:
- A cache lookup or store never blocks the event loop: a cache that says it never blocks
  (``nonblocking = True``, as ``SimpleCache`` does: a dict under a lock) is called inline;
  any other (a Django cache on memcached or a database) is called through a ``Blocking``
  effect, which the async driver runs in a worker thread and the sync driver calls in place.
- ``poll`` sleeps through the driver (``Sleep``), never ``time.sleep``: the async twin waits
  without holding the loop, and by-hand drives run it instantly.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any, TypeVar

from tether.core.flow import Blocking, Flow, Sleep

__all__ = ["MethodProxy", "cache_get", "cache_set", "encode_value", "poll"]

T = TypeVar("T")


class MethodProxy:
    """A callable method name: ``proxy.b.c`` is the proxy of ``"<name>.b.c"``; calling it is
    ``call(name, **params)``."""

    __slots__ = ("_call", "_kind", "_name")

    def __init__(self, call: Callable[..., Any], name: str, kind: str) -> None:
        self._call = call
        self._name = name
        self._kind = kind  # how the repr names the service: "<Flickr method flickr.x.y>"

    def __getattr__(self, part: str) -> MethodProxy:
        if part.startswith("_"):
            raise AttributeError(part)
        return MethodProxy(self._call, f"{self._name}.{part}", self._kind)

    def __call__(self, **params: Any) -> Any:
        return self._call(self._name, **params)

    def __repr__(self) -> str:
        return f"<{self._kind} method {self._name}>"


def encode_value(value: Any, sep: str = ",") -> str:
    """One argument as the text RPC APIs expect: ``True``/``False`` as ``1``/``0``, bytes as
    UTF-8, a list, tuple or set joined with ``sep``, anything else ``str(value)``."""
    if value is True:
        return "1"
    if value is False:
        return "0"
    if isinstance(value, bytes):
        return value.decode("utf-8")
    if isinstance(value, (list, tuple, set, frozenset)):
        return sep.join(encode_value(v, sep) for v in value)
    return str(value)


def cache_get(cache: Any, key: Hashable) -> Flow[Any]:
    """``cache.get(key)`` (``None`` when absent), off the event loop unless it never blocks."""
    if getattr(cache, "nonblocking", False):
        return cache.get(key)
    value = yield Blocking(lambda: cache.get(key))
    return value


def cache_set(cache: Any, key: Hashable, value: Any) -> Flow[None]:
    """``cache.set(key, value)``, off the event loop unless it never blocks."""
    if getattr(cache, "nonblocking", False):
        cache.set(key, value)
        return
    yield Blocking(lambda: cache.set(key, value))


def poll(
    check: Callable[[], Flow[T | None]],
    *,
    interval: float,
    max_polls: int,
    what: str,
    pending: Callable[[str], BaseException] = TimeoutError,
) -> Flow[T]:
    """Call ``check()`` until it returns a value (not ``None``), sleeping ``interval`` between
    polls; ``check`` raises for a job that failed.

    Raises:
        pending(message): still pending after ``max_polls`` polls (``TimeoutError`` unless the
            service has its own class); ``what`` names the job in the message.
    """
    for n in range(max_polls):
        if n:
            yield Sleep(interval)
        result = yield from check()
        if result is not None:
            return result
    raise pending(f"{what} still pending after {max_polls} polls")
