"""File names and folders for tokens: names escaped from text, folders created private.

Invariants:
- Keys and user names become file names by escaping, never by trust: ``escape_name`` is
  injective and its result is one path component, so a key cannot name a file outside its
  folder; names starting with ``.`` are ours (temporary and lock files), so a leading ``.`` is
  escaped too.
- Common names (an API key, a user name) come out unchanged, so the seed's FlickrAPI file
  names are kept; spaces and accents are kept as they are.
- Every folder we create is 0700, each missing level and not only the last; a folder that
  already exists keeps its mode (changing it is not ours to do).

Why by hand. ``os.makedirs(mode=0o700)`` gives the parents 0777 minus the umask and the mode
of the last level is filtered by the umask too, so it cannot keep the second invariant.
``platformdirs`` was considered for the base folder and not taken: the base is FlickrAPI's
``~/.flickr``, a promise of the seed's layout, not a per-platform data folder (and it would be
a new dependency for one path).
"""

from __future__ import annotations

import os
import re

from tether.core.errors import UsageError

__all__ = ["escape_name", "make_private_dir"]

# "\\" and ":" are escaped everywhere (not only on Windows) so a folder of tokens can move
# between systems and keep its names.
_UNSAFE_CHARS = frozenset("%/\\:")
# The common case (an API key, a user name) needs no escaping; finding that out with one
# regular-expression scan costs a fraction of the character loop (every token read names
# its file).
_NEEDS_ESCAPE = re.compile(r"[%/\\:\x00-\x1f\x7f]|^\.")


def escape_name(text: str, what: str) -> str:
    """Text → one safe path component, injectively: ``%``, ``/``, ``\\``, ``:``, control
    characters and a leading ``.`` are percent-encoded; everything else (spaces, accents) is
    kept, so common names give the same file names FlickrAPI used.

    Raises:
        UsageError: ``text`` is not a non-empty string (``what`` names it in the message).
    """
    if not isinstance(text, str) or not text:
        raise UsageError(f"{what} must be a non-empty string, not {text!r}")
    if _NEEDS_ESCAPE.search(text) is None:
        return text
    out = []
    for i, ch in enumerate(text):
        if ch in _UNSAFE_CHARS or ord(ch) < 0x20 or ord(ch) == 0x7F or (i == 0 and ch == "."):
            out.append("".join(f"%{b:02X}" for b in ch.encode("utf-8")))
        else:
            out.append(ch)
    return "".join(out)


def make_private_dir(folder: str) -> None:
    """Create ``folder`` and every missing parent, each 0700 (see the module invariants).

    Raises:
        OSError: a level cannot be created (callers turn it into a ``StoreError``).
    """
    # Every folder we create gets 0700, each missing level and not only the last (makedirs
    # gives the parents 0777 minus the umask: a world-writable ~/.flickr under umask 0 would
    # let another user swap in a folder of their own). An existing folder (a home directory, a
    # folder a user made on purpose) keeps its mode: changing it is not ours to do. The token
    # file is 0600 either way.
    missing: list[str] = []
    path = os.path.abspath(folder)
    while not os.path.isdir(path):
        missing.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    for level in reversed(missing):
        try:
            os.mkdir(level, 0o700)
        except FileExistsError:
            if not os.path.isdir(level):
                raise
            continue  # another process made it first: its mode is its own
        os.chmod(level, 0o700)  # mkdir's mode is filtered by the umask
