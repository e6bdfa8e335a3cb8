"""What every VK method handler shares: the checked call, the method line, VK's errors, and
reading parameters the way VK reads them.

Invariants:
- A handler gets a ``Call`` whose caller has already passed the envelope's checks (token,
  rate, token kind, scope: ``app.py`` states the order) and returns the JSON value of
  ``"response"``; it refuses with ``MethodError`` and never writes an envelope.
- Parameters are text. ``integer``, ``flag`` and ``words`` read them as VK does: an
  integer may be negative; a flag is ``1``/``0`` or ``True``/``False`` in any case (vk_api
  sends Python's spelling, vk.md §1.3); a list is comma-separated, empty items dropped. A
  value that does not read is VK's 100 naming the parameter.
- ``page`` clamps ``count`` to the method's maximum (real VK clamps, vk.md §4.1 says
  "usually": unconfirmed) and answers ``[]`` past the end; a negative offset or count is 100.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, TypeVar

from tether.sandbox.kit.rpc import RpcMethod
from tether.services.vk.sandbox.model import groups, people
from tether.services.vk.sandbox.model.auth import Kind, Token
from tether.services.vk.sandbox.state import VkState

#: VK's fixed refusals, shared by the envelope (``app.py``) and ``execute``'s inner calls:
#: a token kind a method does not serve, and a right the token lacks (by the method's code).
KIND_REFUSED: Final = {
    Kind.ANONYMOUS: (5, "User authorization failed: no access_token passed."),
    Kind.GROUP: (27, "Group authorization failed: method is unavailable with group auth."),
    Kind.SERVICE: (
        28,
        "Application authorization failed: method is unavailable with service token.",
    ),
    Kind.USER: (15, "Access denied: no access to call this method"),
}
DENIED: Final = {
    15: "Access denied: no access to call this method",
    7: "Permission to perform this action is denied",
}


T = TypeVar("T")
#: What a method may be called with: a user token only, unless its line says more.
USER: Final = frozenset({Kind.USER})
_TRUE: Final = frozenset({"1", "true"})
_FALSE: Final = frozenset({"0", "false", ""})


class MethodError(Exception):
    """A VK error answer: ``{"error": {"error_code", "error_msg", …extra}}``."""

    def __init__(self, code: int, msg: str, **extra: Any) -> None:
        super().__init__(code, msg)
        self.code = code
        self.msg = msg
        self.extra = extra


def invalid(detail: str) -> MethodError:
    """VK's 100, with the detail VK appends after the colon."""
    return MethodError(100, f"One of the parameters specified was missing or invalid: {detail}")


def missing(method: str, argument: str) -> MethodError:
    """The registry's answer for a required argument absent or empty."""
    return invalid(f"{argument} is undefined")


@dataclass
class Call:
    """A call that passed the envelope: its state, parameters, caller and clock."""

    state: VkState
    params: Mapping[str, str]
    token: Token | None  # None: no token was sent (a method open to anyone)
    now: float
    #: The emulator's address as this client reached it (``http://127.0.0.1:port/vk``), for
    #: methods that hand out absolute URLs (long poll and upload servers).
    root: str = "http://127.0.0.1/vk"

    def get(self, name: str, default: str = "") -> str:
        return self.params.get(name, default)

    def integer(self, name: str, default: int | None = None) -> int | None:
        raw = self.params.get(name, "")
        if raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise invalid(f"{name} not integer") from None

    def flag(self, name: str) -> bool:
        raw = self.params.get(name, "").lower()
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise invalid(f"{name} should be 0 or 1")

    def words(self, name: str) -> list[str]:
        return [w for w in (p.strip() for p in self.params.get(name, "").split(",")) if w]

    @property
    def user_id(self) -> int | None:
        """The calling user (a user token's owner), else ``None``."""
        return self.token.user_id if self.token is not None else None

    def owner(self, name: str = "owner_id") -> int:
        """An owner id parameter (a negative id is a community); the calling user, or the
        community of a community token, when absent. 100 when nobody can be meant."""
        value = self.integer(name)
        if value is not None:
            return value
        if self.token is not None and self.token.kind is Kind.USER:
            return self.token.owner
        if self.token is not None and self.token.kind is Kind.GROUP:
            return -self.token.owner
        raise invalid(f"{name} is undefined")

    def user(self, name: str = "user_id") -> int:
        """A user id parameter that must name a live user: 113 for one that does not exist,
        18 for a deleted or banned one."""
        value = self.integer(name)
        if value is None:
            if self.user_id is None:
                raise invalid(f"{name} is undefined")
            value = self.user_id
        check_live_owner(value)
        return value


def check_live_owner(owner_id: int) -> None:
    """113 (user) or 100 (community) for an owner that does not exist, 18 for a user who is
    deleted or banned."""
    if owner_id < 0:
        if not groups.exists(-owner_id):
            raise invalid("owner_id is incorrect")
        return
    if not people.exists(owner_id):
        raise MethodError(113, "Invalid user id")
    if owner_id in people.DEACTIVATED:
        raise MethodError(18, "User was deleted or banned")


def page(call: Call, items: Sequence[T], *, default: int, maximum: int) -> list[T]:
    """``items[offset : offset + count]`` with VK's ``offset`` and ``count``."""
    offset = call.integer("offset", 0)
    count = call.integer("count", default)
    assert offset is not None and count is not None
    if offset < 0:
        raise invalid("offset should be positive")
    if count < 0:
        raise invalid("count should be positive")
    return list(items[offset : offset + min(count, maximum)])


Handler = Callable[[Call], Any]


@dataclass(frozen=True)
class VkMethod(RpcMethod[Handler]):
    """A line of VK's method table.

    Attributes (beyond ``RpcMethod``'s; ``perms`` is the right the token needs, ``none`` or a
    word of ``model.auth.SCOPE_BITS``):
        kinds: the token kinds the method serves; ``Kind.ANONYMOUS`` lets it run with none.
        denied: the code VK answers when the token lacks ``perms``: 15 ("no access to call
            this method") for most, 7 ("permission … denied") for some (vk.md §3.1).
    """

    kinds: frozenset[Kind] = USER
    denied: int = 15
