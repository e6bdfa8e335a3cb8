"""Walls of the VK emulator: posts by owner (a user id, or a community as a negative id).

Invariants:
- A wall is a list of posts, oldest first, its ids ascending from 1; VK lists a wall newest
  first, so readers index it from the end. Posts are only ever appended.
- A wall nobody has written to is computed from its owner id (``seeded_wall``) and stored only
  when a post is added to it, so reading every wall of the population stores nothing.
- Dates are fixed (``EPOCH`` minus whole hours): a reset gives the same walls.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tether.services.vk.sandbox.model.auth import USER_ID
from tether.services.vk.sandbox.model.groups import SANDBOX_GROUP

#: When the newest seeded post was written (2023-11-14T22:13:20Z).
EPOCH: Final = 1_700_000_000
#: Walls with more posts than one page of ``wall.get`` (100).
_SIZES: Final[dict[int, int]] = {USER_ID: 250, -SANDBOX_GROUP: 120, 1: 30}


@dataclass
class Post:
    id: int
    owner_id: int
    from_id: int
    date: int
    text: str
    attachments: tuple[str, ...] = ()
    likes: int = 0
    views: int = 0

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.id,
            "owner_id": self.owner_id,
            "from_id": self.from_id,
            "date": self.date,
            "post_type": "post",
            "text": self.text,
            "comments": {"count": 0, "can_post": 1},
            "likes": {"count": self.likes, "user_likes": 0, "can_like": 1},
            "reposts": {"count": 0, "user_reposted": 0},
            "views": {"count": self.views},
        }
        if self.attachments:
            out["attachments"] = [_attachment(a) for a in self.attachments]
        return out


def _attachment(ref: str) -> dict[str, object]:
    """``photo-5_11`` as VK writes an attachment: ``{"type": "photo", "photo": {…}}``."""
    kind = ref.rstrip("-_0123456789")
    owner, _, media = ref[len(kind) :].partition("_")
    media_id, _, _access = media.partition("_")
    return {"type": kind, kind: {"id": int(media_id), "owner_id": int(owner)}}


def seeded_wall(owner_id: int) -> list[Post]:
    """The posts of ``owner_id`` before anyone wrote: ``_SIZES`` for a few owners, a handful
    (owner id mod 5) for the rest; every post written by the owner."""
    n = _SIZES.get(owner_id, abs(owner_id) % 5)
    return [
        Post(
            id=i,
            owner_id=owner_id,
            from_id=owner_id,
            date=EPOCH - (n - i) * 3600,
            text=f"Post {i} on wall {owner_id}",
            likes=(i * 7) % 50,
            views=100 + i,
        )
        for i in range(1, n + 1)
    ]
