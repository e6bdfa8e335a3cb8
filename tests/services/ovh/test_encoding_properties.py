"""Properties of the OVH encoders and signer (Hypothesis), and the client-side pacing."""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import parse_qsl

from hypothesis import given
from hypothesis import strategies as st

from tests.flowdriver import Driver, json_response
from tether.auth.ovh import signature
from tether.core.messages import Request, Response
from tether.ovh import Client
from tether.services.ovh.api import encode_body, encode_query

names = st.text(st.characters(codec="utf-8", exclude_characters="\x00"), min_size=1).filter(
    lambda n: not (n.startswith("_") and n[1:] in {"from", "class", "import", "def", "in", "is"})
)
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)


@given(st.dictionaries(names, st.text(st.characters(codec="utf-8", exclude_characters="\x00"))))
def test_query_round_trips_strings(params: dict[str, str]) -> None:
    assert dict(parse_qsl(encode_query(params), keep_blank_values=True)) == params


@given(st.dictionaries(names, st.booleans() | st.none() | st.integers()))
def test_query_scalars_are_json_words(params: dict[str, Any]) -> None:
    decoded = dict(parse_qsl(encode_query(params), keep_blank_values=True))
    assert decoded == {k: json.dumps(v) for k, v in params.items()}


@given(st.dictionaries(st.text(), json_values))
def test_body_round_trips_and_is_ascii(data: dict[str, Any]) -> None:
    body = encode_body(data)
    assert json.loads(body) == data
    assert body.isascii()
    # Compact: re-serialising with no whitespace after separators gives the same bytes.
    assert json.dumps(json.loads(body), separators=(",", ":")).encode() == body


@given(
    st.text(),
    st.text(),
    st.sampled_from(["GET", "post"]),
    st.text(),
    st.binary(),
    st.integers(0, 2**33),
)
def test_signature_deterministic_and_shaped(
    as_: str, ck: str, m: str, url: str, body: bytes, ts: int
) -> None:
    a = signature(as_, ck, m, url, body, ts)
    assert a == signature(as_, ck, m, url, body, ts)
    assert a.startswith("$1$") and len(a) == 43
    assert a != signature(as_, ck, m, url, body, ts + 1)


def test_rate_limit_paces_calls_with_sleep_effects() -> None:
    class NoTransport:
        def send(self, request: Request) -> Response:
            raise AssertionError

        def close(self) -> None:
            pass

    c = Client(
        endpoint="ovh-eu",
        application_key="a",
        application_secret="b",
        consumer_key="c",
        rate_limit=2.0,
        transport=NoTransport(),
        environ={},
    )
    d = Driver(lambda r: json_response(200, b"1457018875" if r.url.endswith("/time") else b"{}"))
    c._run = d.run
    for _ in range(6):
        c.get("/me")
    # burst of 2 free, then one call every 0.5 s of (fake) time
    assert d.slept == [0.5, 0.5, 0.5, 0.5]
