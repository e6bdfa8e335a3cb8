"""The emulator kit's grant state machine, driven by hand with plain clock values."""

from __future__ import annotations

import pytest

from tether.sandbox.kit.grants import Grant, GrantRefused, GrantState, Refusal

KEY = "app-key"


def grant(**kw: object) -> Grant:
    return Grant(api_key=KEY, created=100.0, **kw)  # type: ignore[arg-type]


def refusal(call: object, *args: object, **kw: object) -> GrantRefused:
    with pytest.raises(GrantRefused) as info:
        call(*args, **kw)  # type: ignore[operator]
    return info.value


def test_pending_approved_used() -> None:
    g = grant(perms="read")
    assert g.current(100) is GrantState.PENDING
    g.approve(101, perms="write")
    assert (g.state, g.perms) == (GrantState.APPROVED, "write")
    g.use(102, api_key=KEY)
    assert g.state is GrantState.USED
    # Single use: a second spend is refused, and names why.
    r = refusal(g.use, 103)
    assert (r.reason, r.state) == (Refusal.USED, GrantState.USED)
    assert g.state is GrantState.USED


def test_approve_keeps_asked_perms_when_none_given() -> None:
    g = grant(perms="delete")
    g.approve(101)
    assert g.perms == "delete" and g.valid_until is None


def test_pending_denied_is_final() -> None:
    g = grant()
    g.deny(101)
    assert g.state is GrantState.DENIED
    for call in (g.approve, g.deny):
        r = refusal(call, 102)
        assert (r.reason, r.state) == (Refusal.NOT_PENDING, GrantState.DENIED)
    r = refusal(g.use, 102)
    assert r.reason is Refusal.NOT_APPROVED
    assert g.state is GrantState.DENIED


def test_decided_once() -> None:
    g = grant()
    g.approve(101)
    r = refusal(g.deny, 102)
    assert (r.reason, r.state) == (Refusal.NOT_PENDING, GrantState.APPROVED)
    assert g.state is GrantState.APPROVED


def test_use_before_approval_is_refused() -> None:
    g = grant()
    r = refusal(g.use, 101)
    assert (r.reason, r.state) == (Refusal.NOT_APPROVED, GrantState.PENDING)
    assert g.state is GrantState.PENDING


def test_bound_to_its_key() -> None:
    g = grant()
    for call in (g.approve, g.deny, g.use):
        r = refusal(call, 101, api_key="other")
        assert r.reason is Refusal.WRONG_KEY
    assert g.state is GrantState.PENDING
    assert g.alive(101, KEY) and not g.alive(101, "other") and g.alive(101)


@pytest.mark.parametrize("start", ["pending", "approved", "denied"])
def test_lifetime_is_inclusive_and_covers_every_undecided_or_live_state(start: str) -> None:
    g = grant(lifetime=60, state=GrantState(start))
    assert g.current(160) is GrantState(start)  # now - created == lifetime: still usable
    assert g.current(160.5) is GrantState.EXPIRED
    # Reported, not recorded: moving the clock back makes it usable again.
    assert g.state is GrantState(start) and g.alive(159)
    r = refusal(g.check, 161)
    assert (r.reason, r.state) == (Refusal.EXPIRED, GrantState.EXPIRED)


def test_expired_refuses_every_transition_and_changes_nothing() -> None:
    g = grant(lifetime=10)
    for call in (g.approve, g.deny, g.use):
        assert refusal(call, 111).reason is Refusal.EXPIRED
    assert g.state is GrantState.PENDING


def test_key_is_checked_before_expiry() -> None:
    g = grant(lifetime=10)
    assert refusal(g.use, 500, api_key="other").reason is Refusal.WRONG_KEY


def test_approval_validity_is_exclusive_and_settle_records_it() -> None:
    g = grant(single_use=False)
    g.approve(200, valid_for=50)
    assert g.valid_until == 250
    assert g.current(249.9) is GrantState.APPROVED
    g.use(249.9)
    assert g.state is GrantState.APPROVED  # reusable: stays approved
    assert g.current(250) is GrantState.EXPIRED
    assert g.state is GrantState.APPROVED  # reading moved nothing
    assert g.settle(250) is GrantState.EXPIRED
    assert g.state is GrantState.EXPIRED and g.current(0) is GrantState.EXPIRED  # for good


def test_a_used_grant_never_expires_into_something_else() -> None:
    g = grant(lifetime=10)
    g.approve(101)
    g.use(102)
    assert g.current(10_000) is GrantState.USED


def test_expire_from_any_state() -> None:
    for state in GrantState:
        g = grant(state=state)
        g.expire(300)
        assert (g.state, g.valid_until) == (GrantState.EXPIRED, 300)


def test_refusal_message_names_reason_and_state_only() -> None:
    g = grant(perms="secret-perms")
    g.deny(101)
    r = refusal(g.approve, 102)
    assert str(r) == "grant refused: not_pending (grant is denied)"


# -- the services' grants -------------------------------------------------------------------


def test_flickr_frob_expiry_is_reported_not_recorded() -> None:
    from tether.services.flickr.sandbox.app import FlickrEmulator
    from tether.services.flickr.sandbox.state import API_KEY, FROB_LIFETIME

    em = FlickrEmulator()
    frob = em.state.new_frob(API_KEY, em.now())
    assert isinstance(frob, Grant) and frob.status == "pending"
    em.skew = FROB_LIFETIME + 5
    assert not frob.usable(em.now(), API_KEY)
    em.skew = 0
    assert frob.usable(em.now(), API_KEY) and not frob.usable(em.now(), "another key")
    frob.approve(em.now(), perms="write")
    frob.use(em.now(), api_key=API_KEY)
    assert frob.status is GrantState.USED


def test_ovh_credential_speaks_ovh_and_its_expiry_stays() -> None:
    from tether.services.ovh.sandbox.app import OvhEmulator
    from tether.services.ovh.sandbox.state import APPLICATION_KEY

    em = OvhEmulator()
    app = em.state.applications_by_key[APPLICATION_KEY]
    cred = em.state.add_credential(app, [{"method": "GET", "path": "/*"}], now=em.now())
    assert (cred.status, cred.api_key, cred.single_use) == ("pendingValidation", app.key, False)
    cred.approve(em.now(), valid_for=10)
    assert cred.effective_status(em.now()) == "validated"
    assert cred.to_json()["expiration"] is not None
    em.skew = 11
    assert cred.effective_status(em.now()) == "expired"
    em.skew = 0
    assert cred.effective_status(em.now()) == "expired"  # recorded, as OVH lists it
    assert refusal(cred.approve, em.now()).reason is Refusal.EXPIRED
