"""Per-service control helpers live with their service; ``Sandbox``'s methods call them."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest

from tether.core.errors import UsageError
from tether.services.flickr.sandbox import remote as flickr_remote
from tether.services.ovh.sandbox import remote as ovh_remote


class _Recorder:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, Any]] = []

    def __call__(self, method: str, path: str, body: Any = None) -> Any:
        self.calls.append((method, path, body))
        return {"ok": True}


def test_ovh_validate_sends_what_the_page_would() -> None:
    rec = _Recorder()
    assert ovh_remote.validate_consumer_key(rec, "CK", expires_in=60) == {"ok": True}
    ovh_remote.validate_consumer_key(rec, "CK2", deny=True)
    assert rec.calls == [
        ("POST", "/_sandbox/ovh/credentials/CK/validate", {"deny": False, "expires_in": 60}),
        ("POST", "/_sandbox/ovh/credentials/CK2/validate", {"deny": True}),
    ]


def test_flickr_approve_sends_one_grant() -> None:
    rec = _Recorder()
    flickr_remote.approve(rec, frob="F", perms="write")
    flickr_remote.approve(rec, oauth_token="T", deny=True)
    assert rec.calls == [
        ("POST", "/_sandbox/flickr/approve", {"deny": False, "frob": "F", "perms": "write"}),
        ("POST", "/_sandbox/flickr/approve", {"deny": True, "oauth_token": "T"}),
    ]
    for kwargs in ({}, {"frob": "F", "oauth_token": "T"}):
        with pytest.raises(UsageError, match="exactly one"):
            flickr_remote.approve(rec, **kwargs)
    assert len(rec.calls) == 2  # a refused call sends nothing


def test_importing_the_sandbox_loads_no_emulator() -> None:
    code = (
        "import sys, tether.sandbox; "
        "print(sorted(m for m in sys.modules if m.startswith(('starlette', 'uvicorn')) "
        "or '.sandbox.' in m and m.startswith('tether.services')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
