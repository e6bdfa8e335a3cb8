"""Bounded JSON decoding: the one ``json.loads`` every answer and every sandbox body goes through.

``loads(data, where)`` is ``json.loads`` that cannot end in ``RecursionError``: a document
nested deeper than ``MAX_DEPTH`` arrays/objects raises ``NestingTooDeep`` (a
``ProtocolError`` naming the call) before the C decoder sees it.

Invariants:
- The depth of a document is at most half its length and at most its number of ``[`` plus
  ``{``, counted at C speed (``bytes.count``); a small answer (under 1 KiB) costs one ``len``.
  Only when the count exceeds the limit is the exact depth measured, and that scan is C loops
  too: escaped backslashes and quotes are removed (``bytes.replace``), every byte but brackets
  and quotes is deleted (``bytes.translate``), string contents are cut out (``""`` pairs, then a
  regular expression for the rare string holding a bracket), innermost pairs are collapsed a
  few times (wide answers end there), and only what is left gets a running depth
  (``itertools.accumulate``).
- The limit (512) is far beyond any real API answer (OVH and Flickr nest fewer than 10 levels)
  and far below the interpreter's recursion limit, so neither the decoder nor code walking
  the result (``json.dumps``, ``repr``, a recursive printer) can overflow the stack on it.
- ``ValueError`` keeps meaning "not JSON" as with ``json.loads``; ``NestingTooDeep`` is not a
  ``ValueError``, so callers that fall back on ``ValueError`` do not re-parse a hostile body.
- ``strict=True`` also refuses ``NaN``, ``Infinity`` and ``-Infinity``, which Python accepts
  but JSON (RFC 8259) does not, as a ``ValueError``: a server must not store a number it
  cannot answer again (``json.dumps(allow_nan=False)`` would fail on it).
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any, Final

from tether.core.errors import ProtocolError

__all__ = ["MAX_DEPTH", "NestingTooDeep", "depth_exceeds", "loads"]

#: Deepest nesting of arrays and objects (or XML elements) accepted in one document.
MAX_DEPTH: Final = 512


class NestingTooDeep(ProtocolError):
    """A document nests arrays/objects (or elements) deeper than the limit: refused unread."""


# After escapes are gone and only brackets and quotes are left, a string is a quote, the
# brackets it held, a quote.
_STRING = re.compile(rb'"[^"]*"')
_NOT_STRUCTURE = bytes(b for b in range(256) if b not in b'[]{}"')
_ONE_KIND = bytes.maketrans(b"{}", b"[]")
# Step of the running depth per remaining byte: openers +1, closers -1.
_STEP: Final = [0] * 256
for _b in b"[{":
    _STEP[_b] = 1
for _b in b"]}":
    _STEP[_b] = -1
del _b


def depth_exceeds(data: bytes | str, limit: int = MAX_DEPTH) -> bool:
    """Whether JSON text ``data`` nests arrays/objects deeper than ``limit``.

    Exact for well-formed JSON; for malformed text it may over-count (an unterminated string's
    brackets), which only turns one refusal into another.
    """
    # Each level takes two bytes ("[" and "]"), and one opener.
    if len(data) <= 2 * limit + 1:
        return False
    if isinstance(data, str):
        if data.count("[") + data.count("{") <= limit:
            return False
        data = data.encode("utf-8", "surrogatepass")
    elif data.count(b"[") + data.count(b"{") <= limit:
        return False
    if b"\x00" in data:
        data = data.replace(b"\x00", b"")  # UTF-16/32 text: its ASCII is what matters here
    if b"\\" in data:
        # Backslash pairs go first, left to right as JSON reads them, so that what is left of
        # a run escapes the byte after it; only an escaped quote matters to the structure.
        data = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    # A "" pair is an empty string or the end and start of two strings with no bracket between
    # them: dropping it leaves the brackets outside strings as they were.
    structure = data.translate(None, _NOT_STRUCTURE).replace(b'""', b"")
    if b'"' in structure:
        structure = _STRING.sub(b"", structure)
    if len(structure) <= limit:
        return False
    # Real answers are wide, not deep: collapsing the innermost pairs a few times empties them
    # (one level per pass, as replace never rescans what it produced).
    structure = structure.translate(_ONE_KIND)
    passes = min(limit, 8)
    for done in range(1, passes + 1):
        structure = structure.replace(b"[]", b"")
        # What is left is ``done`` levels shallower than the document.
        if len(structure) <= 2 * (limit - done):
            return False
    left = limit - passes
    return max(itertools.accumulate(map(_STEP.__getitem__, structure))) > left


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number (RFC 8259 has no NaN or Infinity)")


def loads(
    data: bytes | str, where: str = "", *, max_depth: int = MAX_DEPTH, strict: bool = False
) -> Any:
    """``json.loads(data)``, refusing documents nested deeper than ``max_depth``.

    Args:
        data: the JSON text (bytes are decoded as ``json.loads`` does: UTF-8/16/32).
        where: the call it answers (``"GET /me"``, ``"flickr.photos.search"``), for the error.
        max_depth: deepest nesting of arrays/objects accepted.
        strict: also refuse ``NaN`` / ``Infinity`` (as a ``ValueError``).

    Raises:
        NestingTooDeep: nested deeper than ``max_depth``.
        ValueError: not JSON (``json.JSONDecodeError``, or ``UnicodeDecodeError`` for bytes).
    """
    if depth_exceeds(data, max_depth):
        raise _too_deep(where, max_depth)
    try:
        if strict:
            return json.loads(data, parse_constant=_refuse_constant)
        return json.loads(data)
    except RecursionError:
        # Only reachable when the caller already sits deep in the stack: still ours to report.
        raise _too_deep(where, max_depth) from None


def _too_deep(where: str, max_depth: int) -> NestingTooDeep:
    prefix = f"{where}: " if where else ""
    return NestingTooDeep(
        f"{prefix}the answer is JSON nested deeper than {max_depth} levels, refused unread; no "
        "real API answer nests that deep: check the endpoint URL and any proxy in between"
    )
