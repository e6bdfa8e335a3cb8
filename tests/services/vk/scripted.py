"""Scripted VK answers for by-hand drives: a client on a transport that is never used, a
responder that answers each send with the next body of a list, and listings that answer
``execute`` too (``Listing``)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from tests.flowdriver import Driver
from tether.core.messages import Request, Response
from tether.services.vk.sandbox.execute.serve import run as run_script
from tether.vk import API

TOKEN = "W" * 32  # a suite-wide canary: it must never reach a log line


class Unused:
    """A transport for clients whose flows are driven by hand."""

    def send(self, request: Request) -> Response:
        raise AssertionError("driven by hand: nothing is sent")

    def close(self) -> None:
        pass


def client(**options: Any) -> API:
    options.setdefault("rate_limit", 0)
    options.setdefault("environ", {})
    return API(token=options.pop("token", TOKEN), transport=Unused(), **options)


def answers(*bodies: Any) -> Any:
    """A responder answering the sends with ``bodies`` in turn (dicts as JSON, bytes as is)."""
    queue = list(bodies)

    def respond(request: Request) -> Response:
        body = queue.pop(0)
        if isinstance(body, Response):
            return body
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        return Response(200, (("Content-Type", "application/json"),), raw)

    return respond


def error(code: int, msg: str = "x", **extra: Any) -> dict[str, Any]:
    return {"error": {"error_code": code, "error_msg": msg, "request_params": [], **extra}}


def form(request: Request) -> dict[str, str]:
    assert isinstance(request.body, bytes)
    return dict(parse_qsl(request.body.decode(), keep_blank_values=True))


def run(
    api: API,
    responder: Any,
    method: str,
    params: dict[str, Any],
    prompt: Any = None,
    raw: bool | None = None,
) -> tuple[Any, Driver]:
    d = Driver(responder, prompt=prompt)
    return d.run(api._call_flow(method, params, raw)), d


class Scripted:
    """A sync transport answering with ``responder(request)``, recording what it was sent."""

    def __init__(self, responder: Any) -> None:
        self.responder = responder
        self.sent: list[Request] = []

    def send(self, request: Request) -> Response:
        self.sent.append(request)
        return self.responder(request)

    def close(self) -> None:
        pass


class AsyncScripted(Scripted):
    async def send(self, request: Request) -> Response:  # type: ignore[override]
        return Scripted.send(self, request)

    async def aclose(self) -> None:
        pass


def listing(total: int, per_item: Any = None) -> Any:
    """A responder serving a count + items listing of ``total`` ids, by offset and count;
    ``per_item(i)`` builds item ``i`` (default: the id)."""

    def respond(request: Request) -> Response:
        f = form(request)
        offset, count = int(f.get("offset", 0)), int(f.get("count", 100))
        items = [per_item(i) if per_item else i for i in range(offset, min(total, offset + count))]
        body = json.dumps({"response": {"count": total, "items": items}}).encode()
        return Response(200, (("Content-Type", "application/json"),), body)

    return respond


class Listing:
    """A responder serving a count + items listing of ``total`` ids by offset and count, plain
    or inside an ``execute`` (run by the emulator's VKScript interpreter), recording every page
    asked, inside scripts too (``asked``: their parameters; ``pages``: ``(offset, count)``),
    and each request's method (``requests``).

    ``count(offset)``: the count a page announces (default ``total``); ``serve(offset, size)``:
    the whole page instead (a listing that lies, pages with profiles …).
    """

    def __init__(
        self,
        total: int = 0,
        count: Callable[[int], int] | None = None,
        serve: Callable[[int, int], Any] | None = None,
    ) -> None:
        self.total = total
        self.count = count or (lambda offset: total)
        self.serve = serve
        self.asked: list[dict[str, str]] = []
        self.requests: list[str] = []

    @property
    def pages(self) -> list[tuple[int, int]]:
        return [(int(p.get("offset", 0)), int(p.get("count", 100))) for p in self.asked]

    def page(self, params: dict[str, str]) -> Any:
        self.asked.append(dict(params))
        offset, size = int(params.get("offset", 0)), int(params.get("count", 100))
        if self.serve is not None:
            return self.serve(offset, size)
        items = list(range(offset, min(self.total, offset + size)))
        return {"count": self.count(offset), "items": items}

    def __call__(self, request: Request) -> Response:
        method = request.url.rsplit("/", 1)[1]
        self.requests.append(method)
        f = form(request)
        if method == "execute":
            result = run_script(f["code"], lambda m, p: self.page(p))
            body: Any = {"response": result.value}
            if result.errors:
                body["execute_errors"] = result.errors
        else:
            body = {"response": self.page(f)}
        return Response(200, (("Content-Type", "application/json"),), json.dumps(body).encode())
