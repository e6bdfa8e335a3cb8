"""Driving the OVH emulator from a test over its control API (``/_sandbox/ovh``): what a person
would do on OVH's own pages. ``tether.sandbox.Sandbox`` exposes these as thin methods.

Invariants:
- Only the standard library is imported: a test process calls these without loading the
  emulator or Starlette (the emulator runs in the sandbox's thread or process).
- Each function takes ``control``, a ``(method, path, body) -> JSON`` callable
  (``Sandbox.control``): it raises ``SandboxError`` for any 4xx/5xx, with the control API's
  ``{"error": …}`` message, which names no secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Control = Callable[[str, str, Any], Any]


def validate_consumer_key(
    control: Control, consumer_key: str, *, deny: bool = False, expires_in: float | None = None
) -> dict[str, Any]:
    """Approve (or refuse) a pending consumer key as the user would on the validation page.

    Args:
        control: the sandbox's control call (``Sandbox.control``).
        consumer_key: the ``consumerKey`` returned by ``POST /auth/credential``.
        deny: refuse instead of approving.
        expires_in: validity in seconds (default: unlimited).

    Returns:
        The credential (``api.Credential`` shape).

    Raises:
        SandboxError: unknown key (404) or not pending any more (409).
    """
    body: dict[str, Any] = {"deny": deny}
    if expires_in is not None:
        body["expires_in"] = expires_in
    result: dict[str, Any] = control(
        "POST", f"/_sandbox/ovh/credentials/{consumer_key}/validate", body
    )
    return result
