"""Reading an API call the way VK reads it: parameters from the query string and the body
(urlencoded or multipart), the token from ``access_token`` or ``Authorization: Bearer``.

Invariants:
- Parameters are decoded text (UTF-8, undecodable bytes replaced); a body parameter overrides
  a query parameter of the same name, keeping the query's place in the order (the order
  ``request_params`` echoes). File parts of a multipart body are not parameters and are
  ignored (uploads go to upload servers, not to ``/method``).
- A JSON or other body contributes nothing: VK accepts only form bodies (vk.md §1.2).
- A body is never buffered whole past ``MAX_FORM_BYTES``: a longer urlencoded body is refused
  (``BodyTooLarge``, HTTP 413, as a front end would); a multipart body is capped per part and
  in fields by Starlette's parser (a malformed one is its HTTP 400).
- ``access_token`` is taken out of the parameters here, so no later step can echo it.
"""

from __future__ import annotations

from typing import Final
from urllib.parse import parse_qsl

from starlette.datastructures import UploadFile
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.types import Scope

FORM: Final = "application/x-www-form-urlencoded"
MULTIPART: Final = "multipart/form-data"
#: Most bytes of a form read (a megabyte holds any call: VK asks for POST past ~2 KB).
MAX_FORM_BYTES: Final = 1024 * 1024
MAX_FIELDS: Final = 1000


class BodyTooLarge(HTTPException):
    def __init__(self) -> None:
        super().__init__(413, f"the body is over {MAX_FORM_BYTES} bytes")


def query_params(scope: Scope) -> dict[str, str]:
    raw: bytes = scope.get("query_string", b"")
    if not raw:
        return {}
    return dict(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))


def bearer(scope: Scope) -> str | None:
    """The token of an ``Authorization: Bearer`` header, else ``None``."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            text: str = value.decode("latin-1")
            scheme, _, token = text.partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                return token.strip()
    return None


def token_of(scope: Scope) -> str | None:
    """The token a request carries in its query or header (the body is not read: for
    ``rate_key``, which sees only the scope)."""
    return query_params(scope).get("access_token") or bearer(scope)


async def read_call(request: Request) -> tuple[dict[str, str], str | None]:
    """The call's parameters (without the token) and its token (``None``: none sent).

    Raises:
        BodyTooLarge: an urlencoded body over ``MAX_FORM_BYTES``.
        HTTPException: a malformed multipart body (Starlette's 400).
    """
    params = query_params(request.scope)
    if request.method == "POST":
        kind = request.headers.get("content-type", "").split(";", 1)[0].strip().lower()
        if kind in (FORM, ""):
            raw = bytearray()
            async for chunk in request.stream():
                raw += chunk
                if len(raw) > MAX_FORM_BYTES:
                    raise BodyTooLarge
            if raw:
                params.update(parse_qsl(raw.decode("utf-8", "replace"), keep_blank_values=True))
        elif kind == MULTIPART:
            async with request.form(max_fields=MAX_FIELDS, max_part_size=MAX_FORM_BYTES) as form:
                for name, value in form.multi_items():
                    if not isinstance(value, UploadFile):
                        params[name] = value
    token = params.pop("access_token", "") or bearer(request.scope)
    return params, token or None
