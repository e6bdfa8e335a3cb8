"""Seed of the IAM family (``/v2/iam/resource``): about 120 resources, what the account owns
plus generated VPS, cloud projects and load balancers, for paging.

Invariants: see ``seed``; the generated part draws from the ``rng`` given, after the
credentials' tokens, so its names after a reset are always the same.
"""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Iterable
from typing import Any

from tether.services.ovh.sandbox.seed.account import ACCOUNT_LOGIN


def resources(
    rng: random.Random,
    *,
    servers: Iterable[str],
    domains: Iterable[str],
    email_domains: Iterable[str],
    zones: Iterable[str],
    sms: Iterable[str],
) -> list[dict[str, Any]]:
    """About 120 IAM resources: what the account owns plus generated VPS / cloud projects."""
    named: list[tuple[str, str]] = [("dedicatedServer", n) for n in servers]
    named += [("domain", d) for d in domains]
    named += [("emailDomain", d) for d in email_domains]
    named += [("dnsZone", z) for z in zones]
    named += [("sms", s) for s in sms]
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
