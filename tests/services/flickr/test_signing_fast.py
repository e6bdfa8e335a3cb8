"""tether's fast paths in OAuth signing give exactly what oauthlib gives (tether.auth.flickr).

``_escape`` skips oauthlib's ``escape`` for text with nothing to escape, and ``_normalize`` is
RFC 5849's parameter normalisation over ``_escape``; both must agree with oauthlib on any input,
and a whole header must match one built from oauthlib's ``Client`` for the same request.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oauthlib.oauth1 import Client
from oauthlib.oauth1.rfc5849 import signature as S
from oauthlib.oauth1.rfc5849.utils import escape

from tether.auth.flickr import FORM, _escape, _normalize, oauth_header

# Text that stresses the boundary: unreserved characters, the reserved ones, non-ASCII
# (accents, astral), controls, and digits from other scripts that \d would take.
_TEXT = st.text(
    alphabet=st.one_of(
        st.sampled_from("AZaz09._~-"),
        st.sampled_from(" !*'();:@&=+$,/?#[]%\"<>\\^`{|}"),
        st.characters(min_codepoint=0x80, max_codepoint=0x10FFFF, exclude_categories=("Cs",)),
        st.characters(max_codepoint=0x1F),
        st.sampled_from("٣１"),
    ),
    max_size=40,
)


@given(_TEXT)
def test_escape_is_oauthlibs(text: str) -> None:
    assert _escape(text) == escape(text)


@given(st.lists(st.tuples(_TEXT, _TEXT), max_size=12))
def test_normalize_is_oauthlibs(params: list[tuple[str, str]]) -> None:
    assert _normalize(params) == S.normalize_parameters(params)


def test_escape_refuses_what_oauthlib_refuses() -> None:
    with pytest.raises(ValueError, match="Only unicode objects are escapable"):
        _escape(b"abc")  # type: ignore[arg-type]


@given(
    fields=st.dictionaries(_TEXT.filter(bool), _TEXT, max_size=6),
    query=st.sampled_from(["", "?a=1", "?b=%20x&a="]),
)
def test_whole_header_matches_oauthlib_client(fields: dict[str, str], query: str) -> None:
    # Field names must not collide with oauth_* ones for oauthlib's Client to accept them.
    fields = {k: v for k, v in fields.items() if not k.startswith("oauth_")}
    url = "https://www.flickr.com/services/rest/" + query
    ours = oauth_header(
        "POST",
        url,
        fields,
        api_key="key",
        secret="s€cret",
        nonce="n0nce",
        timestamp=1500000000,
        token="tok-1",
        token_secret="ts&1",
    )
    client = Client(
        "key",
        client_secret="s€cret",
        resource_owner_key="tok-1",
        resource_owner_secret="ts&1",
        nonce="n0nce",
        timestamp="1500000000",
    )
    from urllib.parse import urlencode

    _, headers, _ = client.sign(url, "POST", body=urlencode(fields), headers={"Content-Type": FORM})

    def parts(h: str) -> dict[str, str]:
        return dict(p.strip().split("=", 1) for p in h.removeprefix("OAuth ").split(","))

    assert parts(ours) == parts(headers["Authorization"])
