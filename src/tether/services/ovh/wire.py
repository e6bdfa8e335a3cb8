"""OVH's wire format: python-ovh's query and body encodings, and ``RawResponse``.

Invariants:
- ``encode_query`` is python-ovh's byte for byte (ovh.md §2.3): booleans and ``None`` as JSON
  words, every value ``quote_plus``-ed with no safe characters; the signature covers exactly
  these bytes, so they must not drift.
- ``encode_body`` is compact JSON, ASCII-escaped, in insertion order (ovh.md §2.4); a value
  JSON cannot carry is a ``BadParametersError`` before anything is sent.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote_plus

from tether.core.params import unalias
from tether.services.kit.rest import ResponseView
from tether.services.ovh import errors as E

__all__ = ["JSON_HEADERS", "RawResponse", "encode_body", "encode_query"]

JSON_HEADERS = (("Content-type", "application/json"),)


def _query_value(v: Any) -> str:
    if v is True:
        return "true"
    if v is False:
        return "false"
    if v is None:
        return "null"
    return quote_plus(str(v), safe="")


def encode_query(params: Mapping[str, Any]) -> str:
    """python-ovh's query encoding (ovh.md §2.3): booleans and None as JSON words, lists as
    their Python repr, everything ``quote_plus``-ed with no safe characters."""
    return "&".join(
        f"{quote_plus(unalias(k), safe='')}={_query_value(v)}" for k, v in params.items()
    )


def encode_body(data: Any) -> bytes:
    """Compact JSON, ASCII-escaped, insertion order (ovh.md §2.4)."""
    try:
        return json.dumps(data, separators=(",", ":")).encode()
    except (TypeError, ValueError) as e:
        raise E.BadParametersError(
            f"cannot send this value as JSON ({e}); pass dicts, lists, str, int, float, bool "
            "or None"
        ) from None


class RawResponse(ResponseView):
    """What ``raw_call`` returns: the HTTP response untouched, with the parts of
    ``requests.Response`` that python-ovh users reach for (the REST kit's view)."""

    __slots__ = ()
