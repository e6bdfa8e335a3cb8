"""Reading a request the way Flickr reads it: parameters from the query string and the body,
and the parts an OAuth signature covers.

Invariants:
- Parameters are decoded text (UTF-8, undecodable bytes replaced); a body parameter overrides a
  query parameter of the same name, as in a merged form.
- ``Incoming.form`` is what the OAuth base string takes from the body: the urlencoded fields,
  or an upload's text fields (never a file part).
- A body is never buffered whole: an urlencoded one is read up to ``MAX_FORM_BYTES`` and a
  longer one is refused (``BodyTooLarge``, HTTP 413) before any check of key or signature;
  multipart bodies have their own caps (``multipart``).
- ``signed_uri`` is the URL as the client addressed it (scheme, Host header, raw path with the
  mount prefix and trailing slash), so the base string matches the client's whatever address
  or port the sandbox listens on.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final
from urllib.parse import parse_qsl

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from tether.sandbox.kit.multipart import boundary_of, read_multipart
from tether.services.flickr.sandbox.signing import (
    SignedRequest,
    base_string_uri,
    parse_authorization,
)

FORM: Final = "application/x-www-form-urlencoded"
TEXT: Final = "text/plain; charset=utf-8"
#: Most bytes of an urlencoded body read; Flickr's own limit is unpublished. A megabyte holds
#: any real call (the longest values are titles and descriptions).
MAX_FORM_BYTES: Final = 1024 * 1024
Pairs = list[tuple[str, str]]


class BodyTooLarge(HTTPException):
    """An urlencoded body over ``MAX_FORM_BYTES``.

    Unconfirmed what Flickr answers (flickr.md does not say): a body past a front end's limit
    is refused by the web server before the API sees it, with 413 and the server's HTML page,
    so that is what every endpoint sends (the app's ``HTTPException`` handler draws the page).
    """

    def __init__(self) -> None:
        super().__init__(413, f"the body is over {MAX_FORM_BYTES} bytes")


@dataclass
class Incoming:
    """An API request's parameters, and what its signature covers."""

    params: dict[str, str]
    query: Pairs
    form: Pairs
    oauth_header: Pairs | None
    signed_uri: str
    http_method: str

    @property
    def uses_oauth(self) -> bool:
        return self.oauth_header is not None or "oauth_signature" in self.params

    def signed(self) -> SignedRequest:
        return SignedRequest(
            self.http_method, self.signed_uri, self.oauth_header or (), self.query, self.form
        )

    @classmethod
    def build(cls, request: Request, form: Pairs) -> Incoming:
        query = query_pairs(request.scope)
        header = request.headers.get("authorization")
        return cls(
            params=dict(query) | dict(form),
            query=query,
            form=form,
            oauth_header=parse_authorization(header) if header else None,
            signed_uri=signed_uri(request.scope),
            http_method=request.method,
        )


def signed_uri(scope: Scope) -> str:
    host = ""
    for name, value in scope["headers"]:
        if name == b"host":
            host = value.decode("latin-1")
            break
    if not host:
        server = scope.get("server") or ("127.0.0.1", None)
        host = server[0] if server[1] is None else f"{server[0]}:{server[1]}"
    raw = scope.get("raw_path")
    path = (
        raw.decode("latin-1").split("?", 1)[0]
        if raw
        else scope.get("root_path", "") + scope["path"]
    )
    return base_string_uri(scope["scheme"], host, path)


def query_pairs(scope: Scope) -> Pairs:
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return []
    return parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)


async def form_pairs(request: Request) -> Pairs:
    """The urlencoded body of a POST (a body of another type contributes nothing).

    Raises:
        BodyTooLarge: more than ``MAX_FORM_BYTES`` arrived (the rest is not read).
    """
    if request.method != "POST":
        return []
    kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
    if kind not in (FORM, ""):
        return []
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > MAX_FORM_BYTES:
            raise BodyTooLarge
    return parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True)


async def read_api_request(request: Request) -> Incoming:
    """A REST call: query string plus an urlencoded or multipart body (files ignored).

    Raises:
        MultipartError: a malformed multipart body, or one over its caps.
        BodyTooLarge: an urlencoded body over ``MAX_FORM_BYTES``.
    """
    boundary = boundary_of(request.headers.get("content-type", ""))
    if request.method == "POST" and boundary is not None:
        form = (await read_multipart(request.stream(), boundary, frozenset())).fields
    else:
        form = await form_pairs(request)
    return Incoming.build(request, form)


def text(body: str | bytes, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    """A ``text/plain`` answer (OAuth endpoints answer form-encoded text)."""
    return Response(body, status_code=status, media_type=TEXT, headers=headers)
