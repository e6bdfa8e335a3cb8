"""python-ovh's exception classes, each also in tether's error tree, and the response mapping.

Every class derives from ``APIError`` (as in python-ovh, so ``except ovh.APIError`` keeps
catching everything) and from the ``TetherError`` category it belongs to (so
``except tether.AuthError`` works across services).

``str(error)`` keeps python-ovh's shape, the message then ``" \\nOVH-Query-ID: <id>"``; the
message is the server's, followed by the call and, for the errors users trip on, what to do.
"""

from __future__ import annotations

from typing import Any

from tether.core import errors as core
from tether.core import jsonparse
from tether.core.messages import Response
from tether.core.redact import redact_url
from tether.services.kit.rest import StatusTable


class APIError(core.APIError):
    """Base of every OVH error (python-ovh's ``ovh.exceptions.APIError``).

    Attributes:
        response: the raw response, when the error came from one.
        query_id: the ``X-Ovh-QueryId`` of that response (quote it to OVH support).
        error_code: the body's ``errorCode`` (``"NOT_GRANTED_CALL"`` …) or ``None``.
    """

    def __init__(
        self,
        *args: Any,
        response: Response | None = None,
        error_code: str | None = None,
    ) -> None:
        message = str(args[0]) if args else ""
        super().__init__(
            message,
            service="ovh",
            status=response.status if response is not None else None,
            code=error_code,
        )
        self.args = args
        self.response = response
        self.error_code = error_code
        self.query_id = response.header("X-Ovh-QueryId") if response is not None else None

    def __str__(self) -> str:
        # python-ovh passes two arguments to some errors (``InvalidResponse("Failed to decode
        # API response", detail)``), which ``Exception.__str__`` prints as a tuple; the args
        # stay as python-ovh has them, the text reads as one sentence.
        text = ": ".join(map(str, self.args)) if len(self.args) > 1 else super().__str__()
        if self.query_id:
            text += f" \nOVH-Query-ID: {self.query_id}"
        return text


class HTTPError(APIError, core.TransportError):
    """The HTTP exchange itself failed (connect, reset, timeout, TLS)."""


class NetworkError(APIError, core.TransportError):
    """python-ovh's status-0 error; kept for ``except`` compatibility."""


class InvalidResponse(APIError, core.ProtocolError):
    """The answer was not the JSON the API promises (HTML error page, truncated body …)."""


class InvalidKey(APIError, core.AuthError):
    """Unknown application key, or a missing application secret / consumer key."""


class InvalidCredential(APIError, core.AuthError):
    """The consumer key is not usable: pending validation, expired or refused."""


class NotCredential(APIError, core.AuthError):
    """The consumer key does not exist for this application."""


class NotGrantedCall(APIError, core.PermissionDenied):
    """The consumer key's access rules do not allow this call."""


class Forbidden(APIError, core.PermissionDenied):
    """The account may not do this."""


class ResourceNotFoundError(APIError, core.NotFound):
    """404: the path or object does not exist."""


class BadParametersError(APIError):
    """400: the server refused the parameters (also a bad signature or stale timestamp)."""


class ResourceConflictError(APIError):
    """409: the object already exists or is being changed."""


class ResourceExpiredError(APIError):
    """460: the resource has expired (e.g. a service past its end date)."""


class TooManyRequests(APIError, core.RateLimited):
    """429: slow down; ``retry_after`` holds the server's hint when it sent one."""


class ServerSideError(APIError, core.ServerError):
    """5xx with a JSON error body."""


class ReadOnlyError(APIError):
    """Defined by python-ovh (never raised there); kept for imports."""


class InvalidRegion(APIError, core.ConfigError):
    """The endpoint is not a known alias nor an http(s) URL."""


class InvalidConfiguration(APIError, core.ConfigError):
    """Contradictory or missing authentication settings."""


class OAuth2FailureError(APIError, core.AuthError):
    """The OAuth2 token endpoint refused the client credentials or answered nonsense."""


