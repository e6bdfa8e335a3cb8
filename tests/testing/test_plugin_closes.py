"""The client fixtures close their clients after each test: checked in a separate pytest run
(the plugin as a user's project loads it, from its entry point, in asyncio strict mode), whose
later tests look at what the fixtures did to the clients of the earlier ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

INNER = """
import pytest

closed = {}


def spy(name, client, asynchronous):
    closed[name] = 0
    close = client.close
    if asynchronous:
        async def counted():
            closed[name] += 1
            await close()
    else:
        def counted():
            closed[name] += 1
            close()
    client.close = counted


def test_sync_clients(tether_ovh, tether_flickr):
    spy("ovh", tether_ovh, False)
    spy("flickr", tether_flickr, False)
    assert tether_ovh.get("/me")["firstname"]
    assert tether_flickr.test.login().find("user") is not None
    assert closed == {"ovh": 0, "flickr": 0}  # not before the test ends


def test_sync_clients_were_closed_once():
    assert closed == {"ovh": 1, "flickr": 1}


@pytest.mark.asyncio
async def test_async_clients(tether_ovh_async, tether_flickr_async):
    spy("ovh_async", tether_ovh_async, True)
    spy("flickr_async", tether_flickr_async, True)
    assert (await tether_ovh_async.get("/me"))["firstname"]
    assert (await tether_flickr_async.test.login()).find("user") is not None


def test_async_clients_were_closed_once():
    assert closed["ovh_async"] == 1 and closed["flickr_async"] == 1
"""


def test_every_client_fixture_is_closed_after_its_test(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(INNER)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TETHER_", "OVH_", "FLICKR_"))}
    r = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-q",
            "-p",
            "no:cacheprovider",
            "-o",
            "asyncio_mode=strict",
            "-o",
            "asyncio_default_fixture_loop_scope=function",
            "-W",
            "error::ResourceWarning",
            str(tmp_path / "test_inner.py"),
        ],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    out = r.stdout + r.stderr
    assert r.returncode == 0, out
    assert "4 passed" in out, out
    assert "Unclosed" not in out, out  # no aiohttp session left open
