"""Auth family objects: applications (API keys), tokens, frobs and OAuth request tokens, the
permission ladder, and the sandbox's fixed keys, secrets and ready tokens.

Invariants: see ``model``. Besides: frobs and request tokens are single-use ``Grant``s of the
emulator kit with a fixed lifetime (one state machine for both); ``perms_at_least`` is the one
rule of the ladder (``delete`` implies ``write`` implies ``read``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tether.sandbox.kit.grants import Grant, GrantState

#: The sandbox application (32 hex key, 16 hex secret, the formats Flickr hands out).
API_KEY: Final = "7f3c2a9e5b1d4c8fa0e6b2d9c4f1a8e3"
SECRET: Final = "b5e1c9d3a7f20486"
#: FlickrAPI's manual uses these placeholders in every example; as a sandbox application they
#: let the manual's examples run unchanged.
MANUAL_KEY: Final = "X" * 32
MANUAL_SECRET: Final = "Y" * 16
#: The key, secret and access token of flickr.md §13's test vectors, so tests can drive the
#: emulator with the very values the vectors use.
VECTOR_KEY: Final = "0123456789abcdef0123456789abcdef"
VECTOR_SECRET: Final = "fedcba9876543210"
VECTOR_OAUTH_TOKEN: Final = "72157626318069415-087bfc7b5816092c"
VECTOR_OAUTH_SECRET: Final = "a202d1f853ec69de"

USER_NSID: Final = "12037949754@N01"
USERNAME: Final = "tether-tester"
REALNAME: Final = "Tess Tester"
LOGIN: Final = "tester@sandbox.tether"
PASSWORD: Final = "sandbox"
#: Ready tokens of the sandbox user for the sandbox application, both with ``delete``.
READY_TOKEN: Final = "72157600000000001-7e5d1c3b9a2f4e6d"
READY_OAUTH_TOKEN: Final = "72157626318069415-4c2b8d6e1f3a5c7e"
READY_OAUTH_SECRET: Final = "9d4e2a6c8b1f3e5a"

PERMS: Final = ("none", "read", "write", "delete")
#: Seconds a frob stays usable; Flickr's lifetime is unconfirmed (flickr.md §6.1), an hour here.
FROB_LIFETIME: Final = 3600
#: The same for an OAuth request token (unconfirmed too, flickr.md §14).
REQUEST_TOKEN_LIFETIME: Final = 3600


def perms_at_least(have: str, want: str) -> bool:
    """``delete`` implies ``write`` implies ``read``."""
    return PERMS.index(have) >= PERMS.index(want)


@dataclass
class App:
    """An API key. ``callback_url`` is the web-flow callback registered with the key
    (``None``: the login page shows the frob instead of redirecting)."""

    key: str
    secret: str
    title: str
    callback_url: str | None = None


@dataclass(eq=False)
class Token:
    """A legacy ``auth_token`` (``secret == ""``) or an OAuth access token."""

    value: str
    kind: str  # "legacy" | "oauth"
    api_key: str
    nsid: str
    perms: str
    secret: str = ""


@dataclass(eq=False, kw_only=True)
class Frob(Grant):
    """A frob: a single-use ``Grant`` living ``FROB_LIFETIME`` seconds; ``perms`` is what the
    login page asks for, then what was granted. Spent by ``flickr.auth.getToken``."""

    value: str
    lifetime: float | None = FROB_LIFETIME

    @property
    def status(self) -> GrantState:
        """The recorded state (``"pending"``, ``"approved"``, ``"denied"``)."""
        return self.state

    def usable(self, now: float, api_key: str | None = None) -> bool:
        """Not expired (``FROB_LIFETIME``), and ``api_key``'s when one is given: the one rule
        of the login page, ``flickr.auth.getToken`` and the control API."""
        return self.alive(now, api_key)


@dataclass(eq=False, kw_only=True)
class RequestToken(Grant):
    """An OAuth 1.0a request token: a single-use ``Grant`` living ``REQUEST_TOKEN_LIFETIME``
    seconds; approval adds the ``verifier``; spent by ``/services/oauth/access_token``."""

    value: str
    secret: str
    callback: str
    lifetime: float | None = REQUEST_TOKEN_LIFETIME
    verifier: str | None = None

    @property
    def status(self) -> GrantState:
        return self.state
