"""``tether sandbox``: a busy port is one line and a non-zero exit; ``--tls`` serves HTTPS with
a CA that clients sent there by ``TETHER_SANDBOX`` / ``TETHER_SANDBOX_CA`` trust."""

from __future__ import annotations

import os
import re
import signal
import socket
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from tether.cli.main import cli
from tether.sandbox.client import fetch_credentials

_MAIN = "import sys; from tether.cli.main import main; sys.argv[0] = 'tether'; main()"


@pytest.fixture
def held_port() -> Iterator[int]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen(1)
        yield s.getsockname()[1]


def test_busy_port_is_one_line_suggesting_port(held_port: int) -> None:
    result = CliRunner().invoke(cli, ["sandbox", "--port", str(held_port)])
    assert result.exit_code == 1, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, result.output
    assert f"port {held_port}" in lines[0] and "in use" in lines[0] and "--port" in lines[0]
    assert "Traceback" not in result.output


def test_tls_sandbox_prints_how_to_use_it(tmp_path: Path) -> None:
    env = {**os.environ, "XDG_STATE_HOME": str(tmp_path)}
    env.pop("TETHER_SANDBOX", None)
    proc = subprocess.Popen(
        [sys.executable, "-c", _MAIN, "sandbox", "--tls", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stdout is not None
        lines: list[str] = []
        while not any(line.startswith("Press Ctrl-C") for line in lines):
            line = proc.stdout.readline()
            assert line, (lines, proc.stderr.read() if proc.stderr else "")
            lines.append(line.strip())
        text = "\n".join(lines)
        root = re.search(r"TETHER_SANDBOX=(https://127\.0\.0\.1:\d+)$", text, re.M)
        ca = re.search(r"TETHER_SANDBOX_CA=(\S+)$", text, re.M)
        assert root and ca, text
        folder = tmp_path / "tether" / "sandbox-tls"
        assert Path(ca.group(1)) == folder / "ca.pem"
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((folder / "ca-key.pem").stat().st_mode) == 0o600
        # No server key is left lying around once it is loaded.
        assert sorted(p.name for p in folder.iterdir()) == ["ca-key.pem", "ca.pem"]
        creds = fetch_credentials(root.group(1), environ={"TETHER_SANDBOX_CA": ca.group(1)})
        assert creds["ovh"]["base_url"] == root.group(1) + "/ovh/1.0"
        proc.send_signal(signal.SIGINT)
        assert proc.wait(10) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
