"""A client nobody closes releases its connections quietly (the seeds' users never close)."""

from __future__ import annotations

import pathlib
import subprocess
import sys

import pytest

SCRIPT = r"""
import asyncio, gc, sys
sys.path[:0] = [{root!r}]
from tests.transport.servers import RawServer, keepalive
from tether.core.messages import Request
from tether.transport import TransportOptions
kind = sys.argv[1]
with RawServer(keepalive(None)) as server:
    if kind in ("aiohttp", "asyncio"):
        from tether.transport.aio import AiohttpTransport
        from tether.transport.aioproto import AsyncioTransport

        cls = AiohttpTransport if kind == "aiohttp" else AsyncioTransport

        async def main() -> None:
            t = cls()
            for _ in range(3):
                await t.send(Request("GET", server.url + "/x"))

        asyncio.run(main())  # the loop closes with the transport still open

        async def dropped_in_loop() -> None:
            t = cls()
            await t.send(Request("GET", server.url + "/y"))
            del t
            gc.collect()

        asyncio.run(dropped_in_loop())
    else:
        from tether.transport.stdlib import HttpClientTransport
        from tether.transport.sync import Urllib3Transport

        cls = HttpClientTransport if kind == "stdlib" else Urllib3Transport
        t = cls(TransportOptions())
        for _ in range(3):
            t.send(Request("GET", server.url + "/x"))
        del t
    gc.collect()
"""


@pytest.mark.parametrize("kind", ["stdlib", "urllib3", "aiohttp", "asyncio"])
def test_an_unclosed_transport_leaves_no_resource_warning(kind: str) -> None:
    root = str(pathlib.Path(__file__).parents[2])
    out = subprocess.run(
        [
            sys.executable,
            "-X",
            "dev",
            "-W",
            "error::ResourceWarning",
            "-c",
            SCRIPT.format(root=root),
            kind,
        ],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=root,
    )
    assert out.returncode == 0, out.stderr[-3000:]
    assert out.stderr == ""
