"""Token storage: the protocol, 0600 files written atomically, FlickrAPI's layout, and 20
processes hammering one cache without ever corrupting or losing it."""

from __future__ import annotations

import errno
import hashlib
import multiprocessing
import os
import signal
import stat
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from tether.core.errors import ConfigError, TetherError, UsageError
from tether.store import (
    FileTokenStore,
    LockingError,
    LockingTokenCache,
    MemoryTokenStore,
    StoreError,
    TokenCache,
    TokenFile,
    TokenStore,
)

IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
# Children come from a fork server that has this module loaded: they start in milliseconds
# (20 fit the time budget) without forking the multi-threaded test process itself (the session
# sandbox runs in threads; Python 3.12+ warns that such a fork may deadlock, rightly). Only the
# test whose subject is what a forked child inherits uses fork.
HAS_FORK = "fork" in multiprocessing.get_all_start_methods()
HAS_FORKSERVER = "forkserver" in multiprocessing.get_all_start_methods()
FORK: Any = multiprocessing.get_context("fork") if HAS_FORK else None
PROCS: Any = multiprocessing.get_context("forkserver") if HAS_FORKSERVER else None
if PROCS is not None:
    PROCS.set_forkserver_preload([__name__])
needs_fork = pytest.mark.skipif(not HAS_FORK, reason="needs the fork start method")
needs_procs = pytest.mark.skipif(not HAS_FORKSERVER, reason="needs the forkserver start method")


def mode(p: Path) -> int:
    return stat.S_IMODE(p.stat().st_mode)


def exercise(store: TokenStore) -> None:
    """What an auth strategy does with any store, typed against the protocol."""
    assert store.get("vk:1") is None
    store.set("vk:1", "tok-a")
    store.set("vk:2", "tok-b")
    assert store.get("vk:1") == "tok-a" and store.get("vk:2") == "tok-b"
    store.set("vk:1", "tok-c")
    assert store.get("vk:1") == "tok-c"
    store.delete("vk:1")
    store.delete("vk:1")  # deleting nothing is fine
    assert store.get("vk:1") is None and store.get("vk:2") == "tok-b"


# --- the protocol ------------------------------------------------------------------------


def test_memory_store_follows_the_protocol() -> None:
    exercise(MemoryTokenStore())


def test_file_store_follows_the_protocol(tmp_path: Path) -> None:
    exercise(FileTokenStore(tmp_path / "tokens"))
    assert (tmp_path / "tokens" / "vk%3A2").read_text() == "tok-b"


def test_memory_store_single_form_initial_tokens_and_repr() -> None:
    s = MemoryTokenStore({"a": "secret-a", None: "secret-single"})
    assert s.get("a") == "secret-a" and s.get() == "secret-single"
    s.set("other")
    assert s.get() == "other" and s.get("a") == "secret-a"
    s.delete()
    assert s.get() is None
    assert "secret" not in repr(s)


@pytest.mark.parametrize("bad", ["", "   \n", None, b"bytes-token", 42])
def test_empty_or_non_text_tokens_are_refused(tmp_path: Path, bad: Any) -> None:
    for store in (MemoryTokenStore(), FileTokenStore(tmp_path)):
        with pytest.raises(UsageError):
            store.set("k", bad)
    assert list(tmp_path.iterdir()) == []  # nothing was written


def test_surrounding_whitespace_is_not_part_of_a_token(tmp_path: Path) -> None:
    f = TokenFile(tmp_path / "t")
    f.set("  tok \n")
    assert (tmp_path / "t").read_bytes() == b"tok" and f.get() == "tok"
    (tmp_path / "t").write_text("edited-by-hand\n")
    assert f.get() == "edited-by-hand"


# --- files: permissions, layout, escaping -------------------------------------------------


