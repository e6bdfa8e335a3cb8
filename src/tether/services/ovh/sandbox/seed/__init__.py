"""The OVH emulator's seed, by API family (as ``routes/`` is split): ``auth`` (applications,
credentials, OAuth2 clients and their fixed keys), ``account`` (``/me``, bills, SMS),
``servers``, ``domains`` (domains, e-mail redirections, DNS zones), ``iam`` (resources).
``state.OvhState.seeded()`` assembles them.

Invariants:
- Every function here is pure and returns fresh mutable objects on each call (a reset must
  not share objects with the state it replaces); the same call always gives the same values.
  Randomness comes only from the ``random.Random`` the caller passes (``iam``), so the
  sequence is the caller's to keep deterministic.
- Nothing here imports ``state`` (which imports this package): the seed is data, the state
  is what holds it.
- The fixed sandbox secrets are in ``auth`` and ``account`` only; nothing here logs them.
"""

from __future__ import annotations

from datetime import datetime


def ts(text: str) -> float:
    """An ISO 8601 date with its offset -> Unix seconds (the seed writes dates as OVH shows
    them)."""
    return datetime.fromisoformat(text).timestamp()
