"""Seed of the account family (``/me``, ``/me/bill``, ``/sms``): the sandbox customer, its
bills and its SMS service.

Invariants: see ``seed``; the account's login, e-mail and password are fixed here (the
validation page asks for them) and re-exported by ``state``.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from tether.services.ovh.sandbox.models import TZ, Bill, BillDetail
from tether.services.ovh.sandbox.seed import ts

ACCOUNT_LOGIN = "la42-ovh"
ACCOUNT_EMAIL = "ada.lovelace@example.com"
ACCOUNT_PASSWORD = "ASWP3ndXZ6pC"


def me() -> dict[str, Any]:
    return {
        "address": "2 rue Kellermann",
        "area": "",
        "birthCity": "",
        "birthDay": "",
        "city": "Roubaix",
        "companyNationalIdentificationNumber": None,
        "corporationType": None,
        "country": "FR",
        "currency": {"code": "EUR", "symbol": "EURO"},
        "customerCode": "2046-6821-51",
        "email": ACCOUNT_EMAIL,
        "fax": "",
        "firstname": "Ada",
        "italianSDI": None,
        "language": "fr_FR",
        "legalform": "individual",
        "name": "Lovelace",
        "nationalIdentificationNumber": None,
        "nichandle": ACCOUNT_LOGIN,
        "organisation": "",
        "ovhCompany": "ovh",
        "ovhSubsidiary": "FR",
        "phone": "+33.320000000",
        "phoneCountry": "FR",
        "sex": None,
        "spareEmail": None,
        "state": "complete",
        "vat": "",
        "zip": "59100",
    }


#: Fields of ``PUT /me`` (the rest of ``/me`` is read-only).
ME_WRITABLE = (
    "address",
    "area",
    "birthCity",
    "birthDay",
    "city",
    "email",
    "fax",
    "firstname",
    "language",
    "name",
    "organisation",
    "phone",
    "spareEmail",
    "zip",
)


def bills() -> dict[str, Bill]:
    rows: Iterable[tuple[str, str, int, float, str, list[tuple[str, str, int, float]]]] = [
        (
            "FR35427510",
            "2023-06-05T10:14:21+02:00",
            150001,
            9.99,
            "autorenew",
            [("Kimsufi KS-1 - 1 month", "ns3012345.ip-51-68-10.eu", 1, 9.99)],
        ),
        (
            "FR35981274",
            "2023-07-05T10:12:03+02:00",
            150214,
            54.98,
            "autorenew",
            [
                ("Rise-1 - 1 month", "ns6457228.ip-178-33-61.eu", 1, 49.99),
                ("Backup storage 500 GB", "ns6457228.ip-178-33-61.eu", 1, 4.99),
            ],
        ),
        (
            "FR36502245",
            "2023-08-05T10:13:47+02:00",
            150633,
            8.99,
            "purchase-web",
            [("Domain example.org - 1 year", "example.org", 1, 8.99)],
        ),
        (
            "FR37011987",
            "2023-10-05T10:11:09+02:00",
            151002,
            104.97,
            "autorenew",
            [
                ("Rise-1 - 1 month", "ns6457228.ip-178-33-61.eu", 1, 49.99),
                ("Advance-1 - 1 month", "ns3012346.ip-51-68-11.eu", 1, 54.98),
            ],
        ),
        (
            "FR37555120",
            "2023-12-05T10:15:33+01:00",
            151877,
            2.50,
            "purchase-telecom",
            [("SMS pack - 50", "sms-la42-1", 50, 0.05)],
        ),
        (
            "FR38004411",
            "2024-01-05T10:14:02+01:00",
            152310,
            169.96,
            "autorenew",
            [
                ("Rise-1 - 1 month", "ns6457228.ip-178-33-61.eu", 1, 49.99),
                ("Advance-1 - 1 month", "ns3012346.ip-51-68-11.eu", 1, 54.98),
                ("Advance-2 - 1 month", "ns5000123.ip-145-239-1.eu", 1, 64.99),
            ],
        ),
        (
            "FR38620097",
            "2024-03-05T10:12:40+01:00",
            152998,
            11.99,
            "purchase-web",
            [("Domain example.com - 1 year", "example.com", 1, 11.99)],
        ),
        (
            "FR39117302",
            "2024-05-05T10:13:18+02:00",
            153541,
            219.95,
            "autorenew",
            [
                ("Rise-1 - 1 month", "ns6457228.ip-178-33-61.eu", 1, 49.99),
                ("Advance-1 - 1 month", "ns3012346.ip-51-68-11.eu", 1, 54.98),
                ("Advance-2 - 1 month", "ns5000123.ip-145-239-1.eu", 1, 64.99),
                ("Rise-2 - 1 month", "ns7001234.ip-92-222-5.eu", 1, 49.99),
            ],
        ),
    ]
    bills: dict[str, Bill] = {}
    for n, (bill_id, date, order_id, price, category, lines) in enumerate(rows):
        ts_ = ts(date)
        bill = Bill(bill_id, ts_, order_id, f"k{n}x{order_id % 9973:04d}", price, category)
        start = datetime.fromtimestamp(ts_, TZ).date()
        end = start + timedelta(days=30)
        for i, (desc, domain, qty, unit) in enumerate(lines, start=1):
            detail_id = f"{order_id}{i:02d}"
            bill.details[detail_id] = BillDetail(
                detail_id, desc, domain, qty, unit, start.isoformat(), end.isoformat()
            )
        bills[bill_id] = bill
    return bills


def sms() -> dict[str, dict[str, Any]]:
    return {
        "sms-la42-1": {
            "name": "sms-la42-1",
            "description": "Alerts",
            "creditsLeft": 150.0,
            "status": "enable",
            "smsResponse": {"responseType": "cgi"},
        }
    }