#: python-ovh's status and ``errorCode`` mapping (ovh.md §7.3), as the REST kit's table.
_ERRORS = StatusTable(
    by_status={
        404: ResourceNotFoundError,
        400: BadParametersError,
        409: ResourceConflictError,
        460: ResourceExpiredError,
        429: TooManyRequests,
    },
    server_error=ServerSideError,
    default=APIError,
    by_code={
        403: {
            "NOT_GRANTED_CALL": NotGrantedCall,
            "NOT_CREDENTIAL": NotCredential,
            "INVALID_KEY": InvalidKey,
            "INVALID_CREDENTIAL": InvalidCredential,
            "FORBIDDEN": Forbidden,
        }
    },
)

_HINTS: dict[str, str] = {
    "INVALID_KEY": "check application_key (and endpoint: keys belong to one region)",
    "NOT_CREDENTIAL": "the consumer_key does not exist for this application: request a new one "
    "with new_consumer_key_request()",
    "INVALID_CREDENTIAL": "the consumer_key is pending validation, expired or refused: have it "
    "validated at its validationUrl, or request a new one",
    "NOT_GRANTED_CALL": "the consumer_key's access rules do not cover this call: request a key "
    "with a rule for it (GET /auth/currentCredential shows the current rules)",
    "INVALID_SIGNATURE": "check application_secret and consumer_key",
    "QUERY_TIME_OUT": "the local clock is too far from OVH's; fix the clock",
}


_STATUS_HINTS: dict[int, str] = {
    404: "check the path (and the names in it); the API console lists every route",
    429: "too many calls: slow down (rate_limit= paces the client)",
}


def _parse_json(response: Response, where: str) -> Any:
    """Decode a JSON body; ``InvalidResponse`` for anything else."""
    try:
        return jsonparse.loads(response.body, where)
    except jsonparse.NestingTooDeep as e:
        raise InvalidResponse("Failed to decode API response", str(e), response=response) from None
    except (ValueError, UnicodeDecodeError) as e:
        ctype = response.header("Content-Type") or "no content type"
        snippet = response.body[:80].decode("utf-8", "replace")
        raise InvalidResponse(
            "Failed to decode API response",
            f"HTTP {response.status} to {where}, {ctype}, {len(response.body)} bytes starting "
            f"{snippet!r} ({type(e).__name__}). The server or a proxy answered something that "
            "is not JSON; retry later, or check the endpoint URL",
            response=response,
        ) from None


def _redirect(response: Response, where: str) -> InvalidResponse:
    # The API never redirects; a 3xx comes from a wrong base URL (http:// for https://, a
    # missing /1.0, a web page's address). Transports do not follow redirects, on purpose:
    # a signed call must not be replayed to another host.
    location = redact_url(response.header("Location") or "") or "no Location given"
    return InvalidResponse(
        f"{where}: the server answered HTTP {response.status}, a redirect to {location}, not "
        "the API's JSON; the endpoint URL is probably wrong: use an alias (ovh-eu, ovh-ca, "
        "ovh-us …) or the API's base URL such as https://eu.api.ovh.com/1.0",
        response=response,
    )


def decode(response: Response, where: str, retry_after: float | None = None) -> Any:
    """python-ovh's ``Client.call`` mapping (§7.3 of ovh.md), fixed where it crashed.

    204 → ``None``; 1xx–2xx → parsed JSON; errors → the class for status/``errorCode``.
    Unlike python-ovh, an error body that is JSON but not an object does not crash.
    """
    status = response.status
    if status == 204:
        return None
    if 300 <= status < 400:
        raise _redirect(response, where)
    body = _parse_json(response, where)
    if 100 <= status < 300:
        return body
    if isinstance(body, dict):
        message = body.get("message")
        code = body.get("errorCode")
    else:
        message, code = (body if isinstance(body, str) else None), None
    code = code if isinstance(code, str) else None
    cls: Any = _ERRORS.error_class(status, code)
    text = f"{message}" if message is not None else f"HTTP {status}"
    text += f" ({where})"
    hint = _HINTS.get(code or "") or _STATUS_HINTS.get(status)
    if status >= 500 and not hint:
        hint = "OVH failed on its side; retry later"
    if hint:
        text += f": {hint}"
    if status == 429 and retry_after is not None:
        text += f"; OVH asks to wait {retry_after:.0f} s"
    err = cls(text, response=response, error_code=code)
    err.retry_after = retry_after
    raise err
