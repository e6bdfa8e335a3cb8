"""What a Flickr answer means before its body is parsed: HTTP statuses other than 200, the
transient error codes worth a retry, and a token Flickr refused for good.

Invariants:
- ``check_http`` raises for every status but 200, with what to do; the ``note`` (why tether
  stopped retrying) ends the message. A redirect's ``Location`` is shown redacted.
- ``is_transient`` reads only the error code (a regex on the first 4 KiB), never a full parse:
  it runs on every answer.
"""

from __future__ import annotations

from tether.core.messages import Response
from tether.core.redact import redact_url
from tether.core.retry import retry_after_of
from tether.services.flickr import parse as P
from tether.services.flickr.errors import (
    FlickrAuthError,
    FlickrError,
    FlickrProtocolError,
    FlickrRateLimited,
    FlickrUnavailable,
)
from tether.services.flickr.spec import TRANSIENT_CODES

__all__ = ["check_http", "is_transient", "token_rejected"]


def is_transient(response: Response) -> bool:
    """A 200 answer carrying one of Flickr's transient codes (0, 105, 106): worth a retry."""
    if response.status != 200:
        return False
    code = P.error_code(response.body)
    return code is not None and code in TRANSIENT_CODES


def token_rejected(e: FlickrAuthError) -> bool:
    """Whether Flickr refused the token itself (98, or OAuth's ``token_rejected``), not the
    signature or the key: only such a token is dead for good."""
    return e.code == 98 or (e.status == 401 and "(token_rejected)" in str(e))


#: What an ``oauth_problem`` means and what to do, per step (flickr.md §4.1, §6.4). At the
#: access-token step the token in play is the request token: "token_rejected" there means the
#: user denied access, the approval expired, or it was already used -- not a revoked token.
_OAUTH_HINTS: dict[str, str] = {
    "signature_invalid": "the signature was refused: check the API secret and token secret",
    "token_rejected": "the token was refused or revoked: authenticate again",
    "parameter_absent": "a required OAuth parameter is missing",
    "nonce_used": "a nonce was reused; retry",
    "timestamp_refused": "the local clock is off: fix the clock",
    "consumer_key_unknown": "the API key is unknown: check it",
}
_ACCESS_TOKEN_HINTS: dict[str, str] = {
    "token_rejected": "Flickr refused the login: access was denied on Flickr's page, or the "
    "approval expired or was already used; log in again (tether login flickr)",
    "verifier_invalid": "the code (verifier) is wrong: mistyped, or from another login; log in "
    "again (tether login flickr) and type the code Flickr shows",
    "parameter_absent": "no code (verifier) was given; log in again (tether login flickr) and "
    "type the code Flickr shows",
}


def check_http(response: Response, method: str, note: str = "") -> None:
    """Raise the error an HTTP status other than 200 means; ``note`` (why tether stopped
    retrying, ``give_up_note``) ends the message."""
    status = response.status
    if status == 200:
        return
    tail = f"; {note}" if note else ""
    if status == 401:
        problem = P.parse_form(response.body).get("oauth_problem", "unauthorized")
        hint = (_ACCESS_TOKEN_HINTS if method == "oauth/access_token" else {}).get(
            problem
        ) or _OAUTH_HINTS.get(problem, "authenticate again")
        raise FlickrAuthError(
            f"{method}: OAuth refused ({problem}): {hint}" + tail, status=401, method=method
        )
    if status == 429:
        retry_after = retry_after_of(response)
        wait = (
            f"it asks to wait {retry_after:.0f} s before calling again"
            if retry_after is not None
            else "it did not say for how long; Flickr limits each API key to about 3,600 calls "
            "an hour: wait a few minutes before calling again"
        )
        raise FlickrRateLimited(
            f"{method}: Flickr refused the call with HTTP 429 Too Many Requests (over the API "
            f"key's quota of calls); {wait}" + tail,
            status=429,
            method=method,
            retry_after=retry_after,
        )
    if status >= 500:
        raise FlickrUnavailable(
            f"{method}: Flickr failed with HTTP {status}; retry later" + tail,
            status=status,
            method=method,
        )
    if 300 <= status < 400:
        where = redact_url(response.header("Location") or "nowhere said")
        raise FlickrProtocolError(
            f"{method}: Flickr answered HTTP {status}, a redirect to {where}, not an API answer; "
            "the endpoint URL is probably wrong (check rest_url / upload_url / oauth_url)" + tail,
            status=status,
            method=method,
        )
    raise FlickrError(
        f"{method}: Flickr answered HTTP {status}, not an API answer; check the endpoint URL"
        + tail,
        status=status,
        method=method,
    )
