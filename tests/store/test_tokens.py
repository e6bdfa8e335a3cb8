"""Token files: 0600, atomic, a full disk loses nothing, 20 processes never corrupt the cache."""

from __future__ import annotations

import multiprocessing
import os
import stat
from pathlib import Path

import pytest

from tether.store import FileTokenStore, LockingError, LockingTokenCache, StoreError, TokenCache


def test_layout_and_permissions(tmp_path: Path) -> None:
    c = TokenCache("KEY", path=str(tmp_path))
    assert c.token is None
    c.token = "tok-1"
    f = tmp_path / "KEY" / "auth.token"
    assert f.read_text() == "tok-1" and c.token == "tok-1"
    assert stat.S_IMODE(f.stat().st_mode) == 0o600
    assert stat.S_IMODE((tmp_path / "KEY").stat().st_mode) == 0o700
    u = TokenCache("KEY", username="bob", path=str(tmp_path))
    u.token = "tok-bob"
    assert (tmp_path / "KEY" / "auth-bob.token").read_text() == "tok-bob"
    assert c.token == "tok-1"
    c.forget()
    assert c.token is None and not f.exists()
    del u.token
    assert u.token is None


def test_path_is_changeable_after_creation(tmp_path: Path) -> None:
    c = TokenCache("KEY", path=str(tmp_path / "a"))
    c.path = str(tmp_path / "b")
    c.token = "x"
    assert (tmp_path / "b" / "KEY" / "auth.token").exists()


def test_failed_write_keeps_previous_token(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = FileTokenStore(str(tmp_path / "t" / "auth.token"))
    store.set("good")

    def full_disk(*a: object, **k: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "replace", full_disk)
    with pytest.raises(StoreError) as e:
        store.set("new-token-value")
    assert "disk is full" in str(e.value) and "new-token-value" not in str(e.value)
    monkeypatch.undo()
    assert store.get() == "good"
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["auth.token"]  # no temp file left


def test_unwritable_location_is_clear(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StoreError) as e:
        FileTokenStore(str(blocker / "x" / "auth.token")).set("secret-token")
    assert str(blocker) in str(e.value) and "secret-token" not in str(e.value)


def _hammer(args: tuple[str, int]) -> list[str]:
    path, n = args
    cache = LockingTokenCache("KEY", path=path)
    seen = []
    for i in range(25):
        cache.token = f"token-{n:02d}-{i:02d}-" + "x" * 200
        seen.append(cache.token or "")
    return seen


def test_twenty_processes_never_corrupt_the_cache(tmp_path: Path) -> None:
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(20) as pool:
        results = pool.map(_hammer, [(str(tmp_path), n) for n in range(20)])
    written = {f"token-{n:02d}-{i:02d}-" + "x" * 200 for n in range(20) for i in range(25)}
    for seen in results:
        assert all(tok in written for tok in seen)  # every read was one whole token
    final = TokenCache("KEY", path=str(tmp_path)).token
    assert final in written
    leftovers = [p.name for p in (tmp_path / "KEY").iterdir() if p.name.startswith(".tmp-")]
    assert leftovers == []


def test_plain_cache_is_atomic_across_processes_too(tmp_path: Path) -> None:
    """Without locking, last writer wins, but a reader still never sees half a token."""
    ctx = multiprocessing.get_context("fork")

    def work(n: int) -> None:
        c = TokenCache("K", path=str(tmp_path))
        for i in range(30):
            c.token = f"{n}-{i}-" + "y" * 500
            t = c.token
            assert t is not None and t.endswith("y" * 500)

    procs = [ctx.Process(target=work, args=(n,)) for n in range(20)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(30)
    assert all(p.exitcode == 0 for p in procs)


def test_lock_timeout_is_a_clear_error(tmp_path: Path) -> None:
    holder = LockingTokenCache("KEY", path=str(tmp_path))
    holder.acquire()
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()

    def other() -> None:
        c = LockingTokenCache("KEY", path=str(tmp_path), timeout=0.2)
        try:
            c.token = "mine"
            q.put("no error")
        except LockingError as e:
            q.put(str(e))

    p = ctx.Process(target=other)
    p.start()
    p.join(10)
    holder.release()
    msg = q.get(timeout=5)
    assert "held" in msg and "auth.token.lock" in msg
