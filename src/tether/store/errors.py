"""The token store's errors, and what a token is.

Invariants:
- Every error names the file and says what to do; the token itself never appears in one.
- Both errors are ``ConfigError``s (the fix is on the user's side: a path, a permission, a
  disk), so callers that catch configuration problems catch these too.
- A token is non-empty text; surrounding whitespace is not part of it (a file edited by hand
  ends with a newline). ``clean_token`` is the one place that rule is written, checked before
  any file is touched.
"""

from __future__ import annotations

from tether.core.errors import ConfigError, UsageError

__all__ = ["LockingError", "StoreError", "clean_token"]


class StoreError(ConfigError):
    """A token could not be read, saved or removed (permissions, full disk, not a file …).

    When saving fails, the previously stored token is still there, unchanged.
    """


class LockingError(StoreError):
    """The token's lock could not be had in time: another process (or thread) holds it."""


def clean_token(token: object) -> str:
    """``token`` without surrounding whitespace.

    Raises:
        UsageError: ``token`` is not a non-empty string (the message never shows it).
    """
    if not isinstance(token, str):
        raise UsageError(f"a token is text (str), not {type(token).__name__}")
    cleaned = token.strip()
    if not cleaned:
        raise UsageError("a token cannot be empty; to remove one, delete it")
    return cleaned
