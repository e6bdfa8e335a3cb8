"""Client side of the sandbox: check ``TETHER_SANDBOX``, read a running sandbox's credentials.

Used by service clients when ``TETHER_SANDBOX`` is set. Only plain urllib3, no server imports.

Invariants:
- ``TETHER_SANDBOX`` is checked (``sandbox_root``) before any network use: an ``http`` or
  ``https`` URL with a host and at most a ``/`` for path. Anything else is a ``ConfigError``
  saying what was expected, never a DNS lookup or a library warning.
- A sandbox's credentials are fixed for its root URL (the seed's constants; only the URLs in
  them follow the root), so ``credentials_for`` keeps what it learnt per (root, CA) for the
  process: a sandbox started in this process is known from its start (``remember``, without
  HTTP), another one costs one fetch for the first client, then none. That is what keeps an
  ``AsyncClient`` built inside a running event loop from blocking it on a fetch. Trust is
  part of the key: a lookup without the CA a TLS sandbox needs never hits an entry made with
  it. ``Sandbox.stop()`` forgets its root.
- ``TETHER_SANDBOX_CA`` (``sandbox_ca``), when set, names the CA file of a ``tether sandbox
  --tls``: ``fetch_credentials`` trusts that CA for ``https`` and facades pass it to their
  transports (``ca_certs``). Certificates are always verified; the CA is added, never a
  switch that turns checking off.
"""

from __future__ import annotations

import os
import threading
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from tether.core import jsonparse
from tether.core.errors import ConfigError
from tether.core.redact import redact_url

__all__ = [
    "credentials_for",
    "fetch_credentials",
    "forget",
    "remember",
    "sandbox_ca",
    "sandbox_root",
]

_KNOWN: dict[tuple[str, str | None], dict[str, Any]] = {}
_KNOWN_LOCK = threading.Lock()


def sandbox_root(value: str) -> str:
    """The sandbox root URL ``TETHER_SANDBOX`` names, without a trailing slash.

    Raises:
        ConfigError: not an ``http(s)://host[:port]`` URL.
    """
    example = "e.g. TETHER_SANDBOX=http://127.0.0.1:8765 (what `tether sandbox` prints)"
    shown = redact_url(value)  # never echo a password someone put in the URL
    try:
        parts = urlsplit(value.strip())
        port = parts.port  # reading it checks it: a ValueError for ":abc" or ":99999"
    except ValueError as e:
        raise ConfigError(f"TETHER_SANDBOX={shown!r} is not a valid URL ({e}); {example}") from None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"TETHER_SANDBOX={shown!r} is not a sandbox URL: it needs http:// or https:// and a "
            f"host; {example}"
        )
    if parts.path not in ("", "/") or parts.query or parts.fragment or parts.username:
        raise ConfigError(
            f"TETHER_SANDBOX={shown!r}: give the sandbox's root URL only, without a path, "
            f"query or user name (every service lives under it); {example}"
        )
    host = parts.hostname
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return f"{parts.scheme}://{netloc}"


def sandbox_ca(environ: Mapping[str, str] | None = None) -> str | None:
    """The CA file to trust for the sandbox (``TETHER_SANDBOX_CA``), or ``None`` if unset.

    Raises:
        ConfigError: it is set but names no readable file.
    """
    env = os.environ if environ is None else environ
    path = env.get("TETHER_SANDBOX_CA") or None
    if path is None:
        return None
    if not os.path.isfile(path) or not os.access(path, os.R_OK):
        raise ConfigError(
            f"TETHER_SANDBOX_CA={path} is not a readable file; use the path `tether sandbox "
            "--tls` prints, or unset TETHER_SANDBOX_CA"
        )
    return path


def fetch_credentials(root: str, *, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """``GET <root>/_sandbox/credentials``.

    Args:
        root: the sandbox's root URL (``TETHER_SANDBOX``'s value).
        environ: where ``TETHER_SANDBOX_CA`` is read (default: ``os.environ``).

    Raises:
        ConfigError: ``root`` is not a sandbox URL, no sandbox answers there, or what answers
            is not a sandbox; the message says what to do.
    """
    base = sandbox_root(root)
    ca = sandbox_ca(environ)
    import urllib3

    url = base + "/_sandbox/credentials"
    kw: dict[str, Any] = {"ca_certs": ca} if ca and base.startswith("https:") else {}
    try:
        with urllib3.PoolManager(retries=False, **kw) as pool:
            r = pool.request("GET", url, timeout=urllib3.Timeout(connect=5, read=10))
    except urllib3.exceptions.SSLError as e:
        hint = (
            "set TETHER_SANDBOX_CA to the CA file `tether sandbox --tls` printed"
            if ca is None
            else f"check that TETHER_SANDBOX_CA={ca} is the CA that sandbox printed"
        )
        raise ConfigError(
            f"TETHER_SANDBOX={root}: the sandbox's certificate is not trusted ({_reason(e)}); "
            f"{hint}"
        ) from None
    except Exception as e:
        raise ConfigError(
            f"TETHER_SANDBOX={root} but no sandbox answers there ({type(e).__name__}). Start "
            "one with `tether sandbox`, or unset TETHER_SANDBOX"
        ) from None
    try:
        data = jsonparse.loads(r.data)
    except (ValueError, jsonparse.NestingTooDeep):
        data = None
    if r.status != 200 or not isinstance(data, dict):
        raise ConfigError(
            f"TETHER_SANDBOX={root} does not look like a tether sandbox (GET {url} answered "
            f"{r.status}); check the URL"
        )
    return data


def remember(root: str, ca: str | None, credentials: dict[str, Any]) -> None:
    """Record a sandbox's credentials (``Sandbox.start()`` does, for its own root)."""
    with _KNOWN_LOCK:
        _KNOWN[(sandbox_root(root), ca)] = credentials


def forget(root: str) -> None:
    """Drop what is known of the sandbox at ``root`` (``Sandbox.stop()``)."""
    base = sandbox_root(root)
    with _KNOWN_LOCK:
        for key in [k for k in _KNOWN if k[0] == base]:
            del _KNOWN[key]


def credentials_for(root: str, *, environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The sandbox's credentials: what is known of ``root`` with this CA, else fetched once
    (``fetch_credentials``, same errors) and kept."""
    base = sandbox_root(root)
    key = (base, sandbox_ca(environ))
    with _KNOWN_LOCK:
        known = _KNOWN.get(key)
    if known is not None:
        return known
    fetched = fetch_credentials(root, environ=environ)
    with _KNOWN_LOCK:
        _KNOWN[key] = fetched
    return fetched


def _reason(error: BaseException) -> str:
    # urllib3 wraps the ssl error a few levels down; its text is what tells users most.
    while error.__context__ is not None and not str(error):
        error = error.__context__
    text = str(error)
    return text if len(text) <= 200 else text[:200] + "…"
