"""The OVH emulator's objects: applications, consumer keys (credentials) with their compiled
access rules, bills, servers, mail redirections, DNS records, OAuth2 tokens.

Invariants:
- Nothing here does I/O, reads the clock or knows about HTTP: callers pass ``now`` (Unix seconds
  of the emulated server clock) where time matters.
- A ``Credential`` is a ``kit.grants.Grant``: its status only moves as a grant does, and its
  access rules are compiled once, when it is created, so checking a call on the hot path is a
  dict lookup or a few pre-built regex matches.
- No secret value is defined here (``state`` holds the seeded ones); ``to_json`` shapes are
  OVH's published schemas and carry no application secret.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from tether.sandbox.kit.grants import Grant, GrantState

#: OVH EU reports local (Paris) times; a fixed +01:00 offset keeps the seed reproducible
#: without depending on the host's tz database.
TZ = timezone(timedelta(hours=1))

METHODS = ("GET", "POST", "PUT", "DELETE")
CREDENTIAL_STATES = ("expired", "pendingValidation", "refused", "validated")
APPLICATION_STATES = ("active", "blocked", "inactive", "trusted")


def iso(ts: float) -> str:
    """Unix seconds -> the ISO 8601 form OVH uses (``2024-01-05T10:14:21+01:00``)."""
    return datetime.fromtimestamp(int(ts), TZ).isoformat()


# --------------------------------------------------------------------------------------------
# Access rules


class AccessRules:
    """The compiled form of a credential's ``accessRules``.

    ``*`` matches any run of characters, ``/`` included; everything else matches literally
    (so ``/sms/*`` does not match ``/sms``). Rules are matched against the path relative to the
    API root, without the query string.
    """

    __slots__ = ("_exact", "_patterns", "_whole_api", "rules")

    def __init__(self, rules: Sequence[Mapping[str, str]]) -> None:
        self.rules = [{"method": r["method"], "path": r["path"]} for r in rules]
        self._whole_api: set[str] = set()
        self._exact: dict[str, set[str]] = {}
        self._patterns: dict[str, list[re.Pattern[str]]] = {}
        for rule in self.rules:
            method, path = rule["method"], rule["path"]
            if path == "/*":
                # The common full-access rule: skip regex work on the hot path.
                self._whole_api.add(method)
            elif "*" in path:
                regex = ".*".join(re.escape(part) for part in path.split("*"))
                self._patterns.setdefault(method, []).append(re.compile(regex + r"\Z"))
            else:
                self._exact.setdefault(method, set()).add(path)

    def allows(self, method: str, path: str) -> bool:
        if method in self._whole_api and path.startswith("/"):
            return True
        if path in self._exact.get(method, ()):
            return True
        return any(p.match(path) for p in self._patterns.get(method, ()))


# --------------------------------------------------------------------------------------------
# Model


@dataclass
class Application:
    application_id: int
    key: str
    secret: str
    name: str
    description: str
    status: str

    def to_json(self) -> dict[str, Any]:
        return {
            "applicationId": self.application_id,
            "applicationKey": self.key,
            "name": self.name,
            "description": self.description,
            "status": self.status,
        }


#: OVH's words for the grant states (``auth.CredentialStateEnum``). A consumer key is never
#: spent (``used`` has no OVH word: a credential is not single use).
_OVH_STATUS: dict[GrantState, str] = {
    GrantState.PENDING: "pendingValidation",
    GrantState.APPROVED: "validated",
    GrantState.DENIED: "refused",
    GrantState.EXPIRED: "expired",
}
#: OVH status word -> grant state (seeding a credential in a given status).
GRANT_STATE_OF = {name: state for state, name in _OVH_STATUS.items()}
#: A module global: ``GrantState.APPROVED`` is a slower class-attribute lookup on the hot path.
_APPROVED = GrantState.APPROVED


@dataclass(kw_only=True)
class Credential(Grant):
    """A consumer key: a ``Grant`` (bound to its application's key, reusable, validated for a
    chosen validity) with OVH's own fields. ``status`` and ``expiration`` are OVH's names for
    the grant's recorded state and ``valid_until``; ``creation`` is its ``created``."""

    credential_id: int
    consumer_key: str
    application_id: int
    rules: AccessRules
    token: str
    single_use: bool = False
    last_use: float | None = None
    redirection: str | None = None
    allowed_ips: list[str] | None = None
    ovh_support: bool = False
    networks: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...] = ()
    # Precomputed "AS+CK+" prefix of the signed string: the hot path only appends to it.
    sign_prefix: bytes = b""

    @property
    def status(self) -> str:
        return _OVH_STATUS[self.state]

    @property
    def creation(self) -> float:
        return self.created

    @property
    def expiration(self) -> float | None:
        return self.valid_until

    def set_allowed_ips(self, blocks: list[str] | None) -> None:
        self.allowed_ips = blocks
        self.networks = tuple(ipaddress.ip_network(b, strict=False) for b in blocks or ())

    def effective_status(self, now: float) -> str:
        """The state, expiring (for good) a validated credential whose validity has run out."""
        if (
            self.state is _APPROVED
            and self.lifetime is None
            and (self.valid_until is None or now < self.valid_until)
        ):
            return "validated"  # the hot path of every signed call: no table, no call
        return _OVH_STATUS[self.settle(now)]

    def ip_allowed(self, ip: str) -> bool:
        if not self.networks:
            return True
        try:
            addr = ipaddress.ip_address(ip)
        except ValueError:
            return False
        return any(addr in net for net in self.networks)

    def to_json(self) -> dict[str, Any]:
        return {
            "credentialId": self.credential_id,
            "applicationId": self.application_id,
            "status": self.status,
            "creation": iso(self.creation),
            "expiration": None if self.expiration is None else iso(self.expiration),
            "lastUse": None if self.last_use is None else iso(self.last_use),
            "ovhSupport": self.ovh_support,
            "rules": [dict(r) for r in self.rules.rules],
            "allowedIPs": None if self.allowed_ips is None else list(self.allowed_ips),
        }


@dataclass
class BillDetail:
    detail_id: str
    description: str
    domain: str
    quantity: int
    unit_price: float
    period_start: str
    period_end: str


@dataclass
class Bill:
    bill_id: str
    date: float
    order_id: int
    password: str
    price: float  # without tax
    category: str
    details: dict[str, BillDetail] = field(default_factory=dict)


@dataclass
class Server:
    name: str
    server_id: int
    datacenter: str
    ip: str
    os: str
    commercial_range: str
    rack: str
    burst: str = "inactive"
    # type -> (value, expiration unix seconds) once requested through POST .../ipmi/access
    ipmi_access: dict[str, tuple[str, float]] = field(default_factory=dict)
    tasks: dict[int, dict[str, Any]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "serverId": self.server_id,
            "datacenter": self.datacenter,
            "ip": self.ip,
            "reverse": self.name + ".",
            "state": "ok",
            "os": self.os,
            "bootId": 1,
            "commercialRange": self.commercial_range,
            "professionalUse": False,
            "rack": self.rack,
            "rescueMail": None,
            "rescueSshKey": None,
            "linkSpeed": 1000,
            "monitoring": True,
            "noIntervention": False,
            "powerState": "poweron",
            "supportLevel": "pro",
            "region": _REGIONS.get(self.datacenter[:3], "eu-west"),
            "availabilityZone": _REGIONS.get(self.datacenter[:3], "eu-west") + "-a",
            "newUpgradeSystem": True,
            "efiBootloaderPath": None,
        }


_REGIONS = {"sbg": "eu-west-sbg", "gra": "eu-west-gra", "rbx": "eu-west-rbx", "bhs": "ca-east-bhs"}


@dataclass
class Redirection:
    redirection_id: str
    source: str
    target: str
    local_copy: bool

    def to_json(self) -> dict[str, Any]:
        return {"id": self.redirection_id, "from": self.source, "to": self.target}


@dataclass
class DnsRecord:
    record_id: int
    zone: str
    sub_domain: str
    field_type: str
    target: str
    ttl: int

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.record_id,
            "zone": self.zone,
            "subDomain": self.sub_domain,
            "fieldType": self.field_type,
            "target": self.target,
            "ttl": self.ttl,
        }


@dataclass
class AccessToken:
    """An OAuth2 client-credentials token (``expires_at`` is emulated-clock seconds)."""

    client_id: str
    expires_at: float
