"""The emulator kit's REST router and check pipeline: driven by hand with a toy table, then a
toy service built on them answering over loopback HTTP."""

from __future__ import annotations

import asyncio
import http.client
import json
from collections.abc import MutableMapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.support.serve import serving
from tether.sandbox.kit.rest import (
    MethodNotAllowed,
    NoRoute,
    Pipeline,
    Route,
    Router,
    Step,
    compile_template,
    read_body,
    send_answer,
    server_host,
)


def _h(name: str) -> Any:
    return lambda *_: name


TABLE = (
    Route("GET", "/pets", _h("list")),
    Route("POST", "/pets", _h("create"), auth="token"),
    Route("GET", "/pets/mine", _h("mine"), auth="token"),
    Route("GET", "/pets/{petId}", _h("get")),
    Route("DELETE", "/pets/{petId}", _h("delete"), auth="admin"),
    Route("GET", "/pets/{petId}/toys/{toyId}", _h("toy")),
    Route("GET", "/{locale}/about", _h("about")),
    Route("PUT", "/v1.0/a+b", _h("literal")),
)


# -- templates ---------------------------------------------------------------------------------


def test_a_template_compiles_to_an_anchored_pattern_of_one_segment_per_param() -> None:
    regex = compile_template("/a/{x}/b/{y}")
    m = regex.match("/a/1/b/two")
    assert m is not None and m.groupdict() == {"x": "1", "y": "two"}
    assert regex.match("/a/1/b/two/extra") is None  # anchored
    assert regex.match("/a/1/2/b/3") is None  # a param is one segment
    assert regex.match("/a//b/3") is None  # and not empty


def test_template_literals_are_literal() -> None:
    assert compile_template("/v1.0/a+b").match("/v1.0/a+b") is not None
    assert compile_template("/v1.0/a+b").match("/v1x0/aab") is None


@pytest.mark.parametrize(
    "template", ["no/slash", "/a/{x}/{x}", "/a/{x", "/a/{}/b", "/a/x}"], ids=str
)
def test_a_malformed_template_fails_when_the_table_is_built(template: str) -> None:
    with pytest.raises(ValueError):
        Router([Route("GET", template, _h("x"))])


def test_a_route_listed_twice_fails_when_the_table_is_built() -> None:
    with pytest.raises(ValueError, match="twice"):
        Router([Route("GET", "/a", _h("1")), Route("GET", "/a", _h("2"))])


# -- matching ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "handler", "params"),
    [
        ("GET", "/pets", "list", {}),
        ("POST", "/pets", "create", {}),
        ("GET", "/pets/mine", "mine", {}),  # static beats a template that also matches
        ("GET", "/pets/42", "get", {"petId": "42"}),
        ("DELETE", "/pets/42", "delete", {"petId": "42"}),
        ("GET", "/pets/42/toys/ball", "toy", {"petId": "42", "toyId": "ball"}),
        ("GET", "/fr/about", "about", {"locale": "fr"}),  # leading parameter
        ("GET", "/pets/%20x", "get", {"petId": "%20x"}),  # raw segment, never decoded
        ("HEAD", "/pets/7", "get", {"petId": "7"}),  # HEAD served by GET
        ("GET", "/pets/", "list", {}),  # trailing slash
        ("GET", "/pets/7/", "get", {"petId": "7"}),
        ("PUT", "/v1.0/a+b", "literal", {}),
    ],
)
def test_match(method: str, path: str, handler: str, params: dict[str, str]) -> None:
    route, got = Router(TABLE).match(method, path)
    assert route.handler() == handler
    assert got == params


@pytest.mark.parametrize("path", ["/", "/cats", "/pets/1/toys", "/pets/1/toys/2/3", "/about"])
def test_no_template_matches_the_path_is_no_route(path: str) -> None:
    with pytest.raises(NoRoute) as caught:
        Router(TABLE).match("GET", path)
    assert caught.value.path == path


def test_a_known_path_with_another_verb_is_method_not_allowed_with_allow() -> None:
    router = Router(TABLE)
    with pytest.raises(MethodNotAllowed) as caught:
        router.match("PATCH", "/pets/9")
    assert caught.value.allow == ("DELETE", "GET", "HEAD")
    assert caught.value.allow_header == b"DELETE, GET, HEAD"
    with pytest.raises(MethodNotAllowed) as caught:
        router.match("DELETE", "/pets")
    assert caught.value.allow == ("GET", "HEAD", "POST")


def test_head_and_trailing_slash_rules_can_be_turned_off() -> None:
    router = Router(TABLE, head_as_get=False, strip_trailing_slash=False)
    with pytest.raises(MethodNotAllowed) as caught:
        router.match("HEAD", "/pets")
    assert caught.value.allow == ("GET", "POST")  # no HEAD listed either
    with pytest.raises(NoRoute):
        router.match("GET", "/pets/")
    # "/pets/" without stripping is not "/pets"; "/" itself is never stripped.
    assert Router([Route("GET", "/", _h("root"))]).match("GET", "/")[0].handler() == "root"


