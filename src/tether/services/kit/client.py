"""The client core every service facade stands on, and the sync/async twins of its life cycle.

A facade is one ``_Base`` class of the service's own logic on ``ClientCore``, and two thin
subclasses, ``class Client(_Base, SyncFacade)`` and ``class AsyncClient(_Base, AsyncFacade)``.
Every public method builds a flow and returns ``self._run(flow)``: the value on the sync
twin, an awaitable on the async one. So both share every line of behaviour.

What the core owns, once for every service:
- the retry policy (``coerce_retry``: ``True`` is the default policy, ``False``/``None`` one
  attempt and no throttle waits), the client's 429 gate (``Throttle``, one per client and
  service), the transport options and the runtime;
- the sandbox redirect (``sandbox_redirect``): ``TETHER_SANDBOX`` is read and checked in one
  place, and the sandbox's test credentials come from ``tether.sandbox.client.credentials_for``
  (known without HTTP for a sandbox started in this process, fetched once per process for
  another);
- ``_retrying``: the retrying send every call goes through.

Invariants:
- ``_start`` is called once, at the end of the facade's constructor, after the facade has
  settled its own settings; nothing is sent before the first call.
- A client sent to the sandbox trusts the sandbox's CA (``TETHER_SANDBOX_CA``) and nothing
  else changes: certificate checks stay on.
- ``SyncFacade`` and ``AsyncFacade`` differ only in the driver and in ``close`` / context
  managers; they hold no logic.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, TypeVar

from tether.core.flow import Browse, Flow, Prompt
from tether.core.messages import Request, Response
from tether.core.ratelimit import Throttle, TokenBucket
from tether.core.retry import RetryPolicy, retrying
from tether.runtime import make_runtime
from tether.transport import Timeout, transport_options

__all__ = [
    "AsyncFacade",
    "ClientCore",
    "SandboxRedirect",
    "SyncFacade",
    "coerce_retry",
    "sandbox_redirect",
]

_F = TypeVar("_F")


def coerce_retry(retry: RetryPolicy | bool | None) -> RetryPolicy:
    """A facade's ``retry=`` argument as a policy: ``True`` the default one; ``False`` or
    ``None`` a single attempt that does not wait for a throttle either."""
    if retry is True:
        return RetryPolicy()
    if retry is False or retry is None:
        return RetryPolicy(max_attempts=1, max_throttles=0)
    return retry


@dataclass(frozen=True)
class SandboxRedirect:
    """Where ``TETHER_SANDBOX`` sends a service, and the test credentials it offers.

    Attributes:
        root: the sandbox's root URL, checked, without a trailing slash.
        credentials: the service's block of ``/_sandbox/credentials`` (base URLs, keys).
        source: how ``settings()`` and ``tether config explain`` name where values came from.
    """

    root: str
    credentials: Mapping[str, Any]

    @property
    def source(self) -> str:
        return f"sandbox {self.root} (TETHER_SANDBOX)"


def sandbox_redirect(service: str, environ: Mapping[str, str]) -> SandboxRedirect | None:
    """The sandbox ``TETHER_SANDBOX`` names for ``service``, or ``None`` when it is unset.

    Raises:
        ConfigError: the variable is not a sandbox URL, no sandbox answers there, or it does
            not emulate ``service``; the message says what to do.
    """
    value = environ.get("TETHER_SANDBOX")
    if not value:
        return None
    from tether.core.errors import ConfigError
    from tether.sandbox.client import credentials_for, sandbox_root

    root = sandbox_root(value)
    creds = credentials_for(root, environ=environ)
    block = creds.get(service)
    if not isinstance(block, dict):
        raise ConfigError(
            f"TETHER_SANDBOX={root} emulates no {service} (it offers "
            f"{', '.join(sorted(creds)) or 'nothing'}); start a newer `tether sandbox`"
        )
    return SandboxRedirect(root, block)


class ClientCore:
    """What every facade has: retry policy, 429 gate, transport options, runtime.

    Subclasses (``SyncFacade`` / ``AsyncFacade``) set ``_sync``; the facade calls ``_start``
    once its own settings are known.
    """

    _sync: ClassVar[bool]
    _run: Any  # SyncRuntime.run or AsyncRuntime.run
    _runtime: Any  # SyncRuntime or AsyncRuntime
    _retry: RetryPolicy
    _throttle: Throttle

    def _start(
        self,
        *,
        transport: Any,
        timeout: Timeout,
        retry: RetryPolicy | bool | None,
        sandboxed: bool,
        environ: Mapping[str, str],
        proxy: str | None = None,
        verify: bool = True,
        ca_certs: str | None = None,
        deadline: float | None,
        max_response_bytes: int | None,
        browse: Callable[[Browse], Any] | None = None,
        prompt: Callable[[Prompt], Any] | None = None,
    ) -> None:
        self._transport_options = transport_options(
            timeout=timeout,
            proxy=proxy,
            verify=verify,
            ca_certs=ca_certs,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            # Only a client sent to the sandbox looks at TETHER_SANDBOX_CA.
            environ=environ if sandboxed else None,
        )
        self._retry = coerce_retry(retry)
        self._throttle = Throttle()  # the 429 gate: one per client and service
        self._runtime = make_runtime(
            self._sync, transport, self._transport_options, browse=browse, prompt=prompt
        )
        self._run = self._runtime.run

    def _retrying(
        self,
        build: Callable[[float], Request],
        is_transient: Callable[[Response], bool] | None = None,
        pace: TokenBucket | None = None,
    ) -> Flow[Response]:
        """``retrying`` with this client's policy and gate: ``build(now)`` signs each attempt
        afresh. Transport errors propagate; the facade maps them to its own error class."""
        # Returned, not delegated with ``yield from``: one generator layer less on every call.
        return retrying(self._retry, build, is_transient, pace, self._throttle)


class SyncFacade(ClientCore):
    """The sync twin: calls return values; ``close()`` and ``with`` release connections."""

    _sync = True

    def close(self) -> None:
        self._runtime.close()

    def __enter__(self: _F) -> _F:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class AsyncFacade(ClientCore):
    """The async twin: calls return awaitables; ``await close()`` and ``async with``."""

    _sync = False

    async def close(self) -> None:
        await self._runtime.aclose()

    async def __aenter__(self: _F) -> _F:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()
