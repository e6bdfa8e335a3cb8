"""OVH's OAuth 2 client credentials grant in python-ovh's words.

tether.auth.oauth2 has the generic grant; OVH's is kept apart because python-ovh users match
on its messages (``OAuth2 failure: ...``, ``Missing access token parameter``) and its request
(HTTP Basic, ``scope=all``). ``services/ovh/api.py`` runs it through a ``TokenKeeper``.

Invariants:
- The clock is read before the grant: ``expires_in`` counts from when it was issued.
- A token is refreshed a little before it expires (``min(30 s, lifetime / 10)``), so a call
  never goes out with a token about to die.
"""

from __future__ import annotations

import base64
import math

from tether.auth.oauth2 import Token
from tether.core import jsonparse
from tether.core.errors import TransportError
from tether.core.flow import Flow, Now
from tether.core.messages import Request
from tether.core.retry import RetryPolicy, retrying
from tether.services.ovh import errors as E

__all__ = ["client_credentials"]


def client_credentials(
    client_id: str, client_secret: str, token_url: str, retry: RetryPolicy
) -> Flow[Token]:
    """The client credentials grant as python-ovh makes it, retried with ``retry``.

    Raises:
        OAuth2FailureError: the endpoint is unreachable, refused, or answered no bearer
            token.
    """
    # The clock is read before the grant: ``expires_in`` counts from when it was issued.
    now: float = yield Now()
    basic = base64.b64encode(f"{client_id}:{client_secret}".encode()).decode()
    request = Request(
        "POST",
        token_url,
        (
            ("Authorization", f"Basic {basic}"),
            ("Content-Type", "application/x-www-form-urlencoded"),
            ("Accept", "application/json"),
        ),
        b"grant_type=client_credentials&scope=all",
        idempotent=True,  # a token grant has no side effect worth protecting
        label="ovh POST oauth2/token",
    )

    def build(now: float) -> Request:
        return request

    try:
        response = yield from retrying(retry, build)
    except TransportError as e:
        raise E.OAuth2FailureError(f"OAuth2 failure: token endpoint unreachable: {e}") from e
    try:
        body = jsonparse.loads(response.body, "ovh POST oauth2/token")
    except ValueError:
        body = None
    if response.status != 200 or not isinstance(body, dict):
        desc = ""
        if isinstance(body, dict):
            desc = f"({body.get('error')}) {body.get('error_description') or ''}".strip()
        raise E.OAuth2FailureError(
            f"OAuth2 failure: {desc or 'token creation failed'} "
            f"(status_code={response.status}); check client_id and client_secret",
            response=response,
        )
    token = body.get("access_token")
    token_type = str(body.get("token_type", "bearer")).lower()
    if not isinstance(token, str) or not token or token_type != "bearer":
        raise E.OAuth2FailureError(
            "OAuth2 failure: Missing access token parameter in the token response",
            response=response,
        )
    expires_in = body.get("expires_in")
    # Refresh a little before expiry so a call never goes out with a token about to die.
    if isinstance(expires_in, (int, float)) and expires_in > 0:
        expires_at = now + float(expires_in)
        refresh_at = expires_at - min(30.0, expires_in / 10)
    else:
        expires_at = refresh_at = math.inf
    return Token(token, expires_at, refresh_at)
