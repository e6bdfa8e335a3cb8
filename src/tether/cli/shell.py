"""``tether shell [SERVICE …] [--sandbox]``: a Python prompt with a ready client per service,
named as the service (``ovh``, ``flickr``, ``vk`` …), for trying calls by hand.

Invariants:
- Each client is what that service's ``tether call`` would use (its hook's ``shell()``): the
  same settings and environment, the sandbox's test credentials under ``TETHER_SANDBOX``. A
  service whose client cannot be made (no API key …) is named with the reason and left out;
  the others are still offered.
- Every client is closed when the prompt ends, whatever ended it.
- The banner names the clients and the sandbox only: no credential is printed.
"""

from __future__ import annotations

import code
import os
from typing import Any

import click

from tether.core.errors import TetherError
from tether.services import registry


def run_shell(names: tuple[str, ...]) -> None:
    """Offer a client per service of ``names`` (every service with a shell when empty)."""
    import tether

    offered: dict[str, Any] = {}
    missing: list[str] = []
    try:
        for name in names or registry.names("shell"):
            try:
                offered[name] = registry.get(name).hooks().shell()
            except click.UsageError as e:
                missing.append(f"  {name}: not available: {e.format_message()}")
            except TetherError as e:
                missing.append(f"  {name}: not available: {e}")
        where = os.environ.get("TETHER_SANDBOX")
        head = f"tether {tether.__version__}" + (f", with the sandbox at {where}" if where else "")
        banner = "\n".join(
            [
                head,
                *(f"  {name:8} {type(client).__name__}" for name, client in offered.items()),
                *missing,
                "Calls as in each library's docs: vk.users.get(user_ids=1). Ctrl-D to leave.",
            ]
        )
        code.interact(banner=banner, local={"tether": tether, **offered}, exitmsg="")
    finally:
        for client in offered.values():
            client.close()
