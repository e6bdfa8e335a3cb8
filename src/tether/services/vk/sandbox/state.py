"""The mutable state of the VK emulator, assembled from the data families of ``model/``.

Invariants:
- ``VkState.seeded()`` always builds the same state: the tokens of ``model.auth``, no written
  wall, no sent message, and a ``random.Random`` seeded with a constant for whatever is made
  later, so the sequence after a reset is deterministic too.
- Users, groups, photos and documents are computed from their ids (``model``); only what a
  call changes is stored here: tokens, walls written to, messages sent, files uploaded.
- Nothing here does I/O, reads the clock or knows about HTTP: callers pass ``now``.
- Every sent message and written post is told to the long poll book (``longpoll``), which
  keeps it for the queues open to it (``sandbox/longpoll.py``).
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Final

from tether.services.vk.sandbox.longpoll import LongPollBook
from tether.services.vk.sandbox.model.auth import Token, seeded_tokens
from tether.services.vk.sandbox.model.media import Shelf
from tether.services.vk.sandbox.model.wall import Post, seeded_wall
from tether.services.vk.sandbox.upload import UploadBook

#: How long VK remembers a ``random_id`` to drop a resent message (docs: "unique within an
#: hour" is unconfirmed; an hour is what is commonly reported).
RANDOM_ID_WINDOW: Final = 3600.0
_SEED: Final = 0x564B  # "VK"


@dataclass
class Message:
    id: int
    from_id: int
    peer_id: int
    text: str
    attachments: tuple[str, ...]
    date: int


@dataclass
class VkState:
    tokens: dict[str, Token]
    walls: dict[int, list[Post]] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    #: (sender, random_id) -> (message id, when): resends inside the window are not sent again.
    sent_ids: dict[tuple[int, int], tuple[int, float]] = field(default_factory=dict)
    rng: random.Random = field(default_factory=lambda: random.Random(_SEED))
    longpoll: LongPollBook = field(default_factory=LongPollBook)
    shelf: Shelf = field(default_factory=Shelf)  # what uploads saved (photos, docs, …)
    uploads: UploadBook = field(default_factory=UploadBook)  # upload URLs and what they got

    @classmethod
    def seeded(cls) -> VkState:
        return cls(tokens=seeded_tokens())

    def wall(self, owner_id: int) -> list[Post]:
        """The posts of ``owner_id``, oldest first (read-only: use ``add_post`` to write)."""
        stored = self.walls.get(owner_id)
        return stored if stored is not None else seeded_wall(owner_id)

    def add_post(
        self, owner_id: int, from_id: int, text: str, attachments: tuple[str, ...], now: float
    ) -> Post:
        wall = self.walls.get(owner_id)
        if wall is None:
            wall = self.walls[owner_id] = seeded_wall(owner_id)
        post = Post(len(wall) + 1, owner_id, from_id, int(now), text, attachments)
        wall.append(post)
        self.longpoll.on_post(owner_id, post.to_json())
        return post

    def send_message(
        self,
        from_id: int,
        peer_id: int,
        text: str,
        attachments: tuple[str, ...],
        random_id: int,
        now: float,
    ) -> int:
        """The new message's id, or the first one's when ``random_id`` was used by this sender
        within ``RANDOM_ID_WINDOW`` (``0`` never deduplicates, as VK documents)."""
        key = (from_id, random_id)
        if random_id:
            seen = self.sent_ids.get(key)
            if seen is not None and now - seen[1] < RANDOM_ID_WINDOW:
                return seen[0]
        message = Message(len(self.messages) + 1, from_id, peer_id, text, attachments, int(now))
        self.messages.append(message)
        if random_id:
            self.sent_ids[key] = (message.id, now)
        self.longpoll.on_message(
            message.id, from_id, peer_id, text, attachments, message.date, random_id
        )
        return message.id
