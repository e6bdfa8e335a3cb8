"""Seeded, deterministic state of the OVH emulator: one customer account and what it owns.

This module assembles the state; the seed's data is in ``seed/``, one module per API family
(as ``routes/`` is split), and the objects (``Credential``, ``Bill`` …) are in ``models``.
Both are re-exported here, where callers have always found them.

Invariants:
- ``OvhState.seeded()`` always builds the same objects (ids, keys, dates, order): tests may
  hard-code them. Values generated later (new consumer keys, credential tokens) come from a
  ``random.Random`` seeded with a constant, so the *sequence* after a reset is deterministic too.
  The seed draws from it in a fixed order: the credentials' tokens, then the IAM resources.
- Nothing here does I/O, reads the clock or knows about HTTP: callers pass ``now`` (Unix seconds
  of the emulated server clock) where time matters.
- The credential indexes (``credentials``, ``credentials_by_ck``, ``credentials_by_token``) and
  the application indexes change only through ``add_credential`` / ``remove_credential`` /
  ``remove_application``, so they stay in step.
- The fixed sandbox secrets are in ``seed.auth`` and ``seed.account`` only; the control API's
  credentials are the one place that hands them out, and nothing here logs them.
"""

from __future__ import annotations

import random
import string
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
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
from tether.services.ovh.sandbox.seed import account, auth, domains, iam, servers
from tether.services.ovh.sandbox.seed.account import (
    ACCOUNT_EMAIL,
    ACCOUNT_LOGIN,
    ACCOUNT_PASSWORD,
    ME_WRITABLE,
)
from tether.services.ovh.sandbox.seed.auth import (
    APPLICATION_KEY,
    APPLICATION_SECRET,
    CONSUMER_KEY,
    CONSUMER_KEY_READONLY,
    OAUTH2_CLIENT_ID,
    OAUTH2_CLIENT_SECRET,
)

_ALNUM = string.ascii_letters + string.digits
_SEED = 0x0E7E


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
            me=account.me(),
            applications={},
            applications_by_key={},
            credentials={},
            credentials_by_ck={},
            credentials_by_token={},
            bills=account.bills(),
            servers=servers.servers(),
            email_domains=domains.redirections(),
            zones=domains.zones(),
            domains=domains.domains(),
            sms=account.sms(),
            iam_resources=[],
            oauth2_clients={OAUTH2_CLIENT_ID: OAUTH2_CLIENT_SECRET},
        )
        apps = auth.applications()
        for app in apps:
            state.applications[app.application_id] = app
            state.applications_by_key[app.key] = app
        for row in auth.credentials():  # in order: each draws its token from ``rng``
            state.add_credential(
                apps[row.app],
                row.rules,
                now=row.now,
                status=row.status,
                consumer_key=row.consumer_key,
                credential_id=row.credential_id,
                expiration=row.expiration,
                last_use=row.last_use,
            )
        state.iam_resources = iam.resources(
            rng,
            servers=state.servers,
            domains=state.domains,
            email_domains=state.email_domains,
            zones=state.zones,
            sms=state.sms,
        )
        return state


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