def test_files_are_0600_and_created_folders_0700_whatever_the_umask(tmp_path: Path) -> None:
    old = os.umask(0)
    try:
        store = FileTokenStore(tmp_path / "a" / "b")
        store.set("k", "t")
    finally:
        os.umask(old)
    assert mode(tmp_path / "a" / "b" / "k") == 0o600
    assert mode(tmp_path / "a" / "b") == 0o700
    assert mode(tmp_path / "a") == 0o700  # every level created, not only the last


def test_an_existing_folder_keeps_its_mode(tmp_path: Path) -> None:
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine").chmod(0o755)
    FileTokenStore(tmp_path / "mine" / "new").set("k", "t")
    assert mode(tmp_path / "mine") == 0o755
    assert mode(tmp_path / "mine" / "new") == 0o700


def test_a_world_readable_token_file_becomes_private_on_the_next_write(tmp_path: Path) -> None:
    p = tmp_path / "auth.token"
    p.write_text("old")
    p.chmod(0o644)  # as FlickrAPI 2.x left it (sybrenstuvel/flickrapi#118)
    TokenFile(p).set("new")
    assert mode(p) == 0o600 and p.read_text() == "new"


def test_single_file_form(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path / "x" / "oauth.token")
    assert store.get() is None
    store.set("one")
    assert (tmp_path / "x" / "oauth.token").read_text() == "one" and store.get() == "one"
    store.delete()
    assert store.get() is None and not (tmp_path / "x" / "oauth.token").exists()


@pytest.mark.parametrize(
    "key", ["../escape", "../../etc/passwd", "a/b", "a\\b", ".", "..", ".hidden", "x\r\ny", "%2E"]
)
def test_keys_cannot_leave_the_folder_or_collide(tmp_path: Path, key: str) -> None:
    folder = tmp_path / "store"
    store = FileTokenStore(folder)
    store.set(key, "secret")
    store.set("x", "other")
    names = [p.name for p in folder.iterdir()]
    assert len(names) == 2 and all(not n.startswith(".") for n in names)  # inside, visible
    assert all(os.sep not in n and "\n" not in n for n in names)
    assert store.get(key) == "secret" and store.get("x") == "other"
    assert [p for p in tmp_path.iterdir()] == [folder]


def test_a_key_cannot_be_another_keys_lock_file(tmp_path: Path) -> None:
    store = FileTokenStore(tmp_path)
    with store.lock("x"):
        store.set("x.lock", "t")  # would clobber x's lock file if locks were named "<key>.lock"
        store.set("x", "u")
    assert store.get("x.lock") == "t" and store.get("x") == "u"


def test_empty_key_is_refused(tmp_path: Path) -> None:
    with pytest.raises(UsageError):
        FileTokenStore(tmp_path).set("", "t")


# --- reading is tolerant, failures are clear ----------------------------------------------


def test_reading_a_missing_or_empty_file_is_none(tmp_path: Path) -> None:
    assert TokenFile(tmp_path / "nope" / "t").get() is None
    (tmp_path / "empty").write_text("\n")
    assert TokenFile(tmp_path / "empty").get() is None


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"\xff\xfe\x00garbage", "not a text token file"),
        (b"x" * (64 * 1024 + 1), "not a token file"),
    ],
)
def test_reading_something_that_is_not_a_token(
    tmp_path: Path, content: bytes, message: str
) -> None:
    p = tmp_path / "t"
    p.write_bytes(content)
    with pytest.raises(StoreError, match=message):
        TokenFile(p).get()


def test_reading_a_folder_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="is a folder"):
        TokenFile(tmp_path).get()


@pytest.mark.skipif(IS_ROOT, reason="root reads and writes through permissions")
def test_unreadable_and_unwritable_files(tmp_path: Path) -> None:
    p = tmp_path / "t"
    TokenFile(p).set("kept")
    p.chmod(0)
    with pytest.raises(StoreError, match="check its permissions"):
        TokenFile(p).get()
    p.chmod(0o600)
    tmp_path.chmod(0o500)
    try:
        with pytest.raises(StoreError, match="permission denied"):
            TokenFile(p).set("new")
    finally:
        tmp_path.chmod(0o700)
    assert TokenFile(p).get() == "kept"