def test_first_matching_template_in_table_order_decides() -> None:
    router = Router(
        [
            Route("GET", "/x/{a}", _h("first")),
            Route("POST", "/x/{b}", _h("second")),
        ]
    )
    # Same pattern, different names: the first line's template takes the path, so its verbs
    # decide and POST is refused, not routed to the second line.
    assert router.match("GET", "/x/1") == (router.routes[0], {"a": "1"})
    with pytest.raises(MethodNotAllowed):
        router.match("POST", "/x/1")


# -- the pipeline ------------------------------------------------------------------------------


class Refused(Exception):
    def __init__(self, status: int, why: str) -> None:
        super().__init__(why)
        self.status = status
        self.why = why


@dataclass
class Exchange:
    route: Route
    headers: dict[str, str]
    seen: list[str] = field(default_factory=list)
    user: str | None = None


def _token(x: Exchange) -> None:
    x.seen.append("token")
    token = x.headers.get("authorization")
    if token is None:
        raise Refused(401, "login first")
    x.user = token


def _admin(x: Exchange) -> None:
    x.seen.append("admin")
    if x.user != "root":
        raise Refused(403, "admins only")


def _audit(x: Exchange) -> None:
    x.seen.append("audit")


STEPS: tuple[Step[Route, Exchange], ...] = (
    Step("token", _token, lambda r: r.auth != "none"),
    Step("admin", _admin, lambda r: r.auth == "admin"),
    Step("audit", _audit),
)


def test_steps_apply_per_route_in_the_stated_order() -> None:
    pipeline: Pipeline[Route, Exchange] = Pipeline(STEPS)
    by = {r.handler(): r for r in TABLE}
    assert pipeline.names(by["list"]) == ("audit",)
    assert pipeline.names(by["create"]) == ("token", "audit")
    assert pipeline.names(by["delete"]) == ("token", "admin", "audit")


def test_run_stops_at_the_first_refusal_and_records_what_steps_learnt() -> None:
    pipeline: Pipeline[Route, Exchange] = Pipeline(STEPS)
    delete = next(r for r in TABLE if r.method == "DELETE")
    anonymous = Exchange(delete, {})
    with pytest.raises(Refused) as caught:
        pipeline.run(delete, anonymous)
    assert (caught.value.status, anonymous.seen) == (401, ["token"])
    user = Exchange(delete, {"authorization": "alice"})
    with pytest.raises(Refused) as caught:
        pipeline.run(delete, user)
    assert (caught.value.status, user.seen, user.user) == (403, ["token", "admin"], "alice")
    root = Exchange(delete, {"authorization": "root"})
    pipeline.run(delete, root)
    assert root.seen == ["token", "admin", "audit"]


def test_which_steps_apply_is_decided_once_per_route() -> None:
    asked: list[str] = []

    def applies(route: Route) -> bool:
        asked.append(route.template)
        return True

    pipeline: Pipeline[Route, Exchange] = Pipeline([Step("audit", _audit, applies)])
    route = TABLE[0]
    pipeline.prepare([route])
    for _ in range(3):
        pipeline.run(route, Exchange(route, {}))
    assert asked == ["/pets"]


def test_a_step_named_twice_fails_when_the_pipeline_is_built() -> None:
    with pytest.raises(ValueError, match="twice"):
        Pipeline([Step("a", _audit), Step("a", _audit)])


# -- ASGI plumbing -----------------------------------------------------------------------------


def test_read_body_joins_chunks_and_sees_a_disconnect() -> None:
    async def run(messages: list[dict[str, Any]]) -> bytes | None:
        queue = iter(messages)

        async def receive() -> dict[str, Any]:
            return next(queue)

        return await read_body(receive)

    chunks: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"ab", "more_body": True},
        {"type": "http.request", "body": b"cd"},
    ]
    assert asyncio.run(run(chunks)) == b"abcd"
    assert asyncio.run(run([{"type": "http.request"}])) == b""
    gone: list[dict[str, Any]] = [
        {"type": "http.request", "body": b"a", "more_body": True},
        {"type": "http.disconnect"},
    ]
    assert asyncio.run(run(gone)) is None


def test_send_answer_sends_start_then_body() -> None:
    sent: list[MutableMapping[str, Any]] = []

    async def send(message: MutableMapping[str, Any]) -> None:
        sent.append(message)

    asyncio.run(send_answer(send, 201, b"{}", [(b"x", b"1")]))
    assert sent == [
        {"type": "http.response.start", "status": 201, "headers": [(b"x", b"1")]},
        {"type": "http.response.body", "body": b"{}"},
    ]


