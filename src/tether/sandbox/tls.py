"""Certificates for a sandbox served over HTTPS (``tether sandbox --tls``, ``Sandbox(tls=True)``).

A throwaway certificate authority (made with ``trustme``) signs a server certificate for the
loopback names; clients trust the CA through ``TETHER_SANDBOX_CA=<folder>/ca.pem``.

Invariants:
- The CA lives in one folder per user (``default_dir``: ``$XDG_STATE_HOME/tether/sandbox-tls``,
  else ``~/.local/state/tether/sandbox-tls``), created 0700. It is made once and reused, so the
  ``TETHER_SANDBOX_CA`` a user exported stays right across restarts and for several sandboxes
  at once. Its private key is written 0600, atomically (a reader never sees half a file).
- The server's own key is issued fresh for each start and is on disk only while uvicorn loads
  it (``server_cert_file`` removes it when the block ends): 0600, in the same folder.
- This CA can sign certificates for any name, so its key must stay the user's: the folder and
  key are refused (``ConfigError``) if another user can read them.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

from tether.core.errors import ConfigError

CA_FILE = "ca.pem"
CA_KEY_FILE = "ca-key.pem"
#: Names the server certificate is valid for, besides the address it listens on.
LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def default_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The per-user folder the sandbox's CA is kept in."""
    env = os.environ if environ is None else environ
    state = env.get("XDG_STATE_HOME") or str(Path.home() / ".local" / "state")
    return Path(state) / "tether" / "sandbox-tls"


def _trustme() -> ModuleType:
    try:
        import trustme
    except ImportError as err:  # pragma: no cover - depends on the installed extras
        raise ConfigError(
            f"the TLS sandbox needs trustme ({err}); install it with: pip install 'tether[sandbox]'"
        ) from None
    return trustme


def _write_private(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, readable by the owner only."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")  # mkstemp: 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def _private_folder(folder: Path) -> None:
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    mode = folder.stat().st_mode
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise ConfigError(
            f"{folder} (the sandbox's certificate authority) is open to other users "
            f"(mode {stat.S_IMODE(mode):o}); run: chmod 700 {folder}"
        )


def load_ca(folder: Path) -> Any:
    """The folder's CA, made (and saved) if there is none yet.

    Raises:
        ConfigError: the folder or the key is readable by others, or the files are unreadable.
    """
    trustme = _trustme()
    _private_folder(folder)
    cert_path, key_path = folder / CA_FILE, folder / CA_KEY_FILE
    try:
        if cert_path.exists() and key_path.exists():
            if stat.S_IMODE(key_path.stat().st_mode) & 0o077:
                raise ConfigError(
                    f"{key_path} (the sandbox CA's private key) is readable by other users; "
                    f"run: chmod 600 {key_path}, or delete {folder} to make a new CA"
                )
            return trustme.CA.from_pem(cert_path.read_bytes(), key_path.read_bytes())
        ca = trustme.CA(organization_name="tether sandbox")
        _write_private(key_path, ca.private_key_pem.bytes())
        _write_private(cert_path, ca.cert_pem.bytes())
        return ca
    except ConfigError:
        raise
    except (OSError, ValueError) as err:
        raise ConfigError(
            f"cannot use the sandbox CA in {folder} ({err}); delete the folder to make a new one"
        ) from None


@contextlib.contextmanager
def server_cert_file(ca: Any, folder: Path, hosts: Sequence[str] = ()) -> Iterator[str]:
    """A file holding a fresh server key and certificate chain signed by ``ca`` (a
    ``trustme.CA``), valid for the loopback names and ``hosts``; removed when the block ends."""
    wildcard = ("", "0.0.0.0", "::")
    names = list(dict.fromkeys([*LOOPBACK_NAMES, *(h for h in hosts if h not in wildcard)]))
    leaf = ca.issue_cert(*names)
    fd, path = tempfile.mkstemp(dir=folder, prefix=".server-", suffix=".pem")  # 0600
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(leaf.private_key_and_cert_chain_pem.bytes())
        yield path
    finally:
        with contextlib.suppress(OSError):
            os.unlink(path)
