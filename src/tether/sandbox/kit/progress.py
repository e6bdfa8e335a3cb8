"""Status progressions: a job an emulator reports on when polled, done after n polls, or failed
when the test asked for the next k jobs to fail (Flickr's async upload tickets today; Vimeo's
transcodes and VK's upload servers can take the same shape; moto's ``ManagedState`` is the
model).

Invariants:
- Time plays no part: a job moves only when it is polled, so a test sets ``done_after`` and
  polls exactly that many times, without sleeping.
- A job's fate (done or failed) is fixed when it starts (``Schedule.start``); how many polls it
  takes is read at each poll, so a tunable changed meanwhile applies to jobs already running,
  as the Flickr emulator always did.
- ``done_after`` is at least 1: the n-th poll (counting from 1) is the first that is not
  ``RUNNING``, and every later poll answers the same.
- ``fail_next`` only goes down, by one per job started that may fail; nothing else spends it.
"""

from __future__ import annotations

from dataclasses import dataclass

from tether.sandbox.kit.words import Word


class Phase(Word):
    """What a poll answers."""

    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"


@dataclass(eq=False, kw_only=True)
class Progression:
    """One job. Services subclass it to add their own values (``Ticket`` adds the photo id).

    Attributes:
        fails: Ends ``FAILED`` rather than ``DONE``.
        polls: Polls so far.
    """

    fails: bool = False
    polls: int = 0

    def poll(self, done_after: int) -> Phase:
        """Count a poll; ``RUNNING`` until the ``done_after``-th, then the job's end."""
        self.polls += 1
        if self.polls < done_after:
            return Phase.RUNNING
        return Phase.FAILED if self.fails else Phase.DONE


@dataclass(kw_only=True)
class Schedule:
    """The tunables of one kind of job: polls each takes, how many of the next ones fail.

    Attributes:
        done_after: Polls a job takes (at least 1).
        fail_next: How many of the next jobs that may fail will.
    """

    done_after: int = 1
    fail_next: int = 0

    def take_failure(self) -> bool:
        """Whether the job starting now fails; spends one of ``fail_next`` when it does."""
        if self.fail_next > 0:
            self.fail_next -= 1
            return True
        return False

    def poll(self, job: Progression) -> Phase:
        """``job.poll`` with this schedule's ``done_after``."""
        return job.poll(self.done_after)