def test_server_host() -> None:
    assert server_host({"server": ("127.0.0.1", 8080)}) == "127.0.0.1:8080"
    assert server_host({"server": ("/tmp/sock", None)}) == "/tmp/sock"
    assert server_host({}) == "localhost"


# -- a toy service over loopback -----------------------------------------------------------------


class Pets:
    """A toy REST emulator on the kit: the table above, the steps above, JSON answers."""

    def __init__(self) -> None:
        self.router = Router(TABLE)
        self.pipeline: Pipeline[Route, Exchange] = Pipeline(STEPS)
        self.pipeline.prepare(self.router.routes)

    def answer(
        self, method: str, path: str, headers: dict[str, str]
    ) -> tuple[int, Any, dict[str, str]]:
        try:
            route, params = self.router.match(method, path)
        except NoRoute:
            return 404, {"error": "no such path"}, {}
        except MethodNotAllowed as err:
            return 405, {"error": "wrong verb"}, {"Allow": err.allow_header.decode()}
        exchange = Exchange(route, headers)
        try:
            self.pipeline.run(route, exchange)
        except Refused as refusal:
            return refusal.status, {"error": refusal.why}, {}
        return 200, {"handler": route.handler(), "params": params, "user": exchange.user}, {}


def _handler(service: Pets) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def _serve(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            status, body, extra = service.answer(self.command, self.path, headers)
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            for name, value in extra.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(payload)

        do_GET = do_POST = do_DELETE = do_PATCH = _serve

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def test_toy_service_end_to_end_over_loopback() -> None:
    with serving(_handler(Pets())) as root:
        port = int(root.rsplit(":", 1)[1])

        def call(method: str, path: str, **headers: str) -> tuple[int, Any, str | None]:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            try:
                conn.request(method, path, headers=headers)
                answer = conn.getresponse()
                return answer.status, json.loads(answer.read()), answer.getheader("Allow")
            finally:
                conn.close()

        assert call("GET", "/pets/5/toys/rope") == (
            200,
            {"handler": "toy", "params": {"petId": "5", "toyId": "rope"}, "user": None},
            None,
        )
        assert call("GET", "/nowhere") == (404, {"error": "no such path"}, None)
        assert call("PATCH", "/pets/5") == (405, {"error": "wrong verb"}, "DELETE, GET, HEAD")
        assert call("DELETE", "/pets/5") == (401, {"error": "login first"}, None)
        assert call("DELETE", "/pets/5", Authorization="bob") == (
            403,
            {"error": "admins only"},
            None,
        )
        status, body, _ = call("DELETE", "/pets/5", Authorization="root")
        assert (status, body["handler"], body["user"]) == (200, "delete", "root")


# -- OVH's dispatcher on the kit -------------------------------------------------------------------


def test_ovh_states_its_check_order_as_kit_steps() -> None:
    from tether.services.ovh.sandbox.dispatch import STEPS, Endpoint

    pipeline: Pipeline[Endpoint, Any] = Pipeline(STEPS)
    names = {
        auth: pipeline.names(Endpoint("GET", "/x", _h("x"), auth=auth))
        for auth in ("none", "signed", "any_rule")
    }
    assert names == {
        "none": ("body",),
        "signed": ("credential", "access rules", "record use", "body"),
        "any_rule": ("credential", "record use", "body"),
    }


@pytest.mark.parametrize(("method", "path"), [("PATCH", "/me"), ("GET", "/nowhere")])
def test_ovh_answers_a_wrong_verb_like_an_unknown_path_before_any_auth(
    method: str, path: str
) -> None:
    from tether.services.ovh.sandbox.app import OvhEmulator
    from tether.services.ovh.sandbox.dispatch import OvhApi
    from tether.services.ovh.sandbox.routes import V1_ENDPOINTS

    api = OvhApi(OvhEmulator(), V1_ENDPOINTS)
    scope = {
        "type": "http",
        "method": method,
        "path": f"/ovh/1.0{path}",
        "root_path": "/ovh/1.0",
        "query_string": b"",
        "headers": [(b"host", b"h:1")],
        "scheme": "http",
    }
    status, body, headers = api.handle(scope, b"")
    assert status == 404
    assert json.loads(body) == {
        "class": "Client::NotFound",
        "message": "Got an invalid (or empty) URL",
    }
    assert not any(name == b"allow" for name, _ in headers)


def test_lookup_errors_say_what_was_asked() -> None:
    assert str(NoRoute("GET", "/x")) == "no route for GET /x"
    assert str(MethodNotAllowed("PUT", "/x", ("GET", "HEAD"))) == (
        "PUT not allowed on /x (allow: GET, HEAD)"
    )
