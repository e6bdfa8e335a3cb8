"""The sandbox server itself: lifecycle, lazy imports, the control API, ``serve()``, the pytest
plugin. Everything over real loopback HTTP."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest
import urllib3

from tether.sandbox import Sandbox, SandboxError

HTTP = urllib3.PoolManager(retries=False, timeout=urllib3.Timeout(10))


def get(url: str) -> Any:
    r = HTTP.request("GET", url)
    assert r.status == 200, (r.status, r.data)
    return json.loads(r.data)


def port_is_closed(url: str) -> bool:
    host, port = url.split("://", 1)[1].rsplit(":", 1)
    with socket.socket() as s:
        s.settimeout(1)
        return s.connect_ex((host, int(port))) != 0


def sandbox_threads() -> list[threading.Thread]:
    return [t for t in threading.enumerate() if t.name.startswith("tether-sandbox-")]


# --------------------------------------------------------------------------------------------
# lifecycle


def test_start_is_fast_and_stop_really_stops(tether_sandbox: Sandbox) -> None:
    # Starlette/uvicorn are already imported by the session sandbox: this times the server.
    before = set(sandbox_threads())
    started = time.perf_counter()
    sandbox = Sandbox().start()
    assert time.perf_counter() - started < 1.0
    url = sandbox.url
    assert re.fullmatch(r"http://127\.0\.0\.1:\d+", url)
    assert sandbox.base_url("ovh") == url + "/ovh/1.0"
    assert get(url + "/ovh/1.0/auth/time")
    assert sandbox.running
    mine = set(sandbox_threads()) - before
    assert len(mine) == 1
    sandbox.stop()
    assert not sandbox.running
    assert not any(t.is_alive() for t in mine)
    assert port_is_closed(url)
    with pytest.raises(SandboxError, match="not running"):
        _ = sandbox.url
    sandbox.stop()  # idempotent


def test_context_manager_and_restart() -> None:
    with Sandbox() as sandbox:
        first = sandbox.url
        assert get(first + "/_sandbox/credentials")["ovh"]["base_url"] == first + "/ovh/1.0"
    assert port_is_closed(first)
    with sandbox:  # a stopped sandbox starts again
        assert get(sandbox.url + "/ovh/1.0/auth/time")


def test_two_sandboxes_share_no_state(tether_sandbox: Sandbox) -> None:
    with Sandbox() as other:
        other.set_time_skew(5000)
        other.set_faults(status=503)
        assert HTTP.request("GET", other.url + "/ovh/1.0/auth/time").status == 503
        assert abs(get(tether_sandbox.url + "/ovh/1.0/auth/time") - time.time()) < 5
        assert tether_sandbox.faults() == []


def test_unknown_service_base_url(tether_sandbox: Sandbox) -> None:
    with pytest.raises(SandboxError, match="myspace"):
        tether_sandbox.base_url("myspace")


def test_busy_port_is_an_os_error(tether_sandbox: Sandbox) -> None:
    port = int(tether_sandbox.url.rsplit(":", 1)[1])
    with pytest.raises(OSError):
        Sandbox(port=port).start()


def test_import_is_lazy() -> None:
    code = (
        "import sys, tether.sandbox, tether.testing.pytest_plugin\n"
        "s = tether.sandbox.Sandbox()\n"
        "heavy = [m for m in ('starlette', 'uvicorn') if m in sys.modules]\n"
        "assert not heavy, heavy\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --------------------------------------------------------------------------------------------
# control API


def test_credentials_block(tether_sandbox: Sandbox) -> None:
    creds = tether_sandbox.credentials()
    ovh = creds["ovh"]
    root = tether_sandbox.url
    assert ovh["base_url"] == ovh["endpoint"] == root + "/ovh/1.0"
    assert ovh["token_url"] == root + "/ovh/auth/oauth2/token"
    assert re.fullmatch(r"[A-Za-z0-9]{16}", ovh["application_key"])
    for key in ("application_secret", "consumer_key", "consumer_key_readonly"):
        assert re.fullmatch(r"[A-Za-z0-9]{32}", ovh[key]), key
    assert ovh["client_id"] and ovh["client_secret"]
    assert set(ovh["account"]) == {"login", "password"}
    # fixed values: the same from a new sandbox
    with Sandbox() as other:
        again = other.credentials()["ovh"]
    assert {k: v for k, v in again.items() if "url" not in k and k != "endpoint"} == {
        k: v for k, v in ovh.items() if "url" not in k and k != "endpoint"
    }


def test_credentials_follow_the_host_header(tether_sandbox: Sandbox) -> None:
    port = tether_sandbox.url.rsplit(":", 1)[1]
    r = HTTP.request(
        "GET", tether_sandbox.url + "/_sandbox/credentials", headers={"Host": f"localhost:{port}"}
    )
    assert json.loads(r.data)["ovh"]["base_url"] == f"http://localhost:{port}/ovh/1.0"


def test_index(tether_sandbox: Sandbox) -> None:
    index = get(tether_sandbox.url + "/")
    assert index["services"] == {
        "ovh": tether_sandbox.base_url("ovh"),
        "flickr": tether_sandbox.base_url("flickr"),
        "vk": tether_sandbox.base_url("vk"),
    }
    assert index["credentials"] == tether_sandbox.url + "/_sandbox/credentials"


@pytest.mark.parametrize(
    "spec",
    [
        {"status": 99},
        {"status": "500"},
        {"drop": "after"},
        {"count": 0, "status": 500},
        {"service": "myspace", "status": 500},
        {"path_prefix": "ovh", "status": 500},
        {"rate_limit": {"per_second": 0}},
        {"rate_limit": {"burst": 3}},
        {"latency_ms": -1},
        {"colour": "red", "status": 500},
        {},
    ],
)
def test_invalid_fault_specs_are_rejected(tether_sandbox: Sandbox, spec: dict[str, Any]) -> None:
    with pytest.raises(SandboxError, match="400"):
        tether_sandbox.set_faults(**spec)
    assert tether_sandbox.faults() == []


def test_fault_list_add_delete(tether_sandbox: Sandbox) -> None:
    a = tether_sandbox.set_faults(status=500, path_prefix="/ovh/1.0/me")
    b = tether_sandbox.set_faults(latency_ms=10)
    assert [f["id"] for f in tether_sandbox.faults()] == [a["id"], b["id"]]
    r = HTTP.request("DELETE", f"{tether_sandbox.url}/_sandbox/faults/{a['id']}")
    assert r.status == 200
    assert [f["id"] for f in tether_sandbox.faults()] == [b["id"]]
    r = HTTP.request("DELETE", f"{tether_sandbox.url}/_sandbox/faults/{a['id']}")
    assert r.status == 404 and json.loads(r.data) == {"error": "no such fault"}
    # a list adds all or nothing
    r = HTTP.request(
        "POST",
        tether_sandbox.url + "/_sandbox/faults",
        body=json.dumps([{"status": 500}, {"status": 1}]),
        headers={"Content-Type": "application/json"},
    )
    assert r.status == 400
    assert len(tether_sandbox.faults()) == 1
    tether_sandbox.clear_faults()
    assert tether_sandbox.faults() == []


def test_control_errors_are_json(tether_sandbox: Sandbox) -> None:
    r = HTTP.request("POST", tether_sandbox.url + "/_sandbox/ovh/time", body=b"{nope")
    assert r.status == 400 and "error" in json.loads(r.data)
    r = HTTP.request("GET", tether_sandbox.url + "/_sandbox/nothing")
    assert r.status == 404 and "error" in json.loads(r.data)
    with pytest.raises(SandboxError, match="400"):
        tether_sandbox.control("POST", "/_sandbox/ovh/oauth2", {"expires_in": "soon"})


def test_reset_clears_faults_skew_and_tunables(tether_sandbox: Sandbox) -> None:
    tether_sandbox.set_faults(latency_ms=1)
    tether_sandbox.set_time_skew(-400)
    tether_sandbox.set_oauth2(expires_in=5)
    tether_sandbox.reset()
    assert tether_sandbox.faults() == []
    assert abs(get(tether_sandbox.url + "/ovh/1.0/auth/time") - time.time()) < 5
    assert get(tether_sandbox.url + "/_sandbox/ovh/oauth2") == {"expires_in": 3599}


# --------------------------------------------------------------------------------------------
# serve() and the pytest plugin, in child processes


def test_serve_prints_urls_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    code = textwrap.dedent(
        """
        from tether.sandbox.server import serve
        serve(port=0, out=lambda line: print(line, flush=True))
        """
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        lines = [proc.stdout.readline().strip() for _ in range(4)]
        assert re.fullmatch(r"ovh: http://127\.0\.0\.1:\d+/ovh/1\.0", lines[0]), lines
        assert re.fullmatch(r"flickr: http://127\.0\.0\.1:\d+/flickr/services/rest/", lines[1])
        assert re.fullmatch(r"vk: http://127\.0\.0\.1:\d+/vk/method/", lines[2])
        assert re.fullmatch(r"credentials: http://127\.0\.0\.1:\d+/_sandbox/credentials", lines[3])
        creds_url = lines[3].split(" ", 1)[1]
        assert get(creds_url)["ovh"]["base_url"] == lines[0].split(" ", 1)[1]
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0, proc.stderr.read() if proc.stderr else ""
        assert port_is_closed(creds_url.rsplit("/", 2)[0])
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_pytest_plugin_fixtures(tmp_path: Path) -> None:
    (tmp_path / "conftest.py").write_text(
        textwrap.dedent(
            """
            import threading

            def pytest_sessionfinish(session, exitstatus):
                alive = [t.name for t in threading.enumerate()
                         if t.name.startswith("tether-sandbox-") and t.is_alive()]
                with open("threads.txt", "w") as f:
                    f.write(",".join(alive))
            """
        )
    )
    (tmp_path / "test_inner.py").write_text(
        textwrap.dedent(
            """
            import json, urllib3

            def test_a(tether_sandbox, tether_sandbox_session):
                assert tether_sandbox is tether_sandbox_session
                tether_sandbox.set_faults(latency_ms=1)
                tether_sandbox.set_time_skew(999)

            def test_b(tether_sandbox):
                assert tether_sandbox.faults() == []
                r = urllib3.request("GET", tether_sandbox.url + "/_sandbox/ovh/time")
                assert json.loads(r.data)["skew"] == 0
            """
        )
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "2 passed" in result.stdout
    assert (tmp_path / "threads.txt").read_text() == ""
