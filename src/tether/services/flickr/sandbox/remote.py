"""Driving the Flickr emulator from a test over its control API (``/_sandbox/flickr``): what a
person would do on Flickr's login and authorize pages. ``tether.sandbox.Sandbox`` exposes
these as thin methods.

Invariants:
- Only the standard library and ``tether.core.errors`` are imported: a test process calls
  these without loading the emulator or Starlette.
- Each function takes ``control``, a ``(method, path, body) -> JSON`` callable
  (``Sandbox.control``): it raises ``SandboxError`` for any 4xx/5xx, with the control API's
  ``{"error": …}`` message, which names no secret.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tether.core.errors import UsageError

Control = Callable[[str, str, Any], Any]


def approve(
    control: Control,
    *,
    frob: str | None = None,
    oauth_token: str | None = None,
    perms: str | None = None,
    deny: bool = False,
) -> dict[str, Any]:
    """Approve (or refuse) a pending frob or OAuth request token, as the user would on
    Flickr's page.

    Args:
        control: the sandbox's control call (``Sandbox.control``).
        frob: a frob from ``flickr.auth.getFrob`` (legacy flow), or
        oauth_token: a request token from ``/services/oauth/request_token``.
        perms: read, write or delete (default: what the page asked for, else delete).
        deny: refuse instead of approving.

    Returns:
        The control answer; for a request token it holds ``oauth_verifier``.

    Raises:
        UsageError: not exactly one of ``frob`` and ``oauth_token``.
        SandboxError: unknown, expired or already decided.
    """
    if (frob is None) == (oauth_token is None):
        raise UsageError("approve_flickr needs exactly one of frob= and oauth_token=")
    body: dict[str, Any] = {"deny": deny}
    if frob is not None:
        body["frob"] = frob
    else:
        body["oauth_token"] = oauth_token
    if perms is not None:
        body["perms"] = perms
    result: dict[str, Any] = control("POST", "/_sandbox/flickr/approve", body)
    return result
