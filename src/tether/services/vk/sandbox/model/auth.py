"""The VK emulator's application, test accounts, access-right bits and tokens.

Invariants:
- Every secret the sandbox hands out (client secret, the ready tokens, passwords, the 2FA
  code) is a fixed constant here; ``app.credentials`` is the one place that hands them out,
  and only their URLs follow the sandbox's root.
- Scope bits are VK's real values (vk.md §2.2), written out here and not imported from the
  client's ``spec``: the emulator re-implements what it checks, so that a wrong bit in the
  client cannot be hidden by the same wrong bit in the emulator.
- A ``Token`` is what VK knows of an access token: its kind (user, community, service), whose
  it is, its bits and when it stops working. ``expired`` is set by the control API; a token
  past ``expires_at`` (emulated clock) is refused the same way.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from tether.sandbox.kit.words import Word

# -- access rights (vk.md §2.2) ------------------------------------------------------------------

#: Right name -> bit, as VK's documentation and both seed libraries list them.
SCOPE_BITS: Final[dict[str, int]] = {
    "notify": 1,
    "friends": 2,
    "photos": 4,
    "audio": 8,
    "video": 16,
    "stories": 64,
    "pages": 128,
    "menu": 256,
    "status": 1024,
    "notes": 2048,
    "messages": 4096,
    "wall": 8192,
    "ads": 32768,
    "offline": 65536,
    "docs": 131072,
    "groups": 262144,
    "notifications": 524288,
    "stats": 1048576,
    "email": 4194304,
    "market": 134217728,
}
#: Every user right: vk_api's ``DEFAULT_USER_SCOPE`` (140492255, vk.md §8 V10).
ALL_USER_BITS: Final = sum(SCOPE_BITS.values())
#: A community token's rights are another table in VK (manage, messages, photos, docs …);
#: the emulator reads the same bit for the same word, so a community token checked for
#: ``messages`` tests bit 4096 as a user token would.
COMMUNITY_BITS: Final = (
    SCOPE_BITS["messages"] | SCOPE_BITS["photos"] | SCOPE_BITS["docs"] | SCOPE_BITS["wall"]
)
#: The permission words a method line may name: ``none`` or a right.
SCOPES: Final = ("none", *SCOPE_BITS)


class Kind(Word):
    USER = "user"
    GROUP = "group"
    SERVICE = "service"
    ANONYMOUS = "anonymous"


# -- the application and the test accounts ------------------------------------------------------

#: vk_api's default ``app_id`` (vk.md §2.8), so a ``VkApi`` built with no ``app_id`` names
#: a known application.
APP_ID: Final = "6222115"
CLIENT_SECRET: Final = "vkSandboxClientSecret9f3a"
SERVICE_TOKEN: Final = "vk-sandbox-service-token-0c1d2e3f4a5b6c7d"

USER_ID: Final = 100
USER_LOGIN: Final = "sandbox@vk.example"
USER_PASSWORD: Final = "sandbox-vk-password"
USER_TOKEN: Final = "vk-sandbox-user-token-8e7f6a5b4c3d2e1f0a9b"

USER_2FA_ID: Final = 101
USER_2FA_LOGIN: Final = "twofactor@vk.example"
USER_2FA_PASSWORD: Final = "sandbox-2fa-password"
USER_2FA_CODE: Final = "424242"

USER_PHONE_ID: Final = 102
USER_PHONE_LOGIN: Final = "phone@vk.example"
USER_PHONE_PASSWORD: Final = "sandbox-phone-password"
USER_PHONE: Final = "+79161234567"
#: The numbers on the other two accounts: error 17's check (``login.py``) asks their digits.
USER_MOBILE: Final = "+79160000100"
USER_2FA_MOBILE: Final = "+79160000101"

GROUP_ID: Final = 5
GROUP_TOKEN: Final = "vk-sandbox-group-token-1a2b3c4d5e6f7a8b9c0d"

#: User tokens with fewer rights, for tests of the scope checks (not in the credentials
#: block: no client needs them). Each is named for what it lacks.
NO_WALL_TOKEN: Final = "vk-sandbox-token-no-wall-5d4c3b2a"
NO_MESSAGES_TOKEN: Final = "vk-sandbox-token-no-messages-9a8b7c6d"
BASIC_BITS: Final = 336926  # PyVK's p_basic as its code has it (vk.md §2.2): no messages


@dataclass(frozen=True)
class Account:
    """A test user who can sign in (on ``login.py``'s pages or by the password grant)."""

    user_id: int
    login: str
    password: str
    code: str | None = None  # the 2FA code this account is asked for
    phone: str | None = None  # the phone number whose digits this account is asked for
    mobile: str = ""  # the account's number: error 17's check asks its missing digits

    @property
    def number(self) -> str:
        """The number whose middle digits a security check asks."""
        return self.phone or self.mobile


ACCOUNTS: Final = (
    Account(USER_ID, USER_LOGIN, USER_PASSWORD, mobile=USER_MOBILE),
    Account(
        USER_2FA_ID, USER_2FA_LOGIN, USER_2FA_PASSWORD, code=USER_2FA_CODE, mobile=USER_2FA_MOBILE
    ),
    Account(
        USER_PHONE_ID, USER_PHONE_LOGIN, USER_PHONE_PASSWORD, phone=USER_PHONE, mobile=USER_PHONE
    ),
)


@dataclass
class Token:
    """An access token as VK knows it.

    Attributes:
        kind: user, community (group) or service.
        owner: the user id, the group id (positive) or the application id.
        scope: the right bits granted.
        expires_at: emulated Unix time it stops working (``None``: never, as ``offline``).
        expired: set by ``POST /_sandbox/vk/expire``.
    """

    value: str
    kind: Kind
    owner: int
    scope: int
    app_id: str = APP_ID
    expires_at: float | None = None
    expired: bool = False

    def alive(self, now: float) -> bool:
        return not self.expired and (self.expires_at is None or now < self.expires_at)

    def has(self, right: str) -> bool:
        return right == "none" or bool(self.scope & SCOPE_BITS[right])

    @property
    def user_id(self) -> int | None:
        return self.owner if self.kind is Kind.USER else None


def seeded_tokens() -> dict[str, Token]:
    """The tokens that exist before anyone signs in (fresh objects each call)."""
    tokens = [
        Token(USER_TOKEN, Kind.USER, USER_ID, ALL_USER_BITS),
        Token(GROUP_TOKEN, Kind.GROUP, GROUP_ID, COMMUNITY_BITS),
        Token(SERVICE_TOKEN, Kind.SERVICE, int(APP_ID), 0),
        Token(NO_WALL_TOKEN, Kind.USER, USER_ID, ALL_USER_BITS & ~SCOPE_BITS["wall"]),
        Token(NO_MESSAGES_TOKEN, Kind.USER, USER_ID, BASIC_BITS),
    ]
    return {t.value: t for t in tokens}
