"""The real ``API`` and ``AsyncAPI`` over loopback HTTP against a crafted VK-like server
(``tests/support/serve.py``): the wire form, errors and recoveries, walks, pacing across
threads and tasks, and ``TETHER_SANDBOX``. The emulator's own tests come with it."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from typing import Any, ClassVar
from urllib.parse import parse_qsl

import pytest

from tests.support.both import client_factory
from tests.support.serve import serving
from tether.sandbox.client import forget
from tether.vk import API, APIError, AsyncAPI, ReqError

TOKEN = "W" * 32  # a canary: never in a log line
GROUP_TOKEN = "G" * 40


class VKLike(BaseHTTPRequestHandler):
    """A few VK methods; every request recorded as (path, form)."""

    seen: ClassVar[list[tuple[str, dict[str, str]]]] = []
    lock = threading.Lock()
    counters: ClassVar[dict[str, int]] = {}

    def log_message(self, *args: Any) -> None:
        pass

    def _answer(self, status: int, body: bytes, ctype: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        if self.path == "/_sandbox/credentials":
            root = f"http://127.0.0.1:{self.server.server_address[1]}"
            creds = {
                "vk": {
                    "api_url": root + "/vk/method/",
                    "oauth_url": root + "/vk/oauth/",
                    "access_token": TOKEN,
                    "group_token": GROUP_TOKEN,
                    "user_id": 1,
                }
            }
            self._answer(200, json.dumps(creds).encode())
        else:
            self._answer(404, b"{}")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length", "0"))
        fields = dict(parse_qsl(self.rfile.read(length).decode(), keep_blank_values=True))
        method = self.path.rsplit("/", 1)[-1]
        with self.lock:
            self.seen.append((self.path, fields))
            n = self.counters[method] = self.counters.get(method, 0) + 1
        if method == "users.get":
            ids = fields.get("user_ids", "1").split(",")
            body: Any = {"response": [{"id": int(i), "first_name": "Ann"} for i in ids]}
        elif method == "docs.get":
            body = {"error": {"error_code": 15, "error_msg": "Access denied", "request_params": []}}
        elif method == "account.getInfo" and n == 1:
            body = {"error": {"error_code": 6, "error_msg": "Too many requests per second"}}
        elif method == "account.getInfo":
            body = {"response": {"country": "RU"}}
        elif method == "messages.send":
            if fields.get("captcha_key") == "KEY" and fields.get("captcha_sid") == "42":
                body = {"response": 7}
            else:
                body = {
                    "error": {
                        "error_code": 14,
                        "error_msg": "Captcha needed",
                        "captcha_sid": "42",
                        "captcha_img": "http://x/captcha.php?sid=42",
                    }
                }
        elif method == "friends.get":
            offset, count = int(fields.get("offset", 0)), int(fields.get("count", 100))
            body = {
                "response": {"count": 12, "items": list(range(offset, min(12, offset + count)))}
            }
        elif method == "broken.get":
            self._answer(200, b"<html>oops</html>", "text/html")
            return
        else:
            body = {"error": {"error_code": 3, "error_msg": "Unknown method passed"}}
        self._answer(200, json.dumps(body).encode())


@pytest.fixture
def root() -> Iterator[str]:
    VKLike.seen, VKLike.counters = [], {}
    with serving(VKLike) as url:
        yield url
    forget(url)


@pytest.fixture(params=["sync", "async"])
def make(request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from client_factory(request.param, API, AsyncAPI, environ={})


class Answers:
    @staticmethod
    def ask(field: str, **kw: Any) -> str:
        assert field == "captcha" and kw["img"].endswith("sid=42")
        return "KEY"


def test_calls_errors_and_recoveries_over_http(root: str, make: Any) -> None:
    api = make(TOKEN, api_url=root + "/vk/method/", rate_limit=0, input=Answers)
    assert api.users.get(user_ids=[1, 2], fields=["bdate"]) == [
        {"id": 1, "first_name": "Ann"},
        {"id": 2, "first_name": "Ann"},
    ]
    path, fields = VKLike.seen[0]
    assert path == "/vk/method/users.get"
    assert fields["access_token"] == TOKEN and fields["user_ids"] == "1,2"
    assert api.call("account.getInfo") == {"country": "RU"}  # after one error 6 and a wait
    assert api.messages.send(peer_id=5, message="x", random_id=0) == 7  # captcha answered
    with pytest.raises(APIError) as e:
        api.docs.get()
    assert e.value.error_code == 15
    with pytest.raises(ReqError, match="not a valid JSON"):
        api.broken.get()
    # One page of a walk is a plain call (more go to execute: test_walk_execute.py).
    assert api.collect(api.walk("friends.get", count=5)[:5]) == list(range(5))
    assert [f["offset"] for p, f in VKLike.seen if p.endswith("friends.get")] == ["0"]


def test_raw_over_http(root: str, make: Any) -> None:
    api = make(TOKEN, api_url=root + "/vk/method/", rate_limit=0, raw=True)
    assert api.docs.get()["error"]["error_code"] == 15


def test_tether_sandbox_fills_in_the_url_and_the_ready_token(root: str, make: Any) -> None:
    api = make(environ={"TETHER_SANDBOX": root}, rate_limit=0)
    assert api.token == TOKEN
    api.users.get(user_ids=[3])
    assert VKLike.seen[-1][0] == "/vk/method/users.get"
    group = make(GROUP_TOKEN, environ={"TETHER_SANDBOX": root})
    assert group.client._bucket.rate == 20.0  # a community token paces at 20/s
    assert make(environ={"TETHER_SANDBOX": root}).client._bucket.rate == 3.0


def test_pacing_holds_across_threads(root: str) -> None:
    api = API(TOKEN, api_url=root + "/vk/method/", rate_limit=10, environ={})
    start = time.monotonic()
    threads = [threading.Thread(target=api.users.get, kwargs={"user_ids": [i]}) for i in range(15)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    api.close()
    assert len(VKLike.seen) == 15
    assert elapsed >= 0.5  # 15 sends at 10/s: a burst of 9 at once, six more 0.1 s apart


def test_pacing_holds_across_tasks(root: str) -> None:
    async def go() -> float:
        async with AsyncAPI(TOKEN, api_url=root + "/vk/method/", rate_limit=10, environ={}) as api:
            start = time.monotonic()
            await asyncio.gather(*(api.users.get(user_ids=[i]) for i in range(15)))
            return time.monotonic() - start

    assert asyncio.run(go()) >= 0.5  # as above: a burst of 9, six more 0.1 s apart
    assert len(VKLike.seen) == 15
