"""Fault injection in front of every emulator: latency, error statuses, dropped connections,
rate limits.

A fault spec (JSON, via ``POST /_sandbox/faults``)::

    {"service": "ovh",                # optional: only requests under /ovh (default: every service)
     "path_prefix": "/ovh/1.0/me",    # optional: only paths starting with this
     "latency_ms": 250,               # delay before anything else happens
     "status": 503,                   # answer this status with the service's JSON error body
     "drop": "before" | "mid",        # close without any answer / after headers + half the body
     "count": 2,                      # only the next N matching requests, then the spec is gone
     "rate_limit": {"per_second": 5, "burst": 2}}   # 429 + Retry-After past the limit

Invariants:
- Control routes (``/_sandbox/...``) are never faulted; with no spec active a request costs one
  attribute check.
- For each request, every matching spec adds its latency; then the *first* matching spec with a
  terminal effect (rate limit exceeded, status, drop) decides the answer; later specs are not
  consulted for it. A spec's ``count`` (and ``applied``) moves each time it is consulted: its
  latency applied, or it was checked before any terminal decision was made.
- Rate limits keep one token bucket per caller (``Emulator.rate_key``: the OVH consumer key …)
  per spec; buckets use the monotonic clock.
- ``drop: "before"`` never runs the emulator (the request is lost); ``drop: "mid"`` runs it (the
  state change happens) and loses the answer half-way, like a connection cut in transit.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import math
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from tether.core.ratelimit import TokenBucket
from tether.sandbox.connections import ConnectionRegistry
from tether.sandbox.registry import Emulator, RawResponse

_FIELDS = {"service", "path_prefix", "latency_ms", "status", "drop", "count", "rate_limit"}
#: Dropping a connection waits at most this long for the server to notice before returning.
_DISCONNECT_WAIT = 5.0


class FaultSpecError(ValueError):
    """A fault spec that cannot be applied; the message says which field is wrong."""


@dataclass
class Fault:
    fault_id: int
    service: str | None = None
    path_prefix: str | None = None
    latency_ms: float = 0.0
    status: int | None = None
    drop: str | None = None
    remaining: int | None = None
    rate: tuple[float, float] | None = None  # (per_second, burst)
    applied: int = 0
    buckets: dict[str, TokenBucket] = field(default_factory=dict)

    def matches(self, service: str, path: str) -> bool:
        if self.service is not None and self.service != service:
            return False
        return self.path_prefix is None or path.startswith(self.path_prefix)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.fault_id,
            "service": self.service,
            "path_prefix": self.path_prefix,
            "latency_ms": self.latency_ms,
            "status": self.status,
            "drop": self.drop,
            "count": self.remaining,
            "rate_limit": None
            if self.rate is None
            else {"per_second": self.rate[0], "burst": self.rate[1]},
            "applied": self.applied,
        }


#: Largest latency a spec may add (an hour): beyond any client timeout, short of an overflow.
MAX_LATENCY_MS = 3_600_000.0
#: Largest rate (calls per second) or burst a rate limit may allow, and largest count.
MAX_RATE = 1e6
MAX_COUNT = 10**9


def _number(
    spec: Mapping[str, Any], name: str, *, minimum: float = 0.0, maximum: float
) -> float | None:
    value = spec.get(name)
    if value is None:
        return None
    # NaN compares false with everything and Infinity is no JSON number: both refused here, as
    # a stored one would fail every later answer (and asyncio.sleep) on this path.
    if (
        isinstance(value, bool)
        or not isinstance(value, int | float)
        or not minimum <= value <= maximum
    ):
        raise FaultSpecError(
            f"{name} must be a number in {minimum:.15g}..{maximum:.15g}, got {_show(value)}"
        )
    return float(value)


def _show(value: object) -> str:
    if isinstance(value, dict | list):
        return "an object" if isinstance(value, dict) else "an array"
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) >= 10**30:
        return "an integer of more than 30 digits"
    text = repr(value)
    return text if len(text) <= 40 else text[:40] + "…"


def parse_fault(spec: object, fault_id: int, services: frozenset[str]) -> Fault:
    """Validate one JSON fault spec.

    Raises:
        FaultSpecError: unknown field, wrong type or value.
    """
    if not isinstance(spec, dict):
        raise FaultSpecError("a fault spec must be a JSON object")
    unknown = sorted(set(spec) - _FIELDS)
    if unknown:
        raise FaultSpecError(f"unknown fault field(s): {', '.join(unknown)}")
    service = spec.get("service")
    if service is not None and (not isinstance(service, str) or service not in services):
        raise FaultSpecError(
            f"service must be one of {', '.join(sorted(services))}, got {_show(service)}"
        )
    prefix = spec.get("path_prefix")
    if prefix is not None and (not isinstance(prefix, str) or not prefix.startswith("/")):
        raise FaultSpecError("path_prefix must be a path starting with '/'")
    status = spec.get("status")
    if status is not None and (
        isinstance(status, bool) or not isinstance(status, int) or not 200 <= status <= 599
    ):
        raise FaultSpecError(f"status must be an integer in 200..599, got {_show(status)}")
    drop = spec.get("drop")
    if drop is not None and drop not in ("before", "mid"):
        raise FaultSpecError(f"drop must be 'before' or 'mid', got {_show(drop)}")
    count = spec.get("count")
    if count is not None and (
        isinstance(count, bool) or not isinstance(count, int) or not 1 <= count <= MAX_COUNT
    ):
        raise FaultSpecError(f"count must be an integer in 1..{MAX_COUNT}, got {_show(count)}")
    rate = None
    if spec.get("rate_limit") is not None:
        limit = spec["rate_limit"]
        if not isinstance(limit, dict) or set(limit) - {"per_second", "burst"}:
            raise FaultSpecError("rate_limit must be {'per_second': x, 'burst': n}")
        per_second = _number(limit, "per_second", minimum=1e-6, maximum=MAX_RATE)
        if per_second is None:
            raise FaultSpecError("rate_limit.per_second is required")
        burst = _number(limit, "burst", minimum=1.0, maximum=MAX_RATE)
        rate = (per_second, burst if burst is not None else 1.0)
    latency = _number(spec, "latency_ms", maximum=MAX_LATENCY_MS) or 0.0
    if not (latency or status or drop or rate):
        raise FaultSpecError("a fault needs latency_ms, status, drop or rate_limit")
    return Fault(fault_id, service, prefix, latency, status, drop, count, rate)


class FaultBook:
    """The active fault specs of one sandbox app (mutated only on the loop thread)."""

    def __init__(self, services: frozenset[str]) -> None:
        self.services = services
        self.faults: list[Fault] = []
        self._ids = itertools.count(1)

    def add(self, spec: object) -> Fault:
        fault = parse_fault(spec, next(self._ids), self.services)
        self.faults.append(fault)
        return fault

    def remove(self, fault_id: int) -> bool:
        before = len(self.faults)
        self.faults = [f for f in self.faults if f.fault_id != fault_id]
        return len(self.faults) != before

    def clear(self) -> None:
        self.faults = []

    def to_json(self) -> list[dict[str, Any]]:
        return [f.to_json() for f in self.faults]


def generic_error(status: int) -> RawResponse:
    """Error answer for paths that belong to no emulator."""
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "Error"
    body = json.dumps({"message": phrase}).encode()
    return status, [(b"content-type", b"application/json")], body


class FaultInjector:
    """ASGI middleware applying the ``FaultBook`` to every non-control request."""

    def __init__(
        self,
        app: ASGIApp,
        book: FaultBook,
        emulators: Mapping[str, Emulator],
        connections: ConnectionRegistry,
    ) -> None:
        self.app = app
        self.book = book
        self.emulators = emulators
        self.connections = connections

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self.book.faults or scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if path.startswith("/_sandbox"):
            await self.app(scope, receive, send)
            return
        service = path.split("/", 2)[1] if path.count("/") else ""
        emulator = self.emulators.get(service)
        latency = 0.0
        decision: tuple[str, Fault, float] | None = None
        for fault in list(self.book.faults):
            if not fault.matches(service, path):
                continue
            latency += fault.latency_ms
            consulted = bool(fault.latency_ms) or decision is None
            if decision is None:
                if fault.rate is not None:
                    key = emulator.rate_key(scope) if emulator else str(scope.get("client"))
                    bucket = fault.buckets.get(key)
                    if bucket is None:
                        bucket = fault.buckets[key] = TokenBucket(*fault.rate)
                    now = time.monotonic()
                    if not bucket.try_acquire(now):
                        decision = ("rate", fault, bucket.retry_after(now))
                if decision is None and fault.drop is not None:
                    decision = ("drop_" + fault.drop, fault, 0.0)
                elif decision is None and fault.status is not None:
                    decision = ("status", fault, 0.0)
            if not consulted:
                continue
            fault.applied += 1
            if fault.remaining is not None:
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.book.faults.remove(fault)
        if latency:
            await asyncio.sleep(latency / 1000)
        if decision is None:
            await self.app(scope, receive, send)
            return
        kind, fault, wait = decision
        if kind == "drop_before":
            await self._close(scope, receive)
            return
        if kind == "drop_mid":
            await self._drop_mid(scope, receive, send, emulator, fault.status)
            return
        status = 429 if kind == "rate" else (fault.status or 500)
        response = self._error(emulator, status)
        if status == 429:
            # Retry-After is delta-seconds, an integer (RFC 9110 §10.2.3): round up.
            retry = str(max(1, math.ceil(wait))).encode()
            response = (response[0], [*response[1], (b"retry-after", retry)], response[2])
        await _send_raw(send, response)

    @staticmethod
    def _error(emulator: Emulator | None, status: int) -> RawResponse:
        return emulator.error_response(status) if emulator else generic_error(status)

    async def _close(self, scope: Scope, receive: Receive) -> None:
        """Close the client's connection now and wait until the server has noticed."""
        transport = self.connections.get(scope.get("client"))
        if transport is None:
            # Not under our uvicorn protocol (another server, an in-process test client):
            # there is no way to close without answering; say so loudly.
            raise RuntimeError("drop faults need the tether sandbox server (tether.sandbox)")
        transport.close()
        # Only return once uvicorn has seen the disconnect: returning earlier would make it
        # answer "500 Internal Server Error" on what it still believes is a live connection.
        with contextlib.suppress(asyncio.TimeoutError):  # uvicorn always reports the close
            await asyncio.wait_for(_until_disconnect(receive), _DISCONNECT_WAIT)

    async def _drop_mid(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        emulator: Emulator | None,
        status: int | None,
    ) -> None:
        """Send the status line, headers (with the full Content-Length) and half the body of
        the real answer (or of ``status``'s error answer), then close the connection."""
        if status is not None:
            response = self._error(emulator, status)
        else:
            start: Message = {}
            chunks: list[bytes] = []

            async def capture(message: Message) -> None:
                if message["type"] == "http.response.start":
                    start.update(message)
                elif message["type"] == "http.response.body":
                    chunks.append(message.get("body", b""))

            await self.app(scope, receive, capture)
            response = (start.get("status", 500), list(start.get("headers", [])), b"".join(chunks))
        code, headers, body = response
        # A body too short to cut still gets a Content-Length promising more than is sent.
        declared = len(body) if len(body) >= 2 else len(body) + 64
        headers = [(k, v) for k, v in headers if k.lower() != b"content-length"]
        headers.append((b"content-length", str(declared).encode()))
        await send({"type": "http.response.start", "status": code, "headers": headers})
        await send(
            {"type": "http.response.body", "body": body[: len(body) // 2], "more_body": True}
        )
        await self._close(scope, receive)


async def _until_disconnect(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _send_raw(send: Send, response: RawResponse) -> None:
    status, headers, body = response
    headers = [*headers, (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
