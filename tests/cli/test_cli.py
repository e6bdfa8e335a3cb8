"""The real ``tether`` command, run as a subprocess against the sandbox."""

from __future__ import annotations

import json
import os
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
        "Done in",
    ):
        assert expected in out, out


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
