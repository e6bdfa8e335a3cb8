"""``services/kit/pacing.SharedBucket`` (added for VK's per-token pacing): a token bucket that
threads of one client share without two of them taking the same slot."""

from __future__ import annotations

import threading

import pytest

from tether.services.kit.pacing import SharedBucket


def test_concurrent_reserves_each_get_their_own_slot() -> None:
    bucket = SharedBucket(4.0)
    waits: list[float] = []
    lock = threading.Lock()

    def take() -> None:
        for _ in range(250):
            w = bucket.reserve(100.0)  # all at one instant: every slot is a distinct wait
            with lock:
                waits.append(w)

    threads = [threading.Thread(target=take) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(waits) == pytest.approx([k / 4.0 for k in range(2000)])


def test_it_is_still_the_core_bucket() -> None:
    bucket = SharedBucket(2.0)
    assert bucket.reserve(0.0) == 0.0
    assert bucket.reserve(0.0) == pytest.approx(0.5)
    bucket.set_rate(4.0, 0.0)
    assert bucket.reserve(0.0) == pytest.approx(0.5)  # one more token owed at 4/s
    with pytest.raises(ValueError):
        SharedBucket(0)
