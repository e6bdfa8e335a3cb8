"""Seed of the domain family (``/domain``, ``/email/domain``, ``/domain/zone``): the two
domains, their e-mail redirections and ``example.com``'s DNS zone. Invariants: see ``seed``."""

from __future__ import annotations

from tether.services.ovh.sandbox.models import DnsRecord, Redirection


def domains() -> list[str]:
    return ["example.com", "example.org"]


def redirections() -> dict[str, dict[str, Redirection]]:
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


def zones() -> dict[str, dict[int, DnsRecord]]:
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
