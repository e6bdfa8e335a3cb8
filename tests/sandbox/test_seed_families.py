"""The emulators' state split by API family (issue 8): ``ovh/sandbox/seed/`` and
``flickr/sandbox/model/`` hold the seed, ``state`` assembles it and re-exports every name."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

import tether.services.flickr.sandbox.state as fstate
import tether.services.ovh.sandbox.state as ostate
from tether.services.flickr.sandbox.model import auth as fauth
from tether.services.flickr.sandbox.model import people, photos, uploads
from tether.services.ovh.sandbox.seed import account, domains, iam, servers
from tether.services.ovh.sandbox.seed import auth as oauth

SANDBOXES = Path(ostate.__file__).parent.parent.parent


@pytest.mark.parametrize("package", ["ovh/sandbox/seed", "flickr/sandbox/model"])
def test_the_family_modules_never_import_the_state(package: str) -> None:
    files = sorted((SANDBOXES / package).glob("*.py"))
    assert len(files) >= 5
    for f in files:
        imported = {
            node.module
            for node in ast.walk(ast.parse(f.read_text(encoding="utf-8")))
            if isinstance(node, ast.ImportFrom) and node.module
        }
        assert not any(m.endswith("sandbox.state") for m in imported), f


def test_ovh_state_re_exports_the_seed_names_as_one_object() -> None:
    assert ostate.APPLICATION_KEY is oauth.APPLICATION_KEY == "PbFKmsC3mCrwGbBu"
    assert ostate.CONSUMER_KEY is oauth.CONSUMER_KEY
    assert ostate.OAUTH2_CLIENT_SECRET is oauth.OAUTH2_CLIENT_SECRET
    assert ostate.ACCOUNT_LOGIN is account.ACCOUNT_LOGIN == "la42-ovh"
    assert ostate.ME_WRITABLE is account.ME_WRITABLE
    for name in ostate.__all__:
        assert hasattr(ostate, name), name


def test_ovh_seed_functions_give_fresh_objects_every_call() -> None:
    for make in (account.me, account.bills, account.sms, servers.servers, domains.zones):
        a, b = make(), make()
        assert a == b and a is not b
    first = account.bills()
    next(iter(first.values())).details.clear()
    assert all(bill.details for bill in account.bills().values())
    assert oauth.applications()[0].key == ostate.APPLICATION_KEY


def test_ovh_seeded_state_is_assembled_from_every_family() -> None:
    s = ostate.OvhState.seeded()
    assert sorted(s.credentials) == [c.credential_id for c in oauth.credentials()]
    assert s.credentials_by_ck[ostate.CONSUMER_KEY].state == ostate.GRANT_STATE_OF["validated"]
    assert s.credentials[2_000_004].valid_until == oauth.credentials()[3].expiration
    assert set(s.servers) == set(servers.servers()) and s.domains == domains.domains()
    assert len(s.iam_resources) == 120
    kinds = [r["type"] for r in s.iam_resources]
    assert kinds[: len(s.servers)] == ["dedicatedServer"] * len(s.servers)
    # Deterministic, draw for draw: the tokens, the IAM ids, the next random key.
    t = ostate.OvhState.seeded()
    assert [c.token for c in s.credentials.values()] == [c.token for c in t.credentials.values()]
    assert [r["id"] for r in s.iam_resources] == [r["id"] for r in t.iam_resources]
    assert s.random_key(32) == t.random_key(32)


def test_iam_resources_follow_what_they_are_given() -> None:
    import random

    got = iam.resources(
        random.Random(1), servers=["s1"], domains=["d1"], email_domains=[], zones=[], sms=[]
    )
    assert [(r["type"], r["name"]) for r in got[:3]] == [
        ("dedicatedServer", "s1"),
        ("domain", "d1"),
        ("account", ostate.ACCOUNT_LOGIN),
    ]
    assert len(got) == 120


def test_flickr_state_re_exports_every_model_name_as_one_object() -> None:
    homes = {fauth: 0, people: 0, photos: 0, uploads: 0}
    for name in fstate.__all__:
        obj = getattr(fstate, name)
        for module in homes:
            if getattr(module, name, None) is obj:
                homes[module] += 1
    assert all(homes.values()), homes  # every family supplies some of the names
    assert fstate.API_KEY is fauth.API_KEY and fstate.Ticket is uploads.Ticket
    assert fstate.perms_at_least("delete", "write") and not fstate.perms_at_least("read", "write")


def test_flickr_seed_is_computed_once_and_never_shared_between_states() -> None:
    assert photos.blueprint() is photos.blueprint()
    a, b = fstate.FlickrState.seeded(), fstate.FlickrState.seeded()
    assert len(a.photos) == photos.PHOTO_COUNT and list(a.users) == [u.nsid for u in people.USERS]
    pid = a.order[0]
    assert a.photos[pid] is not b.photos[pid] and a.order is not b.order
    a.photos[pid].touch(5)
    a.contacts[fstate.USER_NSID].clear()
    assert b.photos[pid].lastupdate != 5 and b.contacts[fstate.USER_NSID] == list(people.CONTACTS)
    assert fstate.FlickrState.seeded().next_photo_id == photos.FIRST_UPLOAD_ID
    assert a.new_token_value() == b.new_token_value()  # one sequence after every reset
