"""v2 ``/iam/resource`` with OVH's cursor pagination.

Invariants:
- A cursor is an opaque encoding of an offset; one that does not decode is a 400, never a
  crash.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, Final

from tether.services.ovh.sandbox.dispatch import (
    ApiError,
    Ctx,
)

# --------------------------------------------------------------------------------------------
# v2 /iam/resource with cursor pagination

#: Page size when the client sends no X-Pagination-Size. Unconfirmed upstream; smaller than the
#: seeded collection on purpose, so a client that ignores the cursor visibly misses items.
DEFAULT_PAGE_SIZE: Final = 100
MAX_PAGE_SIZE: Final = 1000


def _encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> int:
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        kind, _, number = text.partition(":")
        offset = int(number)
        if kind != "offset" or offset < 0:
            raise ValueError(cursor)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(
            400, {"class": "Client::BadRequest", "message": "Invalid pagination cursor"}
        ) from None
    return offset


def iam_resource_list(ctx: Ctx) -> list[dict[str, Any]]:
    raw_size = ctx.headers.get(b"x-pagination-size")
    size = DEFAULT_PAGE_SIZE
    if raw_size is not None:
        try:
            size = int(raw_size)
        except ValueError:
            size = 0
        if not 1 <= size <= MAX_PAGE_SIZE:
            raise ApiError(
                400,
                {
                    "class": "Client::BadRequest",
                    "message": f"X-Pagination-Size must be between 1 and {MAX_PAGE_SIZE}",
                },
            )
    raw_cursor = ctx.headers.get(b"x-pagination-cursor")
    offset = _decode_cursor(raw_cursor.decode("latin-1")) if raw_cursor else 0
    kinds = {k for k in ctx.query.get("resourceType", "").split(",") if k}
    items = [r for r in ctx.state.iam_resources if not kinds or r["type"] in kinds]
    page = items[offset : offset + size]
    if offset + size < len(items):
        ctx.response_headers.append(
            (b"x-pagination-cursor-next", _encode_cursor(offset + size).encode())
        )
    return [dict(r) for r in page]


def iam_resource_get(ctx: Ctx) -> dict[str, Any]:
    for resource in ctx.state.iam_resources:
        if resource["id"] == ctx.params["resourceId"]:
            return dict(resource)
    raise ApiError(
        404,
        {"class": "Client::NotFound", "message": f"resource {ctx.params['resourceId']} not found"},
    )
