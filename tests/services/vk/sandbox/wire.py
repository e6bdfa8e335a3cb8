"""Driving the VK emulator by hand over loopback HTTP with ``http.client``: no tether client,
nothing from ``tether.services.vk`` but the emulator itself (and its fixed test tokens).

The emulator is served as the combined sandbox will serve it: its app under ``/vk`` and its
control app under ``/_sandbox/vk``. ``http.client`` logs nothing, so tokens in query strings
never reach a log record (the suite's canary).
"""

from __future__ import annotations

import http.client
import json
import uuid
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from starlette.applications import Starlette
from starlette.routing import Mount

from tests.sandbox.loopback import serving_app
from tether.services.vk.sandbox.app import VkEmulator, credentials
from tether.services.vk.sandbox.model.auth import USER_TOKEN

V = "5.131"


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Wire:
    """Requests to one running emulator."""

    def __init__(self, root: str, emulator: VkEmulator) -> None:
        self.root = root
        self.emulator = emulator
        parts = urlsplit(root)
        self._host, self._port = parts.hostname or "127.0.0.1", parts.port or 80

    def raw(
        self, verb: str, path: str, body: bytes | None = None, headers: Mapping[str, str] = {}
    ) -> Answer:
        conn = http.client.HTTPConnection(self._host, self._port, timeout=30)
        try:
            conn.request(verb, path, body=body, headers=dict(headers))
            r = conn.getresponse()
            return Answer(r.status, {k.lower(): v for k, v in r.getheaders()}, r.read())
        finally:
            conn.close()

    def call(
        self,
        method: str,
        params: Mapping[str, Any] | None = None,
        *,
        token: str | None = USER_TOKEN,
        v: str | None = V,
        verb: str = "POST",
        bearer: bool = False,
        multipart: bool = False,
    ) -> Any:
        """The decoded JSON answer of one API call (HTTP 200 is asserted: VK's rule)."""
        fields = {k: str(val) for k, val in (params or {}).items()}
        if v is not None:
            fields["v"] = v
        headers: dict[str, str] = {}
        if token is not None:
            if bearer:
                headers["Authorization"] = f"Bearer {token}"
            else:
                fields["access_token"] = token
        path = f"/vk/method/{method}"
        body: bytes | None = None
        if verb == "GET":
            path += "?" + urlencode(fields)
        elif multipart:
            boundary = uuid.uuid4().hex
            body = _multipart(fields, boundary)
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = urlencode(fields).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        answer = self.raw(verb, path, body, headers)
        assert answer.status == 200, (answer.status, answer.body[:300])
        assert answer.headers["content-type"].startswith("application/json")
        return answer.json()

    def ok(self, method: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        answer = self.call(method, params, **kw)
        assert "response" in answer, answer
        return answer["response"]

    def error(self, method: str, params: Mapping[str, Any] | None = None, **kw: Any) -> Any:
        answer = self.call(method, params, **kw)
        assert set(answer) == {"error"}, answer
        return answer["error"]

    def control(self, path: str, body: Any = None, verb: str = "POST") -> Answer:
        data = None if body is None else json.dumps(body).encode()
        headers = {"Content-Type": "application/json"} if data is not None else {}
        return self.raw(verb, f"/_sandbox/vk{path}", data, headers)

    def set(self, path: str, body: Any) -> Any:
        answer = self.control(path, body)
        assert answer.status == 200, (answer.status, answer.body)
        return answer.json()

    def client_options(self, **more: Any) -> dict[str, Any]:
        """``API`` / ``AsyncAPI`` arguments for this emulator: the ready user token, its
        method URL, no pacing of the client's own, no environment; then ``more``."""
        from tether.services.vk.sandbox.model.auth import USER_TOKEN

        url = f"{self.root}/vk/method/"
        return {"token": USER_TOKEN, "api_url": url, "rate_limit": 0, "environ": {}, **more}

    def calls(self) -> dict[str, int]:
        """Requests the emulator served, by method (``GET /_sandbox/vk/stats``)."""
        return dict(json.loads(self.control("/stats", verb="GET").body)["calls"])


def _multipart(fields: Mapping[str, str], boundary: str) -> bytes:
    out = bytearray()
    for name, value in fields.items():
        out += f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        out += value.encode() + b"\r\n"
    # A file part, which is not a parameter and must be ignored.
    out += (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.bin"\r\n'
        "Content-Type: application/octet-stream\r\n\r\n"
    ).encode()
    out += b"\x00\x01binary\r\n"
    out += f"--{boundary}--\r\n".encode()
    return bytes(out)


@contextmanager
def serving() -> Iterator[Wire]:
    emulator = VkEmulator()
    app = Starlette(
        routes=[Mount("/vk", app=emulator.app), Mount("/_sandbox/vk", app=emulator.control)]
    )
    with serving_app(app) as root:
        yield Wire(root, emulator)


def creds(wire: Wire) -> dict[str, Any]:
    return credentials(wire.root)
