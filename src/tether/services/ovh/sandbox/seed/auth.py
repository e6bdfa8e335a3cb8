"""Seed of the auth family (``/auth``, ``/me/api/application``, ``/me/api/credential``, OAuth2):
the sandbox's fixed keys, four applications in each state, six credentials in each state.

Invariants: see ``seed``. Besides: the fixed keys are in the formats OVH uses (AK 16, AS/CK
32 alphanumerics) and are the only sandbox secrets of this family; ``state`` re-exports them,
and the control API's credentials are the one place that hands them out. Credentials are
given as rows (``CredentialSeed``), not objects: ``OvhState.add_credential`` builds them, so
a seeded credential and one made later are made the same way.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from tether.services.ovh.sandbox.models import METHODS, Application
from tether.services.ovh.sandbox.seed import ts

APPLICATION_KEY = "PbFKmsC3mCrwGbBu"
APPLICATION_SECRET = "LbPJbTStM2eIvyyzAVoVbYqq3j6CyB0E"
CONSUMER_KEY = "rlb00BX1NlqvCNCGrElNiZyvya8uRDeP"
CONSUMER_KEY_READONLY = "B7OrW8IeseweAW4luPEtc6tPPaH0gRnn"
OAUTH2_CLIENT_ID = "EU.19845e23d71848ff"
OAUTH2_CLIENT_SECRET = "bTiNIhG54BDBJ30H5Fk4cCKjgtHWnhCk"


def applications() -> list[Application]:
    """The seeded applications, in id order; the first is the one the sandbox hands out."""
    return [
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


@dataclass(frozen=True)
class CredentialSeed:
    """One seeded credential, as ``OvhState.add_credential``'s arguments; ``app`` indexes
    ``applications()``."""

    app: int
    rules: Sequence[Mapping[str, str]]
    now: float
    status: str
    consumer_key: str
    credential_id: int
    expiration: float | None = None
    last_use: float | None = None


def credentials() -> list[CredentialSeed]:
    """The seeded credentials, in the order they are added (each draws a token from the
    state's ``rng``, so the order is part of the seed)."""
    full = [{"method": m, "path": "/*"} for m in METHODS]
    base = ts("2024-01-15T09:30:00+01:00")
    return [
        CredentialSeed(0, full, base, "validated", CONSUMER_KEY, 2_000_001),
        CredentialSeed(
            0,
            [{"method": "GET", "path": "/me"}],
            base + 60,
            "validated",
            CONSUMER_KEY_READONLY,
            2_000_002,
        ),
        CredentialSeed(
            1,
            [{"method": "GET", "path": "/dedicated/server/*"}, {"method": "GET", "path": "/me"}],
            ts("2023-11-02T18:04:11+01:00"),
            "validated",
            "wV92BEA4AGgeCb9lF5mMpDcMe7v5Kcxa",
            2_000_003,
            expiration=ts("2030-11-02T18:04:11+01:00"),
            last_use=ts("2024-05-30T07:12:45+02:00"),
        ),
        CredentialSeed(
            2,
            [{"method": "GET", "path": "/*"}, {"method": "POST", "path": "/*"}],
            ts("2021-03-10T02:00:00+01:00"),
            "expired",
            "dG1ONkBPbx6SDGKtxPydS9BbmHfwN7yI",
            2_000_004,
            expiration=ts("2022-03-10T02:00:00+01:00"),
            last_use=ts("2022-03-09T02:00:04+01:00"),
        ),
        CredentialSeed(
            3,
            [{"method": "PUT", "path": "/domain/zone/*/record/*"}],
            ts("2024-02-20T12:00:00+01:00"),
            "refused",
            "kKITgnfXpINVxhK8MBiCK0pbGmD9EUu8",
            2_000_005,
        ),
        CredentialSeed(
            0,
            [{"method": "GET", "path": "/me"}],
            base + 120,
            "pendingValidation",
            "BqbCy2sZmUSJSGdKyCq75jdheZ7HRPNr",
            2_000_006,
        ),
    ]
