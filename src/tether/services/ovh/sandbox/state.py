"""Seeded, deterministic state of the OVH emulator: one customer account and what it owns.

Invariants:
- ``OvhState.seeded()`` always builds the same objects (ids, keys, dates, order): tests may
  hard-code them. Values generated later (new consumer keys, credential tokens) come from a
  ``random.Random`` seeded with a constant, so the *sequence* after a reset is deterministic too.
- Nothing here does I/O, reads the clock or knows about HTTP: callers pass ``now`` (Unix seconds
  of the emulated server clock) where time matters.
- The objects themselves (``Credential``, ``Bill`` …) are in ``models``; they are re-exported
  here, where callers have always found them.
- Only this module knows the fixed sandbox secrets; ``credentials_block`` is the one place that
  hands them out (the control API), and nothing here logs them.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from tether.services.ovh.sandbox.models import (
    APPLICATION_STATES,
    CREDENTIAL_STATES,
    GRANT_STATE_OF,
    METHODS,
    TZ,
    AccessRules,
    AccessToken,
    Application,
    Bill,
    BillDetail,
    Credential,
    DnsRecord,
    Redirection,
    Server,
    iso,
)

#: Fixed sandbox keys, in the formats OVH uses (AK 16, AS/CK 32 alphanumerics).
APPLICATION_KEY = "PbFKmsC3mCrwGbBu"
APPLICATION_SECRET = "LbPJbTStM2eIvyyzAVoVbYqq3j6CyB0E"
CONSUMER_KEY = "rlb00BX1NlqvCNCGrElNiZyvya8uRDeP"
CONSUMER_KEY_READONLY = "B7OrW8IeseweAW4luPEtc6tPPaH0gRnn"
OAUTH2_CLIENT_ID = "EU.19845e23d71848ff"
OAUTH2_CLIENT_SECRET = "bTiNIhG54BDBJ30H5Fk4cCKjgtHWnhCk"
ACCOUNT_LOGIN = "la42-ovh"
ACCOUNT_EMAIL = "ada.lovelace@example.com"
ACCOUNT_PASSWORD = "ASWP3ndXZ6pC"

_ALNUM = string.ascii_letters + string.digits
_SEED = 0x0E7E


def _ts(text: str) -> float:
    return datetime.fromisoformat(text).timestamp()


# --------------------------------------------------------------------------------------------
# The whole state


@dataclass
class OvhState:
    """Everything the emulator knows; replaced wholesale by a reset."""

    rng: random.Random
    me: dict[str, Any]
    applications: dict[int, Application]
    applications_by_key: dict[str, Application]
    credentials: dict[int, Credential]
    credentials_by_ck: dict[str, Credential]
    credentials_by_token: dict[str, Credential]
    bills: dict[str, Bill]
    servers: dict[str, Server]
    email_domains: dict[str, dict[str, Redirection]]
    zones: dict[str, dict[int, DnsRecord]]
    domains: list[str]
    sms: dict[str, dict[str, Any]]
    iam_resources: list[dict[str, Any]]
    tokens: dict[str, AccessToken] = field(default_factory=dict)
    oauth2_clients: dict[str, str] = field(default_factory=dict)
    next_id: int = 5_000_000

    # -- generators ---------------------------------------------------------------------------

    def new_id(self) -> int:
        self.next_id += 1
        return self.next_id

    def random_key(self, length: int) -> str:
        return "".join(self.rng.choice(_ALNUM) for _ in range(length))

    # -- credentials --------------------------------------------------------------------------

    def add_credential(
        self,
        app: Application,
        rules: Sequence[Mapping[str, str]],
        *,
        now: float,
        status: str = "pendingValidation",
        consumer_key: str | None = None,
        credential_id: int | None = None,
        redirection: str | None = None,
        allowed_ips: list[str] | None = None,
        expiration: float | None = None,
        last_use: float | None = None,
    ) -> Credential:
        ck = consumer_key or self.random_key(32)
        while ck in self.credentials_by_ck:  # pragma: no cover - 62**32 space
            ck = self.random_key(32)
        cred = Credential(
            api_key=app.key,
            created=now,
            state=GRANT_STATE_OF[status],
            valid_until=expiration,
            credential_id=credential_id or self.new_id(),
            consumer_key=ck,
            application_id=app.application_id,
            rules=AccessRules(rules),
            token=self.random_key(64),
            last_use=last_use,
            redirection=redirection,
            sign_prefix=f"{app.secret}+{ck}+".encode(),
        )
        cred.set_allowed_ips(allowed_ips)
        self.credentials[cred.credential_id] = cred
        self.credentials_by_ck[ck] = cred
        self.credentials_by_token[cred.token] = cred
        return cred

    def remove_credential(self, cred: Credential) -> None:
        self.credentials.pop(cred.credential_id, None)
        self.credentials_by_ck.pop(cred.consumer_key, None)
        self.credentials_by_token.pop(cred.token, None)

    def remove_application(self, app: Application) -> None:
        for cred in [
            c for c in self.credentials.values() if c.application_id == app.application_id
        ]:
            self.remove_credential(cred)
        self.applications.pop(app.application_id, None)
        self.applications_by_key.pop(app.key, None)

    # -- seed ---------------------------------------------------------------------------------

    @classmethod
    def seeded(cls) -> OvhState:
        """The fixed starting state (see the module docstring)."""
        rng = random.Random(_SEED)
        state = cls(
            rng=rng,
            me=_seed_me(),
            applications={},
            applications_by_key={},
            credentials={},
            credentials_by_ck={},
            credentials_by_token={},
            bills=_seed_bills(),
            servers=_seed_servers(),
            email_domains=_seed_redirections(),
            zones=_seed_zones(),
            domains=["example.com", "example.org"],
            sms={
                "sms-la42-1": {
                    "name": "sms-la42-1",
                    "description": "Alerts",
                    "creditsLeft": 150.0,
                    "status": "enable",
                    "smsResponse": {"responseType": "cgi"},
                }
            },
            iam_resources=[],
            oauth2_clients={OAUTH2_CLIENT_ID: OAUTH2_CLIENT_SECRET},
        )
        apps = [
            Application(
                1_100_001,
                APPLICATION_KEY,
                APPLICATION_SECRET,
                "tether-sandbox",
                "The application the sandbox hands out",
                "active",
            ),
            Application(
                1_100_002,
                "IUP0K1j0cYVdPtQc",
                "vyyQRXJG5Ij7DgrV3cDLx9WHzbgIkjtq",
                "home-automation",
                "Turns the lights on when the server reboots",
                "active",
            ),
            Application(
                1_100_003,
                "I9OJqyuLMNI0HnAM",
                "YshnIdxhWHx2DbrxWOAzXk8JZGzQb00a",
                "old-backup-script",
                "Nightly backups (retired)",
                "inactive",
            ),
            Application(
                1_100_004,
                "oLWFBqKmQurGdqWl",
                "aLy6wef8aKIkF3P0jwUGBMHPdUw0ckOY",
                "dns-updater",
                "Dynamic DNS for the office line",
                "blocked",
            ),
        ]
        for app in apps:
            state.applications[app.application_id] = app
            state.applications_by_key[app.key] = app
        full = [{"method": m, "path": "/*"} for m in METHODS]
        base = _ts("2024-01-15T09:30:00+01:00")
        state.add_credential(
            apps[0],
            full,
            now=base,
            status="validated",
            consumer_key=CONSUMER_KEY,
            credential_id=2_000_001,
        )
        state.add_credential(
            apps[0],
            [{"method": "GET", "path": "/me"}],
            now=base + 60,
            status="validated",
            consumer_key=CONSUMER_KEY_READONLY,
            credential_id=2_000_002,
        )
        state.add_credential(
            apps[1],
            [{"method": "GET", "path": "/dedicated/server/*"}, {"method": "GET", "path": "/me"}],
            now=_ts("2023-11-02T18:04:11+01:00"),
            status="validated",
            consumer_key="wV92BEA4AGgeCb9lF5mMpDcMe7v5Kcxa",
            credential_id=2_000_003,
            expiration=_ts("2030-11-02T18:04:11+01:00"),
            last_use=_ts("2024-05-30T07:12:45+02:00"),
        )
        state.add_credential(
            apps[2],
            [{"method": "GET", "path": "/*"}, {"method": "POST", "path": "/*"}],
            now=_ts("2021-03-10T02:00:00+01:00"),
            status="expired",
            consumer_key="dG1ONkBPbx6SDGKtxPydS9BbmHfwN7yI",
            credential_id=2_000_004,
            expiration=_ts("2022-03-10T02:00:00+01:00"),
            last_use=_ts("2022-03-09T02:00:04+01:00"),
        )
        state.add_credential(
            apps[3],
            [{"method": "PUT", "path": "/domain/zone/*/record/*"}],
            now=_ts("2024-02-20T12:00:00+01:00"),
            status="refused",
            consumer_key="kKITgnfXpINVxhK8MBiCK0pbGmD9EUu8",
            credential_id=2_000_005,
        )
        state.add_credential(
            apps[0],
            [{"method": "GET", "path": "/me"}],
            now=base + 120,
            status="pendingValidation",
            consumer_key="BqbCy2sZmUSJSGdKyCq75jdheZ7HRPNr",
            credential_id=2_000_006,
        )
        state.iam_resources = _seed_iam(rng, state)
        return state


def _seed_me() -> dict[str, Any]:
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


def _seed_bills() -> dict[str, Bill]:
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
        ts = _ts(date)
        bill = Bill(bill_id, ts, order_id, f"k{n}x{order_id % 9973:04d}", price, category)
        start = datetime.fromtimestamp(ts, TZ).date()
        end = start + timedelta(days=30)
        for i, (desc, domain, qty, unit) in enumerate(lines, start=1):
            detail_id = f"{order_id}{i:02d}"
            bill.details[detail_id] = BillDetail(
                detail_id, desc, domain, qty, unit, start.isoformat(), end.isoformat()
            )
        bills[bill_id] = bill
    return bills


def _seed_servers() -> dict[str, Server]:
    rows = [
        ("ns6457228.ip-178-33-61.eu", "sbg1", "178.33.61.28", "Rise-1", "S1-12"),
        ("ns3012345.ip-51-68-10.eu", "sbg1", "51.68.10.45", "KS-1", "S1-04"),
        ("ns3012346.ip-51-68-11.eu", "sbg1", "51.68.11.46", "Advance-1", "S1-04"),
        ("ns5000123.ip-145-239-1.eu", "gra1", "145.239.1.123", "Advance-2", "G107A03"),
        ("ns7001234.ip-92-222-5.eu", "rbx2", "92.222.5.34", "Rise-2", "R2-08"),
        ("ns561234.ip-158-69-20.net", "bhs1", "158.69.20.234", "Advance-1", "BHS1-T05"),
    ]
    servers: dict[str, Server] = {}
    for i, (name, dc, ip, rng_name, rack) in enumerate(rows):
        servers[name] = Server(
            name=name,
            server_id=310_000 + i * 7,
            datacenter=dc,
            ip=ip,
            os="debian12_64",
            commercial_range=rng_name,
            rack=rack,
            burst="active" if i == 4 else "inactive",
        )
    return servers


def _seed_redirections() -> dict[str, dict[str, Redirection]]:
    return {
        "example.com": {
            r.redirection_id: r
            for r in (
                Redirection("7100001", "info@example.com", "ada.lovelace@example.com", False),
                Redirection("7100002", "billing@example.com", "ada.lovelace@example.com", True),
                Redirection("7100003", "noc@example.com", "oncall@example.net", False),
            )
        },
        "example.org": {
            "7100004": Redirection(
                "7100004", "hello@example.org", "ada.lovelace@example.com", False
            )
        },
    }


def _seed_zones() -> dict[str, dict[int, DnsRecord]]:
    rows = [
        (8_100_001, "", "A", "178.33.61.28", 0),
        (8_100_002, "www", "A", "178.33.61.28", 0),
        (8_100_003, "", "MX", "1 mx1.mail.ovh.net.", 0),
        (8_100_004, "", "TXT", '"v=spf1 include:mx.ovh.com ~all"', 600),
        (8_100_005, "api", "CNAME", "ns6457228.ip-178-33-61.eu.", 3600),
    ]
    return {
        "example.com": {
            rid: DnsRecord(rid, "example.com", sub, ftype, target, ttl)
            for rid, sub, ftype, target, ttl in rows
        }
    }


def _seed_iam(rng: random.Random, state: OvhState) -> list[dict[str, Any]]:
    """About 120 IAM resources: what the account owns plus generated VPS / cloud projects."""
    named: list[tuple[str, str]] = [("dedicatedServer", n) for n in state.servers]
    named += [("domain", d) for d in state.domains]
    named += [("emailDomain", d) for d in state.email_domains]
    named += [("dnsZone", z) for z in state.zones]
    named += [("sms", s) for s in state.sms]
    named += [("account", ACCOUNT_LOGIN)]
    while len(named) < 120:
        kind = ("vps", "publicCloudProject", "ipLoadbalancing")[len(named) % 3]
        suffix = "".join(rng.choice(string.ascii_lowercase + string.digits) for _ in range(8))
        name = {
            "vps": f"vps-{suffix}.vps.ovh.net",
            "publicCloudProject": rng.randbytes(16).hex(),
            "ipLoadbalancing": f"loadbalancer-{suffix}",
        }[kind]
        named.append((kind, name))
    resources = []
    for kind, name in named:
        resources.append(
            {
                "id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                "urn": f"urn:v1:eu:resource:{kind}:{name}",
                "name": name,
                "displayName": name,
                "type": kind,
                "owner": ACCOUNT_LOGIN,
                "tags": {},
            }
        )
    return resources


__all__ = [
    "ACCOUNT_EMAIL",
    "ACCOUNT_LOGIN",
    "ACCOUNT_PASSWORD",
    "APPLICATION_KEY",
    "APPLICATION_SECRET",
    "APPLICATION_STATES",
    "CONSUMER_KEY",
    "CONSUMER_KEY_READONLY",
    "CREDENTIAL_STATES",
    "METHODS",
    "ME_WRITABLE",
    "OAUTH2_CLIENT_ID",
    "OAUTH2_CLIENT_SECRET",
    "TZ",
    "AccessRules",
    "AccessToken",
    "Application",
    "Bill",
    "BillDetail",
    "Credential",
    "DnsRecord",
    "OvhState",
    "Redirection",
    "Server",
    "iso",
]
