"""Uploads family objects: an async upload's ticket (``flickr.photos.upload.checkTickets``).

Invariants: see ``model``; a ticket's progress is the emulator kit's ``Progression`` (done
after n polls, failing when told), so it moves only when it is polled.
"""

from __future__ import annotations

from dataclasses import dataclass

from tether.sandbox.kit.progress import Progression


@dataclass(eq=False, kw_only=True)
class Ticket(Progression):
    """An async upload's ticket: ``complete`` 0 while running, 1 done, 2 failed."""

    id: str
    photo_id: str
