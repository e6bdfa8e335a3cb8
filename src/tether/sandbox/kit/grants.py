"""One grant state machine for every emulator: an application asks, a person decides, the
application spends what it was given. OVH consumer keys, Flickr frobs and OAuth 1.0a request
tokens today; VK and Vimeo authorization codes and Ipernity frobs next.

States and the only moves between them::

    pending ──approve──> approved ──use──> used        (single use)
       │                    │
       └──deny──> denied    └──(valid_until passes)──> expired
    pending | approved | denied ──(lifetime passes)──> expired
    any ──expire()──> expired                            (revocation, logout)

Invariants:
- Nothing here reads a clock: every question takes ``now`` (the emulator's skewed clock), so a
  test drives expiry with plain numbers.
- Reading never moves the state. ``current(now)`` *reports* an expiry that time has brought;
  ``settle(now)`` records it (OVH lists a credential as ``expired`` from then on, whatever the
  clock does later). A frob's expiry is only reported, as the Flickr emulator always did, so
  moving the clock back makes it usable again.
- Two clocks bound a grant: ``lifetime`` counts from ``created`` and covers the whole life
  (usable while ``now - created <= lifetime``: a frob's hour); ``valid_until`` is set by an
  approval and ends it (usable while ``now < valid_until``: an OVH validity). Either may be
  ``None`` (no bound).
- A grant is bound to the application key that asked for it: every transition given an
  ``api_key`` refuses another application's grant, with the same reason as an unknown one
  would get from the caller (``WRONG_KEY``), so an emulator cannot leak which keys exist.
- A refused transition raises ``GrantRefused`` with a ``Refusal`` reason and changes nothing;
  the emulator turns the reason into its service's own error (Flickr 108 "Invalid frob",
  OVH 403 "Invalid credential", a 404/409 from the control API). Checks run in one order:
  key, expiry, then state.
- Values stay out of reprs: a grant's secret fields are the subclass's business, and
  ``GrantRefused`` messages name only the reason and the state.
- ``PendingGrant`` is how an emulator lists a grant waiting for a person (the dashboard): it
  names the grant by ``grant_ref`` (a digest), never by its value, which the application holds
  as a secret (a frob, a consumer key, a request token).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field

from tether.sandbox.kit.words import Word


class GrantState(Word):
    """Where a grant is; the values are the words the Flickr emulator's pages and control API
    always printed (``"frob already approved"``)."""

    PENDING = "pending"
    APPROVED = "approved"
    DENIED = "denied"
    USED = "used"
    EXPIRED = "expired"


class Refusal(Word):
    """Why a transition was refused."""

    WRONG_KEY = "wrong_key"  # another application's grant
    EXPIRED = "expired"  # past its lifetime or its approval's validity, or revoked
    NOT_PENDING = "not_pending"  # approve/deny of a grant already decided
    NOT_APPROVED = "not_approved"  # use of a pending or denied grant
    USED = "used"  # use of a single-use grant already spent


class GrantRefused(Exception):
    """A transition the machine refused; ``reason`` says why, ``state`` where the grant was."""

    def __init__(self, reason: Refusal, state: GrantState) -> None:
        super().__init__(f"grant refused: {reason} (grant is {state})")
        self.reason = reason
        self.state = state


#: States from which the passing of ``lifetime`` leads to ``expired``.
_MORTAL = frozenset({GrantState.PENDING, GrantState.APPROVED, GrantState.DENIED})


@dataclass(eq=False, kw_only=True)
class Grant:
    """A grant's lifecycle. Services subclass it (``Frob``, ``RequestToken``, ``Credential``)
    to add their own values; the transitions are only these methods.

    Attributes:
        api_key: The application the grant belongs to.
        created: Emulated-clock seconds when it was asked for.
        lifetime: Seconds from ``created`` it stays usable, or ``None``.
        state: The recorded state (``current(now)`` adds what time has done since).
        perms: What was asked for, then what was granted (service vocabulary), or ``None``.
        valid_until: Emulated-clock seconds an approval ends, or ``None``.
        single_use: ``use()`` spends it (``False``: an OVH consumer key, used on every call).
    """

    api_key: str
    created: float
    lifetime: float | None = None
    state: GrantState = GrantState.PENDING
    perms: str | None = None
    valid_until: float | None = None
    single_use: bool = True

    # -- reading ----------------------------------------------------------------------------

    def current(self, now: float) -> GrantState:
        """The state at ``now``, with any expiry time has brought (not recorded)."""
        state = self.state
        if state in _MORTAL:
            if self.lifetime is not None and now - self.created > self.lifetime:
                return GrantState.EXPIRED
            if (
                state is GrantState.APPROVED
                and self.valid_until is not None
                and now >= self.valid_until
            ):
                return GrantState.EXPIRED
        return state

    def settle(self, now: float) -> GrantState:
        """``current(now)``, recorded: an expiry time brought stays."""
        self.state = self.current(now)
        return self.state

    def alive(self, now: float, api_key: str | None = None) -> bool:
        """Not expired at ``now``, and ``api_key``'s when one is given (a ``None`` key skips
        the binding check: the control API acts for whichever application asked)."""
        if api_key is not None and api_key != self.api_key:
            return False
        return self.current(now) is not GrantState.EXPIRED

    def check(self, now: float, api_key: str | None = None) -> GrantState:
        """The current state, or ``GrantRefused`` for another key's or an expired grant."""
        if api_key is not None and api_key != self.api_key:
            raise GrantRefused(Refusal.WRONG_KEY, self.current(now))
        state = self.current(now)
        if state is GrantState.EXPIRED:
            raise GrantRefused(Refusal.EXPIRED, state)
        return state

    # -- transitions ------------------------------------------------------------------------

    def approve(
        self,
        now: float,
        *,
        perms: str | None = None,
        valid_for: float | None = None,
        api_key: str | None = None,
    ) -> None:
        """pending -> approved, granting ``perms`` (default: what was asked for) for
        ``valid_for`` seconds from ``now`` (``None``: until its lifetime ends)."""
        self._decide(now, api_key)
        self.state = GrantState.APPROVED
        if perms is not None:
            self.perms = perms
        self.valid_until = None if valid_for is None else now + valid_for

    def deny(self, now: float, *, api_key: str | None = None) -> None:
        """pending -> denied."""
        self._decide(now, api_key)
        self.state = GrantState.DENIED

    def use(self, now: float, *, api_key: str | None = None) -> None:
        """Spend an approved grant: approved -> used when single use, else it stays approved
        (an OVH consumer key authorises call after call)."""
        state = self.check(now, api_key)
        if state is GrantState.USED:
            raise GrantRefused(Refusal.USED, state)
        if state is not GrantState.APPROVED:
            raise GrantRefused(Refusal.NOT_APPROVED, state)
        if self.single_use:
            self.state = GrantState.USED

    def expire(self, now: float) -> None:
        """Any state -> expired at once (a revocation, OVH's ``POST /auth/logout``)."""
        self.state = GrantState.EXPIRED
        self.valid_until = now

    def _decide(self, now: float, api_key: str | None) -> None:
        state = self.check(now, api_key)
        if state is not GrantState.PENDING:
            raise GrantRefused(Refusal.NOT_PENDING, state)


def grant_ref(value: str) -> str:
    """A stable, public name for the grant whose secret value is ``value``: 16 hex digits of its
    SHA-256 (one-way: a page may show it and a form may post it back)."""
    return hashlib.sha256(value.encode()).hexdigest()[:16]


@dataclass(frozen=True, eq=False)
class PendingGrant:
    """A grant waiting for a person, as an emulator lists it (``EmulatorBase.pending_grants``).

    Attributes:
        kind: What it is, in the service's words (``"consumer key"``, ``"frob"``).
        app_key: The application that asked (a public identifier, not its secret).
        ref: ``grant_ref`` of the grant's value: how a form names it back.
        created: Emulated-clock seconds when it was asked for.
        asks: What approving grants, for a person to read (``"read"``, ``"GET /me"``).
        approve: Does what the service's own page does on "approve" (same code, called),
            at the instant the list was made: call it in the request that listed it.
    """

    kind: str
    app_key: str
    ref: str
    created: float
    asks: str
    approve: Callable[[], object] = field(repr=False)
