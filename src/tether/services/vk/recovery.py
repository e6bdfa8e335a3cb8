"""Errors 5 and 17 on an ``API`` an auth object made (``auth.api()``): the token is renewed
through that object, and the call sent again (vk.md §2.9, §3.1).

- Error 5 (the token is invalid or expired): ``ClientAuth`` signs in again with its session
  cookies (the password only if VK forgot the session); the other auth objects cannot renew
  without the user going through their dance again, and say so (``AuthorizationFailed``).
- Error 17 (validation required, ``validation=True``): ``ClientAuth`` drives the check page of
  ``redirect_uri`` itself (the phone digits through ``input``); the others open it (a
  ``Browse``) and ask for the address the browser lands on (``redirect_url``), whose fragment
  (``success=1&access_token=…``) holds the new token; ``fail=1`` is an ``AuthError``.

Invariants:
- One renewal at a time per auth object (``Exclusive``), and none when the token already
  changed since the refused call was sent: many calls refused together renew once.
- The new token replaces the API's (and the auth object's) at once; nothing logs it.
- The questions are asked through the auth object's ``input`` and ``browse`` (in a worker
  thread on the async twins, as ``Blocking``), not through the API's.
- This module imports no other module of the VK facade (``calls`` knows the hook by its
  ``flow`` method only), so neither ``auth`` nor ``calls`` import circles through it.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from tether.core.flow import Blocking, Browse, Exclusive, Flow, Prompt
from tether.services.vk.errors import AuthError, AuthorizationFailed

__all__ = ["Recovery", "landed_token", "through"]

#: The error codes an auth object's API recovers from.
CODES = frozenset({5, 17})


def landed_token(url: str, where: str) -> tuple[str, int | None]:
    """The token (and user id) in the fragment of a ``blank.html`` address.

    Raises:
        AuthError: ``fail=1``, an ``error``, or no token.
    """
    got = dict(parse_qsl(urlsplit(url.strip()).fragment, keep_blank_values=True))
    if got.get("fail") == "1":
        raise AuthError(f"{where}: VK's check failed (fail=1); try again", fail=1)
    if "error" in got:
        desc = got.get("error_description") or got["error"]
        hint = "the user did not allow the application" if got["error"] == "access_denied" else ""
        raise AuthError(
            f"{where}: VK refused ({got['error']}: {desc}){'; ' + hint if hint else ''}",
            error=got["error"],
            error_description=got.get("error_description"),
        )
    token = got.get("access_token")
    if not token:
        raise AuthError(f"{where}: the address holds no access_token; start again")
    user = got.get("user_id", "")
    return token, int(user) if user.isdigit() else None


def through(asker: Any, browse: Callable[[Browse], Any], flow: Flow[Any]) -> Flow[Any]:
    """``flow`` with its ``Prompt`` and ``Browse`` effects answered by ``asker`` and
    ``browse`` as ``Blocking`` effects; every other effect (and what is thrown back) passes."""
    value: Any = None
    error: Exception | None = None
    while True:
        try:
            effect = flow.send(value) if error is None else flow.throw(error)
        except StopIteration as stop:
            return stop.value
        value = error = None
        if isinstance(effect, Prompt):
            value = yield Blocking(partial(asker.ask, effect.kind, **dict(effect.data)))
        elif isinstance(effect, Browse):
            yield Blocking(partial(_browse, browse, effect))
        else:
            try:
                value = yield effect
            except Exception as e:  # thrown into the inner flow, as is
                error = e


def _browse(browse: Callable[[Browse], Any], effect: Browse) -> None:
    r = browse(effect)
    if inspect.isawaitable(r):  # an async handler: run on this worker thread's own loop
        asyncio.run(_wait(r))


async def _wait(r: Any) -> None:
    await r


class Recovery:
    """The hook ``calls.Calls`` runs on errors 5 and 17 (its ``_renewer``).

    Args:
        auth: the auth object the API came from (``ClientAuth`` has ``_renew_flow`` and
            ``_validate_flow``; any other is asked through ``browse`` and ``asker``).
        asker: what answers its questions (``ask(field, **kw)``).
        browse: its ``Browse`` handler.
    """

    def __init__(self, auth: Any, asker: Any, browse: Callable[[Browse], Any]) -> None:
        self.auth = auth
        self.asker = asker
        self.browse = browse

    def flow(self, api: Any, code: int, error: Mapping[str, Any], sent: str | None) -> Flow[None]:
        """Renew ``api``'s token after error ``code`` (``error`` is VK's error object) for a
        call sent with token ``sent``."""

        def renew() -> Flow[None]:
            if api._token != sent:
                return  # another call renewed it while this one waited
            if code == 5:
                token = yield from self._renew(error)
            else:
                token = yield from self._validate(str(error.get("redirect_uri") or ""))
            api._token = token
            api._base = {**api._base, "access_token": token}

        yield Exclusive(f"vk-renew-{id(self.auth)}", through(self.asker, self.browse, renew()))

    def _renew(self, error: Mapping[str, Any]) -> Flow[str]:
        renew = getattr(self.auth, "_renew_flow", None)
        if renew is None:
            name = type(self.auth).__name__
            raise AuthorizationFailed(
                f"VK error 5: {error.get('error_msg', 'User authorization failed')} "
                f"({error.get('method', '?')}): {name} cannot renew a token by itself; run "
                f"{name}.auth() again (or use ClientAuth, which signs in again with its "
                "session)",
                **{str(k): v for k, v in error.items()},
            )
        token: str = yield from renew()
        return token

    def _validate(self, url: str) -> Flow[str]:
        if not url.startswith(("http://", "https://")):
            raise AuthError("VK error 17 came without a redirect_uri to open; authorise again")
        validate = getattr(self.auth, "_validate_flow", None)
        if validate is not None:
            token: str = yield from validate(url)
            return token
        yield Browse(url)
        pasted = yield Prompt(
            "redirect_url",
            "VK asks to confirm it is you: pass the check on the page that opened, then paste "
            "the address of the page you land on (…/blank.html#success=1&access_token=…)",
            {"url": url},
        )
        token, user_id = landed_token(str(pasted), "vk validation")
        self.auth.token = token
        if user_id is not None:
            self.auth.user_id = user_id
        return token