def test_unreadable_file_even_as_root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import tether.store.tokenfile as tokens_module

    f = TokenFile(tmp_path / "t")
    f.set("kept")

    def denied(*a: object, **k: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tokens_module, "open", denied, raising=False)
    with pytest.raises(StoreError, match="check its permissions") as e:
        f.get()
    assert "kept" not in str(e.value)


def test_a_file_in_the_way_of_the_folder(tmp_path: Path) -> None:
    blocker = tmp_path / "blocker"
    blocker.write_text("a file where a folder should be")
    with pytest.raises(StoreError) as e:
        FileTokenStore(blocker / "x").set("k", "secret-token")
    assert str(blocker) in str(e.value) and "in the way" in str(e.value)
    assert "secret-token" not in str(e.value)
    assert isinstance(e.value, ConfigError) and isinstance(e.value, TetherError)


def test_a_folder_in_the_way_of_the_file(tmp_path: Path) -> None:
    (tmp_path / "t").mkdir()
    with pytest.raises(StoreError, match="folder is in the way"):
        TokenFile(tmp_path / "t").set("x")
    assert [p.name for p in tmp_path.iterdir()] == ["t"]  # no temporary file left


# --- atomicity -----------------------------------------------------------------------------


def _fail_with(code: int) -> Any:
    def fail(*a: object, **k: object) -> None:
        raise OSError(code, os.strerror(code))

    return fail


@pytest.mark.parametrize(
    ("where", "code", "advice"),
    [
        ("replace", errno.ENOSPC, "disk is full"),
        ("fsync", errno.ENOSPC, "disk is full"),  # a full disk shows at flush time
        ("fsync", errno.EDQUOT, "quota"),
        ("replace", errno.EROFS, "read-only"),
        ("replace", errno.EACCES, "permission denied"),
        ("mkstemp", errno.ENOSPC, "disk is full"),
    ],
)
def test_a_failed_write_keeps_the_previous_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, code: int, advice: str
) -> None:
    import tempfile

    f = TokenFile(tmp_path / "t" / "auth.token")
    f.set("good")
    target: Any = tempfile if where == "mkstemp" else os
    monkeypatch.setattr(target, where, _fail_with(code))
    with pytest.raises(StoreError) as e:
        f.set("new-token-value")
    monkeypatch.undo()
    msg = str(e.value)
    assert advice in msg and "previous token is unchanged" in msg and str(f.path) in msg
    assert "new-token-value" not in msg
    assert f.get() == "good"
    assert [p.name for p in (tmp_path / "t").iterdir()] == ["auth.token"]  # no temp file left


