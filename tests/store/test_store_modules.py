"""The token store split by concern (issue 8): each module's own rules, driven directly, and
every name still where callers import it from (``tether.store``, ``tether.store.tokens``)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

import pytest

import tether.store as store
import tether.store.tokens as tokens
from tether.core.errors import ConfigError, UsageError
from tether.store import errors, flickr_layout, locking, paths, stores, tokenfile


def test_every_name_is_where_it_always_was_and_is_one_object() -> None:
    homes = {
        "StoreError": errors,
        "LockingError": errors,
        "TokenStore": stores,
        "MemoryTokenStore": stores,
        "FileTokenStore": stores,
        "TokenFile": tokenfile,
        "TokenCache": flickr_layout,
        "LockingTokenCache": flickr_layout,
    }
    assert sorted(homes) == sorted(tokens.__all__) == sorted(store.__all__)
    for name, home in homes.items():
        assert getattr(tokens, name) is getattr(home, name) is getattr(store, name), name
    assert tokens.DEFAULT_FLICKR_PATH == "~/.flickr"
    assert tokens.DEFAULT_LOCK_TIMEOUT == 60.0
    assert tokens.MAX_TOKEN_BYTES == 64 * 1024
    assert tokens._escape_name is paths.escape_name


def test_clean_token_is_the_one_rule_of_what_a_token_is() -> None:
    assert errors.clean_token("  abc\n") == "abc"
    with pytest.raises(UsageError, match="not bytes"):
        errors.clean_token(b"abc")
    with pytest.raises(UsageError, match="cannot be empty") as e:
        errors.clean_token(" \n\t")
    assert "\t" not in str(e.value)
    assert issubclass(errors.LockingError, errors.StoreError)
    assert issubclass(errors.StoreError, ConfigError)


@pytest.mark.parametrize(
    ("text", "escaped"),
    [
        ("7f3c2a9e", "7f3c2a9e"),
        ("Tess Tester é", "Tess Tester é"),
        ("a/b", "a%2Fb"),
        ("..", "%2E."),
        ("host:8765", "host%3A8765"),
        ("50%", "50%25"),
        ("a\nb", "a%0Ab"),
    ],
)
def test_escape_name_keeps_common_names_and_escapes_the_rest(text: str, escaped: str) -> None:
    assert paths.escape_name(text, "a name") == escaped
    assert os.sep not in escaped and not escaped.startswith(".")


def test_escape_name_is_injective_where_naive_escaping_is_not() -> None:
    # "%2F" typed by hand and "/" must not name one file.
    assert paths.escape_name("%2F", "k") != paths.escape_name("/", "k")
    with pytest.raises(UsageError, match="a key must be a non-empty string"):
        paths.escape_name("", "a key")


def test_make_private_dir_makes_every_missing_level_0700_and_keeps_existing_ones(
    tmp_path: Path,
) -> None:
    tmp_path.chmod(0o755)
    old = os.umask(0)
    try:
        paths.make_private_dir(str(tmp_path / "a" / "b" / "c"))
    finally:
        os.umask(old)
    for level in (tmp_path / "a", tmp_path / "a" / "b", tmp_path / "a" / "b" / "c"):
        assert stat.S_IMODE(level.stat().st_mode) == 0o700, level
    assert stat.S_IMODE(tmp_path.stat().st_mode) == 0o755  # not ours to change
    paths.make_private_dir(str(tmp_path / "a"))  # existing: no error


def test_one_lock_object_per_path_and_another_thread_waits_then_gives_up(
    tmp_path: Path,
) -> None:
    lock_path = str(tmp_path / "new" / ".k.lock")
    lock = locking.file_lock(lock_path)
    assert locking.file_lock(lock_path) is lock  # nests in one thread instead of deadlocking
    assert stat.S_IMODE((tmp_path / "new").stat().st_mode) == 0o700
    locking.acquire(lock, 1)
    try:
        seen: list[BaseException] = []

        def other() -> None:
            try:
                locking.acquire(locking.file_lock(lock_path), 0.05)
            except BaseException as e:
                seen.append(e)

        t = threading.Thread(target=other)
        t.start()
        t.join(10)
        assert len(seen) == 1 and isinstance(seen[0], errors.LockingError)
        assert lock_path in str(seen[0]) and "0.05 s" in str(seen[0])
    finally:
        lock.release()
    assert not lock.is_locked


def test_token_file_lock_uses_the_lock_module(tmp_path: Path) -> None:
    f = tokenfile.TokenFile(tmp_path / "t")
    with f.lock(timeout=1):
        assert locking.file_lock(f.lock_path).is_locked
    assert not locking.file_lock(f.lock_path).is_locked
    f.set("secret-token")
    assert f.get() == "secret-token" and "secret-token" not in repr(f)
