"""``/me`` and its bills, ``/sms``.

Invariants:
- Only ``ME_WRITABLE`` fields of ``/me`` change; bills and their details are read-only.
"""

from __future__ import annotations

from typing import Any

from tether.services.ovh.sandbox.dispatch import (
    Ctx,
    not_found,
)
from tether.services.ovh.sandbox.routes.common import (
    price,
    query_date,
)
from tether.services.ovh.sandbox.state import (
    Bill,
    iso,
)

# --------------------------------------------------------------------------------------------
# /me


def me_get(ctx: Ctx) -> dict[str, Any]:
    return dict(ctx.state.me)


def me_put(ctx: Ctx) -> None:
    ctx.state.me.update(ctx.body)


def _bill(ctx: Ctx) -> Bill:
    bill = ctx.state.bills.get(ctx.params["billId"])
    if bill is None:
        raise not_found("billId", ctx.params["billId"])
    return bill


def bill_list(ctx: Ctx) -> list[str]:
    start, end = query_date(ctx, "date.from"), query_date(ctx, "date.to")
    return [
        b.bill_id
        for b in ctx.state.bills.values()
        if (start is None or b.date >= start) and (end is None or b.date <= end)
    ]


def bill_get(ctx: Ctx) -> dict[str, Any]:
    bill = _bill(ctx)
    tax = round(bill.price * 0.2, 2)
    ref = f"reference={bill.bill_id}&passwd={bill.password}"
    return {
        "billId": bill.bill_id,
        "date": iso(bill.date),
        "orderId": bill.order_id,
        "password": bill.password,
        "pdfUrl": f"{ctx.site}/cgi-bin/order/facture.pdf?{ref}",
        "url": f"{ctx.site}/cgi-bin/order/facture.cgi?{ref}",
        "priceWithTax": price(bill.price + tax),
        "priceWithoutTax": price(bill.price),
        "tax": price(tax),
        "category": bill.category,
    }


def bill_details(ctx: Ctx) -> list[str]:
    return list(_bill(ctx).details)


def bill_detail_get(ctx: Ctx) -> dict[str, Any]:
    detail = _bill(ctx).details.get(ctx.params["billDetailId"])
    if detail is None:
        raise not_found("billDetailId", ctx.params["billDetailId"])
    return {
        "billDetailId": detail.detail_id,
        "description": detail.description,
        "domain": detail.domain,
        "periodStart": detail.period_start,
        "periodEnd": detail.period_end,
        "quantity": str(detail.quantity),
        "unitPrice": price(detail.unit_price),
        "totalPrice": price(detail.unit_price * detail.quantity),
        "originalBillDetailId": None,
    }


# --------------------------------------------------------------------------------------------
# /sms


def sms_list(ctx: Ctx) -> list[str]:
    return list(ctx.state.sms)


def sms_get(ctx: Ctx) -> dict[str, Any]:
    found = ctx.state.sms.get(ctx.params["serviceName"])
    if found is None:
        raise not_found("serviceName", ctx.params["serviceName"])
    return dict(found)
