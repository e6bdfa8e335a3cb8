"""FlickrAPI's exception names, each also in tether's error tree."""

from __future__ import annotations

from tether.core import errors as core


class FlickrError(core.APIError):
    """Flickr answered ``stat="fail"`` (``code`` holds the number), refused the OAuth
    signature or token (HTTP 401), or a request could not be made sense of.

    ``str(error)`` is ``"Error: <code>: <message>"`` as in FlickrAPI for the errors Flickr
    answered with a code, followed by the call and what to do; ``method`` holds the call.
    """

    def __init__(
        self,
        message: str,
        code: int | None = None,
        status: int | None = None,
        *,
        method: str = "",
        retry_after: float | None = None,
    ) -> None:
        super().__init__(
            message, service="flickr", status=status, code=code, retry_after=retry_after
        )
        self.method = method


class FlickrAuthError(FlickrError, core.AuthError):
    """Bad signature, missing or invalid token, insufficient permissions (96–100, HTTP 401)."""


class FlickrNotFound(FlickrError, core.NotFound):
    """Unknown method (112) or object (method-specific code 1)."""


class FlickrRateLimited(FlickrError, core.RateLimited):
    """Flickr refused the call for too many requests (HTTP 429); ``retry_after`` holds the
    seconds it asked to wait, when it said."""


class FlickrUnavailable(FlickrError, core.ServerError):
    """Flickr said it is temporarily unavailable (0, 105, 106) or failed with a 5xx."""


class FlickrProtocolError(FlickrError, core.ProtocolError):
    """The answer is not the XML or JSON Flickr sends (malformed, hostile, truncated)."""


class IllegalArgumentException(core.UsageError):
    """A wrong argument (FlickrAPI's name for it)."""


class CancelUpload(Exception):
    """Raise inside an upload progress callback to abort the upload."""


_AUTH_CODES = frozenset({96, 97, 98, 99, 100, 108})

#: What to do about each of Flickr's common codes (flickr.md §4.2); method-specific codes
#: (below 95) get the generic advice, as their meaning depends on the method.
_HINTS: dict[int, str] = {
    0: "Flickr says the service is not currently available: retry later",
    95: "Flickr requires HTTPS: use an https:// URL",
    96: "the signature was refused: check the API secret",
    97: "this call must be signed: give the API secret",
    98: "the token is invalid, expired or revoked: authenticate again",
    99: "the token's permissions are too low for this call (or there is none): authenticate "
    "again with more perms (tether login flickr --perms write)",
    100: "check the API key",
    105: "Flickr is temporarily unavailable: retry later",
    106: "Flickr could not write just now: retry later",
    108: "the frob is unknown, already used, or access was denied: start the login again",
    111: "unknown format: use etree, xmlnode, parsed-json, json or rest",
    112: "no such method; check its name (dots, case)",
    116: "an argument holds a URL Flickr refuses: remove it",
}


def error_for(code: int, message: str, method: str) -> FlickrError:
    """The error for Flickr's ``stat="fail"`` answer to ``method``.

    ``code`` below 0 means the answer carried no numeric code: it is then not treated as a
    Flickr error but as an answer that is not Flickr's (a proxy, a wrong ``rest_url``).
    """
    if code < 0:
        return FlickrProtocolError(
            f'{method}: the answer is not a Flickr answer (JSON without "stat": "ok" nor '
            "an error code); check rest_url, or retry later if a proxy is in the way",
            method=method,
        )
    hint = _HINTS.get(code) or "see the method's documentation for this code"
    text = f"Error: {code}: {message} ({method}: {hint})"
    from tether.services.flickr.spec import TRANSIENT_CODES

    if code in _AUTH_CODES:
        return FlickrAuthError(text, code, method=method)
    if code == 112:
        return FlickrNotFound(text, code, method=method)
    if code in TRANSIENT_CODES:
        return FlickrUnavailable(text, code, method=method)
    return FlickrError(text, code, method=method)
