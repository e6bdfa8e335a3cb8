"""What the OVH route handlers share: the calling credential, path and query parameters read
and checked, prices.

Invariants:
- Helpers raise ``ApiError`` with OVH's own messages; they never touch the state.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tether.services.ovh.sandbox.dispatch import (
    IAM_DENIED,
    ApiError,
    Ctx,
    Param,
    bad_request,
    check_value,
)
from tether.services.ovh.sandbox.state import (
    TZ,
    Credential,
)

# --------------------------------------------------------------------------------------------
# helpers


def credential_of(ctx: Ctx) -> Credential:
    if ctx.credential is None:  # bearer token: consumer-key routes do not apply
        raise ApiError(*IAM_DENIED)
    return ctx.credential


def int_param(ctx: Ctx, name: str) -> int:
    raw = ctx.params[name]
    try:
        return int(raw)
    except ValueError:
        raise bad_request(f"[{name}] Given data ({raw}) is not an integer") from None


def query_enum(ctx: Ctx, name: str, values: tuple[str, ...], enum_name: str) -> str | None:
    value = ctx.query.get(name)
    if value is not None:
        check_value(name, value, Param("enum", values=values, enum_name=enum_name))
    return value


def query_date(ctx: Ctx, name: str) -> float | None:
    raw = ctx.query.get(name)
    if raw is None or raw == "":
        return None
    try:
        parsed = datetime.fromisoformat(raw)
    except ValueError:
        raise bad_request(f"[{name}] Given data ({raw}) is not a valid datetime") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=TZ)
    return parsed.timestamp()


def price(value: float) -> dict[str, Any]:
    value = round(value, 2)
    return {"currencyCode": "EUR", "text": f"{value:.2f} €", "value": value}
