"""People family objects: the seeded users (the sandbox user first) and the sandbox user's
contacts, one of each relation ``flickr.contacts.getList``'s ``filter`` tells apart.

Invariants: see ``model``. Besides: ``USERS`` and ``CONTACTS`` are immutable; a state copies
them into its own tables.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tether.services.flickr.sandbox.model.auth import REALNAME, USER_NSID, USERNAME

#: The author of FlickrAPI's manual, owner of the photoset it walks.
SEED_AUTHOR: Final = "73509078@N00"
#: The seed's epoch: the first seeded photo's upload time; contacts were added just after.
FIRST_POSTED: Final = 1_600_000_000


@dataclass(frozen=True)
class User:
    nsid: str
    username: str
    realname: str
    location: str
    path_alias: str


USERS: Final = (
    User(USER_NSID, USERNAME, REALNAME, "Sandbox, Loopback", "tether-tester"),
    User("35034346050@N01", "ada", "Ada Lovelace", "London, UK", "ada"),
    User("48889646112@N01", "grace", "Grace Hopper", "Arlington, USA", "grace"),
    User("66956608@N00", "alan", "Alan Turing", "Manchester, UK", "alan"),
    User(SEED_AUTHOR, "sybren", "Sybren Stüvel", "Amsterdam, NL", "sybren"),
)


@dataclass(frozen=True)
class Contact:
    """One of a user's contacts (``flickr.contacts.getList``): who, how related, and when
    added (Unix seconds, for ``sort=time``)."""

    nsid: str
    friend: int
    family: int
    added: int
    ignored: int = 0


#: The sandbox user's contacts, one of each relation ``filter`` tells apart: friend only,
#: family only, both, neither. Listing only: photo visibility still ignores them (see
#: ``Photo.visible_to``).
CONTACTS: Final = (
    Contact("35034346050@N01", 1, 0, FIRST_POSTED + 400),  # ada
    Contact("48889646112@N01", 0, 1, FIRST_POSTED + 100),  # grace
    Contact("66956608@N00", 1, 1, FIRST_POSTED + 300),  # alan
    Contact(SEED_AUTHOR, 0, 0, FIRST_POSTED + 200, ignored=1),  # sybren
)
