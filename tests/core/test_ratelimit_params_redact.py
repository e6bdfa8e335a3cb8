from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tether.core.errors import UsageError
from tether.core.messages import Request
from tether.core.params import unalias, unalias_all
from tether.core.ratelimit import TokenBucket
from tether.core.redact import redact_headers, redact_text, redact_url


def test_bucket_bursts_then_spaces_calls() -> None:
    b = TokenBucket(rate=2.0, capacity=3)
    assert [b.reserve(0.0) for _ in range(3)] == [0.0, 0.0, 0.0]
    assert b.reserve(0.0) == pytest.approx(0.5)
    assert b.reserve(0.0) == pytest.approx(1.0)  # queued behind the previous reservation
    assert b.reserve(10.0) == 0.0  # refilled (capped at capacity)


def test_bucket_clock_going_backwards_adds_nothing() -> None:
    b = TokenBucket(rate=1.0, capacity=1)
    assert b.reserve(100.0) == 0.0
    assert b.reserve(50.0) == pytest.approx(1.0)


def test_try_acquire_and_retry_after() -> None:
    b = TokenBucket(rate=1.0, capacity=1)
    assert b.try_acquire(0.0)
    assert not b.try_acquire(0.5)
    assert b.retry_after(0.5) == pytest.approx(0.5)
    assert b.try_acquire(1.0)


@given(
    st.floats(min_value=0.1, max_value=100),
    st.integers(min_value=1, max_value=20),
    st.lists(st.floats(min_value=0, max_value=5), min_size=1, max_size=50),
)
def test_bucket_never_exceeds_rate(rate: float, capacity: int, gaps: list[float]) -> None:
    """Over any schedule, the calls allowed by time t never exceed capacity + rate * t."""
    b = TokenBucket(rate=rate, capacity=capacity)
    now = 0.0
    for i, gap in enumerate(gaps, start=1):
        now += gap
        start = now + b.reserve(now)
        assert i <= capacity + rate * start + 1e-6


def test_bad_bucket_arguments() -> None:
    with pytest.raises(ValueError):
        TokenBucket(rate=0)


def test_unalias_hard_keywords_only() -> None:
    assert unalias("_from") == "from"
    assert unalias("_class") == "class"
    assert unalias("_import") == "import"
    for name in ("_to", "_id", "_type", "_match", "__from", "from", "x"):
        assert unalias(name) == name
    assert list(unalias_all({"b": 1, "_from": 2, "a": 3})) == ["b", "from", "a"]
    with pytest.raises(UsageError):
        unalias_all({"": 1})


def test_redaction_keeps_names_hides_values() -> None:
    headers = [("X-Ovh-Signature", "$1$abc"), ("X-Ovh-Consumer", "CK"), ("Accept", "x")]
    assert redact_headers(headers) == [
        ("X-Ovh-Signature", "***"),
        ("X-Ovh-Consumer", "***"),
        ("Accept", "x"),
    ]
    assert redact_url("http://h/p?a=1&access_token=SECRET&b=2") == (
        "http://h/p?a=1&access_token=***&b=2"
    )
    assert redact_text("key is ABCDEFG!", ["ABCDEFG", None]) == "key is ***!"


def test_request_repr_never_shows_secrets() -> None:
    r = Request(
        "GET",
        "http://h/p?oauth_token=TOKSECRET",
        (("Authorization", "Bearer BEARERSECRET"), ("X-Ovh-Signature", "$1$SIGSECRET")),
    )
    text = repr(r)
    for secret in ("TOKSECRET", "BEARERSECRET", "SIGSECRET"):
        assert secret not in text
    assert "Authorization" in text


@given(
    st.dictionaries(
        st.text(max_size=20),
        st.one_of(
            st.text(max_size=30),
            st.text(alphabet="AZaz09_.~- +&=%/", max_size=30),
        ),
        max_size=8,
    )
)
def test_form_body_is_urlencode(fields: dict[str, str]) -> None:
    from urllib.parse import urlencode

    from tether.core.params import form_body

    assert form_body(fields) == urlencode(list(fields.items())).encode()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("http://user:s3cret-pw@127.0.0.1:8765/x?a=1", "http://user:***@127.0.0.1:8765/x?a=1"),
        ("https://:s3cret-pw@proxy:3128", "https://:***@proxy:3128"),
        ("https://user@host/", "https://user@host/"),  # no password: nothing to hide
        ("http://host/p@th?q=a:b@c", "http://host/p@th?q=a:b@c"),  # "@" outside the authority
    ],
)
def test_redact_url_hides_a_password_in_the_authority(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_a_bad_tether_sandbox_never_echoes_its_password() -> None:
    from tether.core.errors import ConfigError
    from tether.sandbox.client import sandbox_root

    with pytest.raises(ConfigError) as e:
        sandbox_root("http://user:s3cret-pw@127.0.0.1:8765/not-the-root")
    assert "s3cret-pw" not in str(e.value) and "user:***@" in str(e.value)


def test_vks_long_poll_key_captcha_key_and_sign_in_hashes_are_hidden() -> None:
    url = "https://m.vk.com/login?act=authcheck_code&hash=H2FA&api_hash=AH&key=K&captcha_key=C"
    assert redact_url(url) == (
        "https://m.vk.com/login?act=authcheck_code&hash=***&api_hash=***&key=***&captcha_key=***"
    )
