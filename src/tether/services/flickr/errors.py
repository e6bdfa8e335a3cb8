"""FlickrAPI's exception names, each also in tether's error tree."""

from __future__ import annotations

from tether.core import errors as core


class FlickrError(core.APIError):
    """Flickr answered ``stat="fail"`` (``code`` holds the number), refused the OAuth
    signature or token (HTTP 401), or a request could not be made sense of.

    ``str(error)`` is ``"Error: <code>: <message>"`` as in FlickrAPI.
    """

    def __init__(self, message: str, code: int | None = None, status: int | None = None) -> None:
        super().__init__(message, service="flickr", status=status, code=code)


class FlickrAuthError(FlickrError, core.AuthError):
    """Bad signature, missing or invalid token, insufficient permissions (96–100, HTTP 401)."""


class FlickrNotFound(FlickrError, core.NotFound):
    """Unknown method (112) or object (method-specific code 1)."""


class FlickrRateLimited(FlickrError, core.RateLimited):
    """The API key's quota is used up."""


class FlickrUnavailable(FlickrError, core.ServerError):
    """Flickr said it is temporarily unavailable (0, 105, 106) or failed with a 5xx."""


class FlickrProtocolError(FlickrError, core.ProtocolError):
    """The answer is not the XML or JSON Flickr sends (malformed, hostile, truncated)."""


class IllegalArgumentException(core.UsageError):
    """A wrong argument (FlickrAPI's name for it)."""


class CancelUpload(Exception):
    """Raise inside an upload progress callback to abort the upload."""


_AUTH_CODES = frozenset({96, 97, 98, 99, 100, 108})


def error_for(code: int, message: str, method: str) -> FlickrError:
    text = f"Error: {code}: {message}"
    hint = {
        96: "check the API secret",
        97: "this call must be signed: give the secret",
        98: "the token is invalid, expired or revoked: authenticate again",
        99: "the token's permissions are too low for this call: authenticate with more perms",
        100: "check the API key",
        108: "the frob is unknown or already used: start the login again",
        112: "no such method; check its name (dots, case)",
    }.get(code)
    if hint:
        text += f" ({method}: {hint})"
    from tether.services.flickr.spec import TRANSIENT_CODES

    if code in _AUTH_CODES:
        return FlickrAuthError(text, code)
    if code == 112:
        return FlickrNotFound(text, code)
    if code in TRANSIENT_CODES:
        return FlickrUnavailable(text, code)
    return FlickrError(text, code)
