"""The time limits of async attempts, shared by both async transports (``aio.py`` on aiohttp,
``aioproto.py`` on asyncio's protocols): one loop timer for every deadline in flight
(``Deadlines``) and each attempt's deadline and read bound (``Guard``).

Invariants: nothing here imports an HTTP library; an attempt that passes its limit has its
task cancelled and says which limit it was (``Guard.error``), and the transport maps that
cancellation to ``TimeoutError``; registering and unregistering an attempt is O(1).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from typing import Any

from tether.core.errors import TimeoutError
from tether.core.messages import Request
from tether.transport.base import deadline_exceeded, where

__all__ = ["Deadlines", "Guard", "step"]


class Deadlines:
    """The deadlines of the attempts in flight on one loop, behind one loop timer.

    Invariants: the timer, when armed, is at or before the earliest registered deadline
    (``armed_at``); when it fires, every guard whose deadline is due is fired and removed,
    and the timer is re-armed at the earliest one left. A guard that finished early is only
    removed from the dict: the timer may then fire with nothing due and re-arm, once per
    earliest deadline, so a scan of the attempts in flight happens at most once per
    deadline span, never per call.
    """

    __slots__ = ("armed_at", "handle", "loop", "pending")

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.pending: dict[Guard, float] = {}  # guard -> loop time of its deadline
        self.handle: asyncio.TimerHandle | None = None
        self.armed_at = math.inf

    def add(self, guard: Guard, when: float) -> None:
        """Fire ``guard`` at loop time ``when`` (replacing its earlier time, if any)."""
        self.pending[guard] = when
        if when < self.armed_at:
            self._arm(when)

    def discard(self, guard: Guard) -> None:
        self.pending.pop(guard, None)

    def _arm(self, when: float) -> None:
        if self.handle is not None:
            self.handle.cancel()
        self.armed_at = when
        self.handle = self.loop.call_at(when, self._fire)

    def _fire(self) -> None:
        # The loop runs a timer up to its clock resolution early: what was armed is due.
        due = max(self.loop.time(), self.armed_at)
        self.handle, self.armed_at = None, math.inf
        pending = self.pending
        fired = [g for g, when in pending.items() if when <= due]
        for guard in fired:
            del pending[guard]
            guard.fire()
        if pending:
            self._arm(min(pending.values()))


class Guard:
    """The time limits of one attempt, on the loop's shared timer: its deadline (the whole
    attempt) and its read bound (``head`` seconds until the headers are in, then ``read``
    seconds for each piece of the body still to come); cancels the attempt's task when the
    nearer one passes, and says which it was (``error``)."""

    __slots__ = ("by_read", "deadlines", "end", "fired", "head", "seconds", "started", "task")

    def __init__(
        self, deadlines: Deadlines, seconds: float | None, head: float | None = None
    ) -> None:
        self.deadlines = deadlines
        self.seconds = seconds
        self.head = head
        self.task = asyncio.current_task()
        self.started = False
        self.fired = False
        self.by_read = False  # the registered time is the read bound, not the deadline
        self.end = math.inf

    def start(self) -> None:
        if not self.started:
            self.started = True
            now = self.deadlines.loop.time()
            if self.seconds is not None:
                self.end = now + self.seconds
            self._arm(now, self.head)

    def progress(self, read: float) -> None:
        """A piece of the body is awaited: at most ``read`` seconds more, within the deadline."""
        self._arm(self.deadlines.loop.time(), read)

    def _arm(self, now: float, bound: float | None) -> None:
        when, self.by_read = self.end, False
        if bound is not None and now + bound < when:
            when, self.by_read = now + bound, True
        if when != math.inf:
            self.deadlines.add(self, when)

    def error(self, request: Request) -> TimeoutError:
        if self.by_read:
            # The words aiohttp's own read timeout was mapped to (``_map_error``).
            return TimeoutError(
                f"no answer in time for {where(request)}; raise the read timeout or retry"
            )
        return deadline_exceeded(request, self.seconds or 0.0)

    def fire(self) -> None:
        self.fired = True
        if self.task is not None:
            self.task.cancel()

    def uncancel(self) -> None:
        # Python 3.11+: undo our own cancel() so an enclosing timeout or TaskGroup is not
        # confused; 3.10 has no cancel count.
        if self.task is not None and hasattr(self.task, "uncancel"):
            self.task.uncancel()

    def cancel(self) -> None:
        if self.started:
            self.deadlines.discard(self)


def step(aw: Any) -> None:
    """Run a coroutine or async generator step to its first suspension, here and now."""
    with contextlib.suppress(StopIteration):
        aw.send(None)
