"""PyVK's ``Input``: how a VK object asks the user for what it cannot know (a captcha, a
password, a 2FA code), on the terminal by default.

A GUI or a test gives another class or object with the same ``ask(field, **kw)`` as the
``input=`` option. Flows never call it themselves: they yield a ``Prompt`` effect whose
``kind`` is the field and whose ``data`` are the keywords, and the client's prompt handler
(``prompt_handler``) hands it to the configured input.

Invariants:
- The password is read with ``getpass`` (never echoed) and returned, never kept or logged.
- An unknown field raises ``ValueError``, as PyVK's does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tether.core.flow import Prompt

__all__ = ["Input", "prompt_handler"]


class Input:
    """Asks on stdin. Fields: ``app_id``, ``username``, ``password`` (not echoed),
    ``secret_code`` (a 2FA code), ``phone`` (needs ``msg``: the page's question),
    ``captcha`` (needs ``img``: the image URL)."""

    @staticmethod
    def ask(field: str, **kw: Any) -> str:
        """The user's answer for ``field``.

        Raises:
            ValueError: ``field`` is none of the above.
        """
        if field == "app_id":
            return input("Application ID: ").strip()
        if field == "username":
            return input("Username: ").strip()
        if field == "password":
            import getpass  # only an interactive login needs it

            return getpass.getpass("Password: ")
        if field == "secret_code":
            return input("Secret code (2FA): ").strip()
        if field == "phone":
            return input(kw["msg"]).strip()
        if field == "captcha":
            return input(f"Captcha ({kw['img']}): ").strip()
        raise ValueError(f"Input cannot ask for {field!r}")


def prompt_handler(source: Any, sync: bool) -> Callable[[Prompt], Any]:
    """The runtime's prompt handler for a client whose ``input`` option is ``source``:
    ``Prompt(kind, message, data)`` becomes ``source.ask(kind, **data)``. On the async client
    the question is asked in a worker thread, so a terminal read never holds the loop."""

    def ask(p: Prompt) -> Any:
        return source.ask(p.kind, **p.data)

    if sync:
        return ask

    def ask_off_loop(p: Prompt) -> Any:
        import asyncio

        return asyncio.to_thread(ask, p)

    return ask_off_loop
