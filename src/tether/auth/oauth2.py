"""OAuth 2 (RFC 6749) as pure strategies: the grants, the redirect answers, PKCE, and one
token kept fresh with single-flight refresh.

Invariants:
- Pure. Grants are flows: they read the clock with ``Now`` (to turn ``expires_in`` into an
  expiry) and send through the service's ``exchange(build, label)`` (its retry policy and
  pacing; the same shape as ``tether.auth.oauth1.Exchange``). Randomness (``state``, the PKCE
  verifier) is drawn from an injected ``entropy`` so tests are deterministic.
- A token answer is accepted only when it is a JSON object holding a non-empty string
  ``access_token`` and a ``token_type`` that is ``bearer`` (any case) or absent (VK sends
  none). ``expires_in`` absent, zero or not a positive number means it does not expire (VK's
  offline tokens say 0). An error answer (RFC 6749 §5.2) raises the service's error with the
  server's ``error`` and ``error_description``; a transport failure propagates as it is.
- A token is to be renewed *before* it expires (``Token.refresh_at``: ``min(30 s, a tenth of
  its life)`` early), so no call goes out with a token about to die; ``tether.auth.keeper``
  holds one token and renews it, single-flight.
- Redirect answers are checked against the ``state`` of the pending request in constant time
  before anything else is read; a mismatch is refused, never taken (RFC 6749 §10.12).
- PKCE (RFC 7636): ``S256`` only; verifiers are 43–128 unreserved characters.
- Secrets (tokens, client secret, code, verifier, password) never reach a repr or message.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import math
import re
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

from tether.core import jsonparse
from tether.core.errors import AuthError
from tether.core.flow import Flow, Now, Send
from tether.core.messages import Request, Response

__all__ = [
    "AuthorizationRequest",
    "Client",
    "Exchange",
    "Token",
    "authorization_code",
    "bearer",
    "begin_authorization",
    "client_credentials",
    "implicit_token",
    "parse_redirect",
    "parse_token",
    "password",
    "pkce_challenge",
    "refresh",
    "send_once",
]

FORM = "application/x-www-form-urlencoded"

#: ``exchange(build, label)``: send ``build(now)`` (rebuilt on every attempt) and return the
#: answer, whatever its status; the grant reads the status and the body itself.
Exchange = Callable[[Callable[[float], Request], str], Flow[Response]]

_VERIFIER = re.compile(r"[A-Za-z0-9._~-]{43,128}")


def _auth_error(message: str) -> Exception:
    return AuthError(message)


def send_once(build: Callable[[float], Request], label: str) -> Flow[Response]:
    """The plainest ``Exchange``: one attempt, no retry (services pass their own)."""
    now: float = yield Now()
    response: Response = yield Send(build(now))
    return response


@dataclass(frozen=True, slots=True, repr=False)
class Client:
    """An OAuth 2 client as data.

    Attributes:
        client_id, client_secret: the application's credentials (``secret`` "" for a public
            client, which then relies on PKCE).
        token_url: the token endpoint.
        authorize_url: the page the user approves on (code and implicit grants).
        basic: send the credentials as HTTP Basic (RFC 6749 §2.3.1's preferred way) rather
            than as ``client_id``/``client_secret`` form fields (VK wants those).
        headers: extra headers for the token endpoint (Vimeo's versioned ``Accept``).
        params: extra form fields on every grant (VK's ``v``).
        label: request label prefix (``"vimeo"`` → ``"vimeo oauth2 token"``).
    """

    client_id: str
    client_secret: str = ""
    token_url: str = ""
    authorize_url: str = ""
    basic: bool = True
    headers: tuple[tuple[str, str], ...] = (("Accept", "application/json"),)
    params: tuple[tuple[str, str], ...] = ()
    label: str = ""

    def __repr__(self) -> str:
        return f"Client(client_id={self.client_id!r}, client_secret=***)"

    def token_request(self, grant: Mapping[str, str]) -> Request:
        """The POST to the token endpoint for ``grant`` (its ``grant_type`` and fields)."""
        fields = dict(self.params)
        headers = [("Content-Type", FORM), *self.headers]
        if self.basic and self.client_secret:
            pair = f"{self.client_id}:{self.client_secret}".encode()
            headers.append(("Authorization", "Basic " + base64.b64encode(pair).decode()))
        else:
            fields["client_id"] = self.client_id
            if self.client_secret:
                fields["client_secret"] = self.client_secret
        fields.update(grant)
        label = f"{self.label} oauth2 token" if self.label else "oauth2 token"
        # A grant has no side effect worth protecting (a code is single use: a resend is
        # refused by the server, not acted on twice).
        return Request(
            "POST",
            self.token_url,
            tuple(headers),
            urlencode(fields).encode(),
            idempotent=True,
            label=label,
        )


@dataclass(frozen=True, slots=True, repr=False)
class Token:
    """An access token and what the server said about it.

    Attributes:
        access_token: the bearer token.
        expires_at: when it dies (Unix seconds, the injected clock); ``inf``: never.
        refresh_at: when to get a new one (a little before ``expires_at``).
        refresh_token, scope: when the server gave them.
        extra: every other field of the answer (VK's ``user_id``, ``email`` …).
    """

    access_token: str
    expires_at: float = math.inf
    refresh_at: float = math.inf
    refresh_token: str | None = None
    scope: str | None = None
    token_type: str = "bearer"
    extra: Mapping[str, Any] = field(default_factory=dict)

    def __repr__(self) -> str:
        when = "never" if self.expires_at == math.inf else f"{self.expires_at:.0f}"
        return f"Token(access_token=***, expires_at={when}, scope={self.scope!r})"

    def fresh(self, now: float) -> bool:
        return now < self.refresh_at


def _expiry(now: float, expires_in: Any) -> tuple[float, float]:
    if isinstance(expires_in, str) and expires_in.isdigit():
        expires_in = int(expires_in)  # the fragment of an implicit grant is text
    if isinstance(expires_in, bool) or not isinstance(expires_in, (int, float)):
        return math.inf, math.inf
    if not expires_in > 0 or expires_in == math.inf:
        return math.inf, math.inf
    margin = min(30.0, expires_in / 10)
    return now + float(expires_in), now + float(expires_in) - margin


def _token_from(
    fields: Mapping[str, Any], now: float, where: str, error: Callable[[str], Exception]
) -> Token:
    access = fields.get("access_token")
    token_type = fields.get("token_type", "bearer")
    if not isinstance(access, str) or not access:
        raise error(f"{where}: the answer holds no access token")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise error(f"{where}: the token is not a bearer token; tether sends bearer tokens only")
    expires_at, refresh_at = _expiry(now, fields.get("expires_in"))
    known = {"access_token", "token_type", "expires_in", "refresh_token", "scope"}
    refresh_token = fields.get("refresh_token")
    scope = fields.get("scope")
    return Token(
        access,
        expires_at,
        refresh_at,
        refresh_token if isinstance(refresh_token, str) and refresh_token else None,
        scope if isinstance(scope, str) else None,
        "bearer",
        {k: v for k, v in fields.items() if k not in known},
    )


def _refusal(fields: Mapping[str, Any], where: str, status: int | None) -> str:
    code = fields.get("error")
    desc = fields.get("error_description")
    said = str(code) if isinstance(code, str) else "refused"
    if isinstance(desc, str) and desc:
        said += f": {desc}"
    tail = f" (HTTP {status})" if status is not None else ""
    return f"{where}: the server refused ({said}){tail}"


def parse_token(
    response: Response,
    now: float,
    where: str = "oauth2 token",
    error: Callable[[str], Exception] = _auth_error,
) -> Token:
    """The ``Token`` of a token endpoint's answer.

    Raises:
        error: an error answer (its ``error`` and ``error_description`` in the message), an
            answer that is not a JSON object, or one with no usable bearer token.
    """
    try:
        body = jsonparse.loads(response.body, where)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise error(
            f"{where}: the token endpoint answered HTTP {response.status} with no JSON object; "
            "check the token URL"
        )
    if response.status != 200 or "error" in body:
        raise error(_refusal(body, where, response.status) + "; check the client credentials")
    return _token_from(body, now, where, error)


def _grant(
    client: Client,
    exchange: Exchange,
    grant: Mapping[str, str],
    error: Callable[[str], Exception],
) -> Flow[Token]:
    request = client.token_request(grant)
    where = f"{request.label} ({grant.get('grant_type', '')})"
    # The clock is read before the grant is sent: ``expires_in`` counts from when the server
    # issued the token, so an expiry measured from after the answer would be late.
    now: float = yield Now()
    response = yield from exchange(lambda _: request, request.label)
    return parse_token(response, now, where, error)


def client_credentials(
    client: Client,
    exchange: Exchange = send_once,
    scope: str | None = None,
    error: Callable[[str], Exception] = _auth_error,
) -> Flow[Token]:
    """The client credentials grant (RFC 6749 §4.4): a token for the application itself."""
    grant = {"grant_type": "client_credentials"}
    if scope:
        grant["scope"] = scope
    return (yield from _grant(client, exchange, grant, error))


def password(
    client: Client,
    username: str,
    secret: str,
    exchange: Exchange = send_once,
    scope: str | None = None,
    error: Callable[[str], Exception] = _auth_error,
) -> Flow[Token]:
    """The resource owner password grant (RFC 6749 §4.3; VK's direct authorization)."""
    grant = {"grant_type": "password", "username": username, "password": secret}
    if scope:
        grant["scope"] = scope
    return (yield from _grant(client, exchange, grant, error))


def refresh(
    client: Client,
    refresh_token: str,
    exchange: Exchange = send_once,
    scope: str | None = None,
    error: Callable[[str], Exception] = _auth_error,
) -> Flow[Token]:
    """The refresh grant (RFC 6749 §6). A server that sends no new refresh token keeps the
    old one valid (§6: "MAY issue a new refresh token"), so the old one is carried over."""
    grant = {"grant_type": "refresh_token", "refresh_token": refresh_token}
    if scope:
        grant["scope"] = scope
    token = yield from _grant(client, exchange, grant, error)
    if token.refresh_token is None:
        token = Token(
            token.access_token,
            token.expires_at,
            token.refresh_at,
            refresh_token,
            token.scope,
            token.token_type,
            token.extra,
        )
    return token


# --- authorization code and implicit: the redirect -------------------------------------------


def pkce_challenge(verifier: str) -> str:
    """RFC 7636 §4.2 ``S256``: ``BASE64URL(SHA256(verifier))`` without padding."""
    if not _VERIFIER.fullmatch(verifier):
        raise ValueError("a PKCE verifier is 43 to 128 characters of A-Z a-z 0-9 - . _ ~")
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


@dataclass(frozen=True, slots=True, repr=False)
class AuthorizationRequest:
    """A pending authorization: the URL to show, and what the answer must match."""

    url: str
    state: str
    redirect_uri: str
    code_verifier: str | None = None

    def __repr__(self) -> str:
        return f"AuthorizationRequest(redirect_uri={self.redirect_uri!r}, state=***)"


def begin_authorization(
    client: Client,
    redirect_uri: str,
    scope: str | None = None,
    *,
    response_type: str = "code",
    pkce: bool = True,
    extra: Mapping[str, str] | None = None,
    entropy: Callable[[int], str] = secrets.token_urlsafe,
) -> AuthorizationRequest:
    """The authorize URL for the code grant (``response_type="code"``, with PKCE by default)
    or the implicit grant (``"token"``: no PKCE), with a fresh ``state``.

    ``entropy(n)`` draws ``n`` random bytes as URL-safe text (``secrets.token_urlsafe``).
    """
    state = entropy(24)
    params = {"response_type": response_type, "client_id": client.client_id}
    params["redirect_uri"] = redirect_uri
    if scope:
        params["scope"] = scope
    params["state"] = state
    verifier = None
    if pkce and response_type == "code":
        verifier = entropy(48)  # 64 characters: within RFC 7636's 43-128
        params["code_challenge"] = pkce_challenge(verifier)
        params["code_challenge_method"] = "S256"
    params.update(extra or {})
    sep = "&" if "?" in client.authorize_url else "?"
    return AuthorizationRequest(
        client.authorize_url + sep + urlencode(params), state, redirect_uri, verifier
    )


def parse_redirect(
    url_or_query: str,
    state: str,
    *,
    fragment: bool = False,
    error: Callable[[str], Exception] = _auth_error,
) -> dict[str, str]:
    """The parameters of the redirect answering ``state``: from the query (code grant) or
    the fragment (implicit grant, ``fragment=True``). ``url_or_query`` is the whole URL, or
    the captured parameters already as ``a=1&b=2``.

    Raises:
        error: the state does not match (another login's answer, or a forged one), or the
            server refused (``error=access_denied`` …).
    """
    if "?" in url_or_query or "#" in url_or_query or "://" in url_or_query:
        parts = urlsplit(url_or_query)
        text = parts.fragment if fragment else parts.query
    else:
        text = url_or_query
    got = dict(parse_qsl(text, keep_blank_values=True))
    if not hmac.compare_digest(got.get("state", "").encode(), state.encode()):
        raise error(
            "the authorization answer is not for this login (its state differs); log in again"
        )
    if "error" in got:
        raise error(_refusal(got, "authorization", None) + "; log in again")
    return got


def implicit_token(
    redirect_url: str,
    state: str,
    now: float,
    error: Callable[[str], Exception] = _auth_error,
) -> Token:
    """The token of an implicit grant's redirect (RFC 6749 §4.2.2): in the fragment."""
    got = parse_redirect(redirect_url, state, fragment=True, error=error)
    return _token_from(got, now, "authorization", error)


def authorization_code(
    client: Client,
    pending: AuthorizationRequest,
    answer: str | Mapping[str, str],
    exchange: Exchange = send_once,
    error: Callable[[str], Exception] = _auth_error,
) -> Flow[Token]:
    """Trade the code of ``answer`` (the redirect URL, or the parameters the callback
    server captured) for a token, after checking its ``state`` against ``pending``."""
    if isinstance(answer, str):
        got = parse_redirect(answer, pending.state, error=error)
    else:
        got = parse_redirect(urlencode(answer), pending.state, error=error)
    code = got.get("code")
    if not code:
        raise error("the authorization answer holds no code; log in again")
    grant = {"grant_type": "authorization_code", "code": code}
    grant["redirect_uri"] = pending.redirect_uri
    if pending.code_verifier is not None:
        grant["code_verifier"] = pending.code_verifier
    return (yield from _grant(client, exchange, grant, error))


# --- using a token --------------------------------------------------------------------------


def bearer(request: Request, token: Token | str) -> Request:
    """``request`` with ``Authorization: Bearer …`` (RFC 6750 §2.1)."""
    value = token if isinstance(token, str) else token.access_token
    return replace(request, headers=(*request.headers, ("Authorization", f"Bearer {value}")))
