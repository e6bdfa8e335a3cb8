"""Client side of the sandbox: read the test credentials of a running sandbox.

Used by service clients when ``TETHER_SANDBOX`` is set. Only plain urllib3, no server imports.
"""

from __future__ import annotations

import json
from typing import Any

from tether.core.errors import ConfigError


def fetch_credentials(root: str) -> dict[str, Any]:
    """``GET <root>/_sandbox/credentials``; a ``ConfigError`` saying what to do if unreachable."""
    import urllib3

    url = root.rstrip("/") + "/_sandbox/credentials"
    try:
        r = urllib3.request("GET", url, timeout=urllib3.Timeout(connect=5, read=10), retries=False)
    except Exception as e:
        raise ConfigError(
            f"TETHER_SANDBOX={root} but no sandbox answers there ({type(e).__name__}). Start "
            "one with `tether sandbox`, or unset TETHER_SANDBOX"
        ) from None
    try:
        data = json.loads(r.data)
    except ValueError:
        data = None
    if r.status != 200 or not isinstance(data, dict):
        raise ConfigError(
            f"TETHER_SANDBOX={root} does not look like a tether sandbox (GET {url} answered "
            f"{r.status}); check the URL"
        )
    return data
