"""`tether login` / `tether upload` and the sandbox, run as subprocesses with ``HOME`` in a
temporary folder: a sandbox's token never lands in the real token store, a login to a
throwaway sandbox does not break later commands, and an upload with a read-only login is
refused before any byte is sent, saying how to log in with write permission."""

from __future__ import annotations

import http.client
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

TIMEOUT = 60  # a safety bound only


def env_for(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OVH_", "TETHER_", "FLICKR_"))}
    env.update({"HOME": str(home), **extra})
    return env


def tether(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "tether", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=TIMEOUT,
    )


def approve(root: str, oauth_token: str, perms: str) -> str:
    """The user approving on the sandbox's page, through its control API."""
    conn = http.client.HTTPConnection(urlsplit(root).netloc, timeout=TIMEOUT)
    try:
        body = json.dumps({"oauth_token": oauth_token, "perms": perms})
        conn.request("POST", "/_sandbox/flickr/approve", body, {"Content-Type": "application/json"})
        answer = conn.getresponse()
        data: dict[str, Any] = json.loads(answer.read())
    finally:
        conn.close()
    assert answer.status == 200, data
    return str(data["oauth_verifier"])


def login(env: dict[str, str], *args: str, perms: str = "write") -> tuple[int, str, str]:
    """`tether login flickr --console …`: read the URL shown, approve it, type the code."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "tether", "login", "flickr", "--console", "--perms", perms, *args],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        seen = ""
        while "code shown:" not in seen:
            ch = proc.stdout.read(1)
            assert ch, proc.stderr.read() if proc.stderr else "no prompt"
            seen += ch
        match = re.search(r"Open (\S+) in a browser", seen)
        assert match, seen
        url = match.group(1)
        parts = urlsplit(url)
        token = parse_qs(parts.query)["oauth_token"][0]
        verifier = approve(f"{parts.scheme}://{parts.netloc}", token, perms)
        out, err = proc.communicate(verifier + "\n", timeout=TIMEOUT)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    return proc.returncode, seen + out, err


def token_files(home: Path) -> list[Path]:
    return sorted(p for p in home.rglob("*.token") if p.is_file())


def test_login_to_a_throwaway_sandbox_does_not_poison_later_commands(tmp_path: Path) -> None:
    env = env_for(tmp_path)
    code, out, err = login(env, "--sandbox")
    assert code == 0, err
    assert "Logged in as tether-tester with write permission" in out
    # That sandbox stopped with the command: nothing of it is kept, above all not in
    # ~/.flickr/<api_key>/, where real Flickr's tokens live.
    assert token_files(tmp_path) == [], token_files(tmp_path)
    assert "not stored" in out
    # The next --sandbox command (another throwaway sandbox) works, with its ready token.
    r = tether("call", "flickr", "test.login", "--sandbox", env=env)
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["user"]["username"]["_content"] == "tether-tester"


def test_login_to_a_running_sandbox_is_stored_apart_and_a_read_only_upload_sends_nothing(
    tether_sandbox: Any, tmp_path: Path
) -> None:
    env = env_for(tmp_path, TETHER_SANDBOX=tether_sandbox.url)
    code, out, err = login(env, perms="read")
    assert code == 0, err
    assert "with read permission" in out and "not stored" not in out
    creds = tether_sandbox.credentials()["flickr"]
    hostport = urlsplit(tether_sandbox.url).netloc.replace(":", "%3A")
    folder = tmp_path / ".flickr" / f"{creds['api_key']}@{hostport}"
    assert token_files(tmp_path) == [folder / "oauth.token"], token_files(tmp_path)

    photo = tmp_path / "big.jpg"
    with open(photo, "wb") as f:
        f.write(b"\xff\xd8")
        f.truncate(3_000_000)
    before = tether_sandbox.control("GET", "/_sandbox/flickr/stats")["bytes_received"]
    r = tether("upload", "flickr", str(photo), env=env)
    after = tether_sandbox.control("GET", "/_sandbox/flickr/stats")["bytes_received"]
    assert r.returncode == 1, r.stdout + r.stderr
    assert "tether login flickr --perms write" in r.stderr, r.stderr
    assert "Traceback" not in r.stderr
    assert after == before, "the photo was sent before being refused"

    # Logging in again with write permission replaces the stored token; the upload works.
    code, _out, err = login(env, perms="write")
    assert code == 0, err
    r = tether("upload", "flickr", str(photo), env=env)
    assert r.returncode == 0, r.stderr
    assert "photo id" in r.stdout


def test_a_revoked_stored_token_is_forgotten_by_the_next_login(
    tether_sandbox: Any, tmp_path: Path
) -> None:
    env = env_for(tmp_path, TETHER_SANDBOX=tether_sandbox.url)
    assert login(env, perms="write")[0] == 0
    (stored,) = token_files(tmp_path)
    old = parse_qs(stored.read_text().strip())["oauth_token"][0]
    tether_sandbox.control("POST", "/_sandbox/flickr/revoke", {"token": old})
    r = tether("call", "flickr", "test.login", env=env)
    assert r.returncode != 0, r.stdout + r.stderr  # refused: the stored token is dead
    # The user starts `tether login` and gives up at the prompt: the dead token is gone
    # already, so the next command does not trip over it again.
    proc = subprocess.Popen(
        [sys.executable, "-m", "tether", "login", "flickr", "--console"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        seen = ""
        while "code shown:" not in seen:
            ch = proc.stdout.read(1)
            assert ch, proc.stderr.read() if proc.stderr else "no prompt"
            seen += ch
    finally:
        proc.kill()
        proc.communicate()
    assert not stored.exists(), "the token the sandbox rejected is still stored"
    r = tether("call", "flickr", "test.login", env=env)  # the ready token again
    assert r.returncode == 0, r.stderr
    code, _out, err = login(env, perms="write")  # and a new login goes through, once
    assert code == 0, err
    assert parse_qs(stored.read_text().strip())["oauth_token"][0] != old
