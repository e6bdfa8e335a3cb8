"""The real ``tether`` command, run as a subprocess against the sandbox."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import tether


def tether_cmd(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("OVH_", "TETHER_"))}
    full_env.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "tether", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=60,
        cwd=cwd,
    )


def test_version() -> None:
    r = tether_cmd("--version")
    assert r.returncode == 0
    assert tether.__version__ in r.stdout


def test_call_against_running_sandbox(tether_sandbox: Any) -> None:
    r = tether_cmd("call", "ovh", "GET", "/me", env={"TETHER_SANDBOX": tether_sandbox.url})
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["firstname"]


def test_call_with_params_and_json_values(tether_sandbox: Any) -> None:
    env = {"TETHER_SANDBOX": tether_sandbox.url}
    r = tether_cmd(
        "call",
        "ovh",
        "POST",
        "/email/domain/example.com/redirection",
        "from=cli@example.com",
        "to=dest@example.com",
        "localCopy:=false",
        env=env,
    )
    assert r.returncode == 0, r.stderr
    r = tether_cmd(
        "call",
        "ovh",
        "GET",
        "/email/domain/example.com/redirection",
        "from=cli@example.com",
        env=env,
    )
    assert r.returncode == 0, r.stderr
    assert len(json.loads(r.stdout)) == 1


def test_call_with_its_own_sandbox() -> None:
    r = tether_cmd("call", "ovh", "GET", "/me/bill", "--sandbox")
    assert r.returncode == 0, r.stderr
    assert isinstance(json.loads(r.stdout), list)


def test_api_error_is_one_line_and_nonzero(tether_sandbox: Any) -> None:
    r = tether_cmd(
        "call", "ovh", "GET", "/no/such/thing", env={"TETHER_SANDBOX": tether_sandbox.url}
    )
    assert r.returncode == 1
    assert r.stderr.startswith("error: ")
    assert "Traceback" not in r.stderr


def test_unknown_endpoint_is_clear(tmp_path: Path) -> None:
    r = tether_cmd(
        "call",
        "ovh",
        "GET",
        "/me",
        env={"OVH_ENDPOINT": "ovh-mars", "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert r.returncode == 1
    assert "ovh-mars" in r.stderr and "Traceback" not in r.stderr


def test_bad_param_syntax_is_usage_error(tether_sandbox: Any) -> None:
    r = tether_cmd(
        "call", "ovh", "GET", "/me", "novalue", env={"TETHER_SANDBOX": tether_sandbox.url}
    )
    assert r.returncode == 2
    assert "key=value" in r.stderr


def test_config_explain_shows_provenance_not_secrets(tmp_path: Path) -> None:
    (tmp_path / "ovh.conf").write_text(
        "[default]\nendpoint=ovh-ca\n[ovh-ca]\napplication_key=AKfromfile\napplication_secret=TOPSECRETVALUE\n"
    )
    r = tether_cmd(
        "config",
        "explain",
        "ovh",
        env={"OVH_CONSUMER_KEY": "CKSECRETVALUE", "HOME": str(tmp_path)},
        cwd=tmp_path,
    )
    assert r.returncode == 0, r.stderr
    lines = {line.split()[0]: line for line in r.stdout.splitlines() if line.strip()}
    assert "ovh.conf [default]" in lines["endpoint"]
    assert "AKfromfile" in lines["application_key"]
    assert "environment variable OVH_CONSUMER_KEY" in lines["consumer_key"]
    assert "TOPSECRETVALUE" not in r.stdout and "CKSECRETVALUE" not in r.stdout
    assert "https://ca.api.ovh.com/1.0" in r.stdout


def test_demo_runs_the_walkthrough() -> None:
    r = tether_cmd("demo")
    assert r.returncode == 0, r.stderr
    out = r.stdout
    for expected in (
        "Welcome",
        "Installed new mail redirection",
        "Enabled burst for",
        "App Name",
        "== VK ==",
        "asked password, secret_code, grant_access",
        "Walked 12,000 friends of user 100: 12 pages of 1,000 read in 1 request(s)",
        "600 users.get of one id each, in api.batch(): 1 request(s)",
        "and posted it: wall post",
        "Done in",
    ):
        assert expected in out, out
    assert "with attachment photo101_" in out


def test_call_flickr_with_its_own_sandbox() -> None:
    r = tether_cmd("call", "flickr", "photos.search", "tags=cat", "per_page=3", "--sandbox")
    assert r.returncode == 0, r.stderr
    data = json.loads(r.stdout)
    assert data["stat"] == "ok" and len(data["photos"]["photo"]) == 3


def test_call_flickr_xml_and_errors(tether_sandbox: Any) -> None:
    env = {"TETHER_SANDBOX": tether_sandbox.url}
    r = tether_cmd("call", "flickr", "test.login", "--format", "etree", env=env)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("<rsp") and "<username>" in r.stdout
    r = tether_cmd("call", "flickr", "photos.noSuchThing", env=env)
    assert r.returncode == 1 and "112" in r.stderr and "Traceback" not in r.stderr


def test_upload_flickr_with_progress(tether_sandbox: Any, tmp_path: Path) -> None:
    photo = tmp_path / "p.jpg"
    photo.write_bytes(os.urandom(500_000))
    r = tether_cmd(
        "upload", "flickr", str(photo), "--title", "CLI", env={"TETHER_SANDBOX": tether_sandbox.url}
    )
    assert r.returncode == 0, r.stderr
    assert "photo id" in r.stdout and "http://flic.kr/p/" in r.stdout
    assert "100%" in r.stdout + r.stderr
    r = tether_cmd(
        "upload",
        "flickr",
        str(tmp_path / "missing.jpg"),
        env={"TETHER_SANDBOX": tether_sandbox.url},
    )
    assert r.returncode == 1 and "no such file" in r.stderr


def test_login_flickr_console_then_call_with_the_stored_token(
    tether_sandbox: Any, tmp_path: Path
) -> None:
    """`tether login flickr --console`: the user opens the URL, approves, types the code."""
    import re
    from urllib.parse import parse_qs, urlsplit

    env = {k: v for k, v in os.environ.items() if not k.startswith(("OVH_", "TETHER_"))}
    env.update({"TETHER_SANDBOX": tether_sandbox.url, "HOME": str(tmp_path)})
    proc = subprocess.Popen(
        [sys.executable, "-m", "tether", "login", "flickr", "--console", "--perms", "write"],
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
        url = re.search(r"Open (\S+) in a browser", seen).group(1)  # type: ignore[union-attr]
        token = parse_qs(urlsplit(url).query)["oauth_token"][0]
        verifier = tether_sandbox.control(
            "POST", "/_sandbox/flickr/approve", {"oauth_token": token, "perms": "write"}
        )["oauth_verifier"]
        out, err = proc.communicate(verifier + "\n", timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    assert "Logged in as tether-tester with write permission" in out
    stored = list(tmp_path.glob(".flickr/*/oauth.token"))
    assert len(stored) == 1 and stat.S_IMODE(stored[0].stat().st_mode) == 0o600
    assert verifier not in stored[0].read_text()
    # Revoke the sandbox's ready token: a call can now only work with the stored one.
    creds = tether_sandbox.credentials()["flickr"]
    tether_sandbox.control("POST", "/_sandbox/flickr/revoke", {"token": creds["oauth_token"]})
    r = tether_cmd(
        "call",
        "flickr",
        "test.login",
        env={"TETHER_SANDBOX": tether_sandbox.url, "HOME": str(tmp_path)},
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["user"]["username"]["_content"] == "tether-tester"
