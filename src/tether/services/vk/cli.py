"""VK's part of the ``tether`` command: ``call`` and ``config explain`` (login and upload come
with VK's auth and upload slices of issue 9).

The hook contract is stated in ``tether.services.registry``. Invariants:
- Top level imports only click and ``tether.cli.kit``: the facade is imported when a hook runs.
- The token comes from VK_ACCESS_TOKEN, else (with TETHER_SANDBOX) the sandbox's ready user
  token, as ``API`` itself picks it. It is shown only as set or unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tether.cli.kit import echo_json, parse_params

CALL_OPTIONS = ()
CALL_METHOD = "VK: the method name (users.get, wall.get …)."
CALL_ARGS_NOTE = None
CALL_EXAMPLES = ("tether call vk users.get user_ids=1 fields=bdate --sandbox",)

_NO_TOKEN = (
    "set VK_ACCESS_TOKEN to a VK access token, or use --sandbox (or TETHER_SANDBOX) for the "
    "sandbox's test token"
)


def call(method: str, args: tuple[str, ...], options: Mapping[str, Any]) -> None:
    """``tether call vk METHOD [key=value …]``: print the ``response`` as JSON.

    Raises:
        TetherError: the call failed (VK's error code and message in one line).
    """
    from tether.vk import API

    with API(os.environ.get("VK_ACCESS_TOKEN") or None) as api:
        echo_json(api.call(method, **parse_params(args)))


def _settings(environ: Mapping[str, str]) -> Any:
    from tether.core.config import EnvSource, Settings
    from tether.services.kit.client import sandbox_redirect
    from tether.services.vk.spec import API_URL

    settings = Settings([EnvSource("VK_", environ)])
    settings.resolve("access_token")
    sandbox = sandbox_redirect("vk", environ)
    if sandbox is not None:
        if not settings.get("access_token"):
            settings.override("access_token", sandbox.credentials["access_token"], sandbox.source)
        settings.override("api_url", sandbox.credentials["api_url"], sandbox.source)
    else:
        settings.override("api_url", API_URL, "default (VK)")
    return settings


def explain(environ: Mapping[str, str]) -> Any:
    """VK's settings as ``tether call vk`` uses them."""
    from tether.core.config import Explanation
    from tether.core.errors import TetherError

    try:
        settings = _settings(environ)
    except TetherError as e:  # TETHER_SANDBOX set but no sandbox there
        return Explanation("vk", [], [], str(e))
    notes: list[str] = []
    if environ.get("TETHER_SANDBOX"):
        notes.append(f"TETHER_SANDBOX={environ['TETHER_SANDBOX']}: calls go to the sandbox")
    problem = None if settings.get("access_token") else f"no token: {_NO_TOKEN}"
    return Explanation("vk", settings.explain(), notes, problem)


def ready_args(creds: Mapping[str, Any]) -> dict[str, Any]:
    """``API`` arguments for the sandbox's ready user token (every scope), given the VK block
    of its credentials."""
    return {"token": creds["access_token"], "api_url": creds["api_url"]}