def test_an_interrupted_write_leaves_the_old_token_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A crash between writing the new bytes and the rename: readers meanwhile, and after,
    see the old token, never a mix."""
    f = TokenFile(tmp_path / "auth.token")
    f.set("old-token")
    seen: list[str | None] = []
    real_fsync = os.fsync

    def crash_after_fsync(fd: int) -> None:
        real_fsync(fd)
        seen.append(TokenFile(f.path).get())  # the new bytes are on disk, under a temp name
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", crash_after_fsync)
    with pytest.raises(KeyboardInterrupt):
        f.set("new-token-that-is-longer")
    monkeypatch.undo()
    assert seen == ["old-token"] and f.get() == "old-token"
    assert [p.name for p in tmp_path.iterdir()] == ["auth.token"]


def test_write_goes_through_a_temp_file_renamed_over_the_old(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, str]] = []
    real = os.replace

    def spy(src: Any, dst: Any) -> None:
        calls.append((os.fspath(src), os.fspath(dst)))
        assert mode(Path(src)) == 0o600 and Path(src).read_text() == "v2"
        real(src, dst)

    f = TokenFile(tmp_path / "tok")
    f.set("v1")
    monkeypatch.setattr(os, "replace", spy)
    f.set("v2")
    [(src, dst)] = calls
    assert os.path.dirname(src) == str(tmp_path) and dst == str(tmp_path / "tok")
    assert os.path.basename(src).startswith(".tok.")


def test_unremovable_token_is_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    f = TokenFile(tmp_path / "t")
    f.set("x")
    monkeypatch.setattr(os, "unlink", _fail_with(errno.EACCES))
    with pytest.raises(StoreError, match="remove it by hand"):
        f.delete()


# --- FlickrAPI's layout --------------------------------------------------------------------


def test_flickr_layout_defaults_to_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    c = TokenCache("KEY")
    assert c.path == "~/.flickr"
    assert c.token_path() == str(tmp_path / ".flickr" / "KEY" / "auth.token")
    assert c.token is None
    c.token = "tok-1"
    f = tmp_path / ".flickr" / "KEY" / "auth.token"
    assert f.read_text() == "tok-1" and c.token == "tok-1"
    assert mode(f) == 0o600 and mode(f.parent) == 0o700
    assert mode(tmp_path / ".flickr") == 0o700


def test_flickr_layout_with_username_and_changeable_path(tmp_path: Path) -> None:
    c = TokenCache("KEY", path=tmp_path)
    u = TokenCache("KEY", username="bob", path=str(tmp_path))
    c.token = "tok-1"
    u.token = "tok-bob"
    assert (tmp_path / "KEY" / "auth.token").read_text() == "tok-1"
    assert (tmp_path / "KEY" / "auth-bob.token").read_text() == "tok-bob"
    assert c.token == "tok-1" and u.token == "tok-bob"
    c.path = str(tmp_path / "elsewhere")  # the seed's `flickr.token.path = ...` lands here
    assert c.token is None
    c.token = "tok-2"
    assert (tmp_path / "elsewhere" / "KEY" / "auth.token").read_text() == "tok-2"
    c.path = tmp_path / "third"  # a Path works too
    assert c.token_path() == str(tmp_path / "third" / "KEY" / "auth.token")


def test_flickr_token_property_and_forget(tmp_path: Path) -> None:
    c = TokenCache("KEY", path=tmp_path)
    c.token = "a"
    del c.token
    assert c.token is None
    c.token = "b"
    c.token = None  # type: ignore[assignment]
    assert c.token is None
    c.token = "c"
    c.forget()
    c.forget()
    assert c.token is None and not (tmp_path / "KEY" / "auth.token").exists()


def test_flickr_layout_escapes_hostile_names(tmp_path: Path) -> None:
    u = TokenCache("KEY", username="../../evil", path=tmp_path)
    u.token = "t"
    assert Path(u.token_path()).parent == tmp_path / "KEY"
    k = TokenCache("..", path=tmp_path / "base")
    k.token = "t"
    assert Path(k.token_path()).parent.parent == tmp_path / "base"
    assert (
        TokenCache("KEY", username="John Doe", path=tmp_path)
        .token_path()
        .endswith("auth-John Doe.token")
    )  # ordinary names keep FlickrAPI's file names
    with pytest.raises(UsageError):
        TokenCache("")


def test_repr_shows_the_path_never_the_token(tmp_path: Path) -> None:
    c = TokenCache("KEY", path=tmp_path)
    c.token = "supersecret"
    assert "auth.token" in repr(c) and "supersecret" not in repr(c)


# --- locking --------------------------------------------------------------------------------


def test_lock_file_sits_beside_the_token_and_is_private(tmp_path: Path) -> None:
    c = LockingTokenCache("KEY", path=tmp_path)
    c.token = "t"
    lock = tmp_path / "KEY" / "auth.token.lock"
    assert c.lock_path() == str(lock) and lock.exists() and mode(lock) == 0o600
    assert c.token == "t" and not c.locked


def test_lock_is_reentrant_and_held_across_a_session(tmp_path: Path) -> None:
    c = LockingTokenCache("KEY", path=tmp_path, timeout=0.2)
    other = LockingTokenCache("KEY", path=tmp_path, timeout=0.2)
    result: list[str] = []

    def from_another_thread() -> None:
        try:
            other.token = "theirs"
            result.append("wrote")
        except LockingError as e:
            result.append(str(e))

    with c:
        assert c.locked
        c.token = "mine"  # nested use of the lock we hold
        assert c.token == "mine"
        t = threading.Thread(target=from_another_thread)
        t.start()
        t.join()
        assert c.token == "mine"  # nobody got in while we held it
    assert not c.locked
    assert "held" in result[0] and "auth.token.lock" in result[0]
    other.token = "theirs"  # free now
    assert c.token == "theirs"


def test_release_without_acquire_warns(tmp_path: Path) -> None:
    c = LockingTokenCache("KEY", path=tmp_path)
    with pytest.warns(RuntimeWarning, match="without acquire"):
        c.release()


def test_release_frees_the_lock_it_took_even_after_a_path_change(tmp_path: Path) -> None:
    c = LockingTokenCache("KEY", path=tmp_path / "a", timeout=0.1)
    c.acquire()
    c.path = str(tmp_path / "b")
    c.release()
    probe = LockingTokenCache("KEY", path=tmp_path / "a", timeout=0.1)
    done: list[bool] = []
    t = threading.Thread(target=lambda: done.append(probe.token is None))
    t.start()
    t.join()
    assert done == [True]


def _hold_lock(path: str, ready: Any) -> None:
    c = LockingTokenCache("KEY", path=path)
    c.acquire()
    ready.set()
    time.sleep(30)  # killed long before


@needs_procs
def test_lock_timeout_across_processes_and_freed_when_the_holder_dies(tmp_path: Path) -> None:
    ready = PROCS.Event()
    holder = PROCS.Process(target=_hold_lock, args=(str(tmp_path), ready))
    holder.start()
    try:
        assert ready.wait(5)
        c = LockingTokenCache("KEY", path=tmp_path, timeout=0.2)
        start = time.monotonic()
        with pytest.raises(LockingError) as e:
            c.token = "mine"
        assert 0.15 < time.monotonic() - start < 3
        assert "held" in str(e.value) and "auth.token.lock" in str(e.value)
        assert "0.2 s" in str(e.value)
    finally:
        os.kill(holder.pid or 0, signal.SIGKILL)
        holder.join(5)
    c.token = "mine"  # a dead holder's lock is free: no stale-lock clean-up needed
    assert c.token == "mine"


def _try_to_write(path: str, inherited: LockingTokenCache, q: Any) -> None:
    for cache in (LockingTokenCache("KEY", path=path, timeout=0.2), inherited):
        try:
            cache.token = "child"
            q.put("got in")
        except LockingError:
            q.put("refused")


@needs_fork
# The subject is fork itself, in a process that has threads: the warning is expected here.
@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded:DeprecationWarning")
def test_a_forked_child_does_not_inherit_the_parents_hold(tmp_path: Path) -> None:
    parent = LockingTokenCache("KEY", path=tmp_path, timeout=0.2)
    q = FORK.Queue()
    with parent:
        child = FORK.Process(target=_try_to_write, args=(str(tmp_path), parent, q))
        child.start()
        child.join(10)
        assert [q.get(timeout=5), q.get(timeout=5)] == ["refused", "refused"]
        assert parent.token is None


# --- 20 processes ---------------------------------------------------------------------------


def make_token(writer: int, i: int) -> str:
    """A self-checking token whose length varies a lot, so a torn or mixed write shows."""
    body = f"{writer:02d}-{i:03d}-" + "abcdefghij"[writer % 10] * (
        1 + (writer * 37 + i * 101) % 3000
    )
    return body + "." + hashlib.sha256(body.encode()).hexdigest()[:16]


def is_whole(token: str | None) -> bool:
    if token is None:
        return False
    body, _, check = token.rpartition(".")
    return hashlib.sha256(body.encode()).hexdigest()[:16] == check


def test_the_whole_token_checker_can_fail() -> None:
    t = make_token(3, 7)
    assert is_whole(t)
    assert not is_whole(t[:-1]) and not is_whole(t[:50] + t[60:]) and not is_whole(None)
    assert not is_whole(make_token(4, 7)[:40] + t[40:])


ROUNDS = 30


def _hammer(args: tuple[str, int, bool]) -> tuple[list[str | None], str]:
    path, writer, locking = args
    cache: TokenCache = (
        LockingTokenCache("KEY", path=path, timeout=20) if locking else TokenCache("KEY", path=path)
    )
    seen: list[str | None] = []
    last = ""
    for i in range(ROUNDS):
        last = make_token(writer, i)
        cache.token = last
        seen.append(cache.token)
        seen.append(TokenCache("KEY", path=path).token)  # a reader that does not lock
    return seen, last


@needs_procs
@pytest.mark.parametrize("locking", [True, False], ids=["LockingTokenCache", "TokenCache"])
def test_twenty_processes_never_corrupt_or_lose_the_token(tmp_path: Path, locking: bool) -> None:
    with PROCS.Pool(20) as pool:
        results = pool.map(_hammer, [(str(tmp_path), n, locking) for n in range(20)], chunksize=1)
    written = {make_token(n, i) for n in range(20) for i in range(ROUNDS)}
    reads = [tok for seen, _ in results for tok in seen]
    assert len(reads) == 20 * ROUNDS * 2
    assert all(is_whole(tok) and tok in written for tok in reads)  # never partial, never None
    final = TokenCache("KEY", path=tmp_path).token
    # Nothing lost: the file holds the last write of whoever wrote last.
    assert final in {last for _, last in results}
    leftovers = [p.name for p in (tmp_path / "KEY").iterdir() if p.name.endswith(".tmp")]
    assert leftovers == []
    assert mode(tmp_path / "KEY" / "auth.token") == 0o600


def _increment(args: tuple[str, int]) -> None:
    path, n = args
    cache = LockingTokenCache("KEY", path=path, timeout=20)
    for _ in range(n):
        with cache:  # read-modify-write under one hold
            value = int(cache.token or "0")
            cache.token = str(value + 1)


@needs_procs
def test_read_modify_write_under_the_lock_loses_no_update(tmp_path: Path) -> None:
    with PROCS.Pool(20) as pool:
        pool.map(_increment, [(str(tmp_path), 10)] * 20, chunksize=1)
    assert TokenCache("KEY", path=tmp_path).token == "200"


def test_reading_a_locking_cache_creates_nothing_and_takes_no_lock(tmp_path: Path) -> None:
    cache = LockingTokenCache("KEY", path=tmp_path / "base", timeout=0.1)
    assert cache.token is None
    assert not (tmp_path / "base").exists()  # no folder, no lock file for a read
    cache.token = "tok-1"
    # Another process holding the lock does not stop readers: saves replace the file whole.
    with LockingTokenCache("KEY", path=tmp_path / "base"):
        assert cache.token == "tok-1"
        with pytest.raises(LockingError):
            _in_other_thread(lambda: setattr(cache, "token", "tok-2"))
    assert cache.token == "tok-1"


def _in_other_thread(fn: Any) -> Any:
    out: dict[str, Any] = {}

    def run() -> None:
        try:
            out["value"] = fn()
        except BaseException as e:  # handed back to the caller
            out["error"] = e

    t = threading.Thread(target=run)
    t.start()
    t.join()
    if "error" in out:
        raise out["error"]
    return out.get("value")


def test_locked_is_per_thread(tmp_path: Path) -> None:
    cache = LockingTokenCache("KEY", path=tmp_path)
    with cache:
        assert cache.locked
        assert _in_other_thread(lambda: cache.locked) is False
    assert not cache.locked


def test_a_bad_username_fails_at_construction_and_repr_never_raises(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="user name"):
        TokenCache("KEY", username=5, path=tmp_path)  # type: ignore[arg-type]
    c = TokenCache("KEY", path=tmp_path)
    c.api_key = ""  # broken after construction: repr must still work
    assert "KEY" not in repr(c) and "TokenCache(" in repr(c)
