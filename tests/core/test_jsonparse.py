"""tether.core.jsonparse: json.loads that refuses deep nesting as a ProtocolError, exactly at
the limit, whatever strings, escapes and encodings the document holds."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tether.core.errors import ProtocolError, TetherError
from tether.core.jsonparse import MAX_DEPTH, NestingTooDeep, depth_exceeds, loads


def nested(depth: int, opener: str = "[", closer: str = "]") -> str:
    return opener * depth + closer * depth


def true_depth(value: Any) -> int:
    """Depth of nested lists/dicts, level by level (a recursive walk could overflow here)."""
    depth, level = 0, [value]
    while True:
        containers = [c for c in level if isinstance(c, dict | list)]
        if not containers:
            return depth
        depth += 1
        level = [v for c in containers for v in (c.values() if isinstance(c, dict) else c)]


def test_deep_document_is_a_protocol_error_naming_the_call() -> None:
    with pytest.raises(NestingTooDeep) as e:
        loads(nested(100_000).encode(), "GET /me")
    assert isinstance(e.value, ProtocolError) and isinstance(e.value, TetherError)
    assert not isinstance(e.value, ValueError)  # callers' "not JSON" fallbacks do not re-parse
    assert str(e.value).startswith("GET /me: ")
    assert f"deeper than {MAX_DEPTH}" in str(e.value)


def test_limit_is_exact_for_arrays_and_objects() -> None:
    ok = '{"a":' * (MAX_DEPTH - 1) + "[]" + "}" * (MAX_DEPTH - 1)
    assert true_depth(loads(ok)) == MAX_DEPTH
    with pytest.raises(NestingTooDeep):
        loads("[" + ok + "]")
    assert loads(nested(MAX_DEPTH).encode()) is not None
    with pytest.raises(NestingTooDeep):
        loads(nested(MAX_DEPTH + 1).encode())


def test_brackets_inside_strings_do_not_count() -> None:
    flat = json.dumps(["[" * 5000, "{" * 5000, '\\"[[[' * 1000, "]" * 3000])
    assert len(loads(flat)) == 4
    assert len(loads(flat.encode())) == 4


def test_closers_inside_strings_do_not_hide_depth() -> None:
    # A string full of closers first, then real depth: a scan that ignored strings would
    # see the running depth fall below zero and miss the deep part.
    doc = '["' + "]" * 2000 + '", ' + nested(MAX_DEPTH + 5) + "]"
    with pytest.raises(NestingTooDeep):
        loads(doc.encode())
    escaped = '["\\"' + "]" * 2000 + '\\\\", ' + nested(MAX_DEPTH + 5) + "]"
    assert json.loads(escaped)  # well-formed: an escaped quote, then an escaped backslash
    with pytest.raises(NestingTooDeep):
        loads(escaped.encode())


def test_utf16_documents_are_bounded_too() -> None:
    with pytest.raises(NestingTooDeep):
        loads(nested(5000).encode("utf-16"))
    assert loads(json.dumps(["é" * 600]).encode("utf-16")) == ["é" * 600]


def test_not_json_stays_a_value_error() -> None:
    with pytest.raises(ValueError):
        loads(b"{not json")


def test_strict_refuses_nan_and_infinity() -> None:
    assert math.isnan(loads(b'{"a": NaN}')["a"])  # json.loads' own behaviour, kept by default
    for token in (b"NaN", b"Infinity", b"-Infinity"):
        with pytest.raises(ValueError, match="not a JSON number"):
            loads(b'{"skew": ' + token + b"}", strict=True)
    assert loads(b'{"skew": 1e300}', strict=True) == {"skew": 1e300}


_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(alphabet=st.sampled_from('[]{}"\\ab\n/é'), max_size=8)
)
_values = st.recursive(
    _scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.text(alphabet='[]{}"\\k', max_size=3), children, max_size=4)
    ),
    max_leaves=40,
)


@settings(max_examples=400, deadline=None)
@given(_values, st.integers(min_value=0, max_value=8), st.booleans())
def test_depth_scan_agrees_with_the_parsed_depth(value: Any, limit: int, ascii_only: bool) -> None:
    text = json.dumps(value, ensure_ascii=ascii_only)
    expected = true_depth(value) > limit
    assert depth_exceeds(text, limit) is expected
    assert depth_exceeds(text.encode(), limit) is expected
    if expected:
        with pytest.raises(NestingTooDeep):
            loads(text.encode(), max_depth=limit)
    else:
        assert loads(text.encode(), max_depth=limit) == json.loads(text)
