"""The emulator kit's RPC method registry: driven by hand with a toy table, checked against
Flickr's table built on it, then a toy service on it answering over loopback HTTP."""

from __future__ import annotations

import json
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from http.server import BaseHTTPRequestHandler
from typing import Any

import pytest

from tests.support.serve import serving
from tether.sandbox.kit.rpc import Argument, MethodInfo, Registry, RpcMethod


class Fail(Exception):
    """The toy service's envelope error: a code and a message, VK style."""

    def __init__(self, code: int, msg: str) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg


def _unknown(name: str) -> Fail:
    return Fail(3, f"Unknown method passed: {name}")


def _missing(name: str, argument: str) -> Fail:
    return Fail(100, f"One of the parameters specified was missing or invalid: {argument}")


Handler = Callable[[Mapping[str, str]], Any]


def users_get(params: Mapping[str, str]) -> Any:
    """Returns users' profiles.

    Second paragraph, not part of the summary."""
    return [{"id": int(uid)} for uid in params["user_ids"].split(",")]


def wall_post(params: Mapping[str, str]) -> Any:
    return {"post_id": 1, "owner_id": int(params["owner_id"]), "message": params["message"]}


TABLE: dict[str, RpcMethod[Handler]] = {
    "users.get": RpcMethod(users_get, required=("user_ids",), optional=("fields",)),
    "wall.post": RpcMethod(
        wall_post,
        "wall",
        required=("owner_id", "message"),
        optional=("attachments",),
        errors=((214, "Access to adding post denied"),),
    ),
    "utils.getServerTime": RpcMethod(lambda params: 1_700_000_000),
}
LEVELS = ("none", "wall", "photos")


def registry(**kwargs: Any) -> Registry[RpcMethod[Handler]]:
    options: dict[str, Any] = {"not_found": _unknown, "missing": _missing, "levels": LEVELS}
    return Registry(TABLE, **{**options, **kwargs})


# -- the mapping and lookup ----------------------------------------------------------------------


def test_the_registry_is_a_read_only_mapping_of_the_table() -> None:
    methods = registry()
    assert len(methods) == 3 and set(methods) == set(TABLE)
    assert "users.get" in methods and "users.nope" not in methods
    assert methods["wall.post"] is TABLE["wall.post"]
    assert methods.get("users.nope") is None
    assert methods.get("users.nope", TABLE["users.get"]) is TABLE["users.get"]
    assert not hasattr(methods, "__setitem__")


def test_lookup_answers_the_services_own_not_found() -> None:
    methods = registry()
    assert methods.lookup("users.get") is TABLE["users.get"]
    with pytest.raises(Fail) as caught:
        methods.lookup("users.nope")
    assert (caught.value.code, caught.value.msg) == (3, "Unknown method passed: users.nope")


def test_registry_copies_the_table() -> None:
    table = dict(TABLE)
    methods = Registry(table, not_found=_unknown)
    table.pop("users.get")
    assert "users.get" in methods


# -- argument checks, in the stated order ----------------------------------------------------------


def test_resolve_checks_the_method_before_its_arguments() -> None:
    with pytest.raises(Fail) as caught:
        registry().resolve("users.nope", {})
    assert caught.value.code == 3


@pytest.mark.parametrize(
    ("params", "missing"),
    [
        ({}, "owner_id"),  # the first declared one is named, not the first in the request
        ({"message": "hi"}, "owner_id"),
        ({"owner_id": "1"}, "message"),
        ({"owner_id": "", "message": "hi"}, "owner_id"),  # empty is missing
        ({"owner_id": "1", "message": ""}, "message"),
    ],
)
def test_required_arguments_are_checked_in_declared_order(
    params: dict[str, str], missing: str
) -> None:
    with pytest.raises(Fail) as caught:
        registry().resolve("wall.post", params)
    assert caught.value.code == 100
    assert caught.value.msg.endswith(f": {missing}")


def test_resolve_returns_the_line_when_the_arguments_are_there() -> None:
    line = registry().resolve("wall.post", {"owner_id": "1", "message": "hi", "extra": "x"})
    assert line.handler({"owner_id": "1", "message": "hi"})["owner_id"] == 1
    assert line.perms == "wall"  # for the service's own permission check, run after


def test_without_a_missing_factory_arguments_are_left_to_handlers() -> None:
    methods = registry(missing=None)
    assert methods.resolve("wall.post", {}) is TABLE["wall.post"]


# -- the table is checked when built ------------------------------------------------------------


@pytest.mark.parametrize(
    ("table", "why"),
    [
        ({"": RpcMethod(users_get)}, "empty"),
        ({"a.b": RpcMethod(users_get, required=("x",), optional=("x",))}, "twice"),
        ({"a.b": RpcMethod(users_get, required=("x", "x"))}, "twice"),
        ({"a.b": RpcMethod(users_get, "admin")}, "permission"),
    ],
)
def test_a_bad_line_fails_when_the_registry_is_built(table: Any, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        Registry(table, not_found=_unknown, levels=LEVELS)


def test_without_levels_any_permission_word_is_accepted() -> None:
    assert Registry({"a.b": RpcMethod(users_get, "admin")}, not_found=_unknown)["a.b"].perms == (
        "admin"
    )


# -- the listing reflection reads ----------------------------------------------------------------


def test_names_are_every_served_method_sorted() -> None:
    assert registry().names() == ("users.get", "utils.getServerTime", "wall.post")


def test_describe_lists_required_then_optional_arguments_errors_and_summary() -> None:
    info = registry().describe("wall.post")
    assert info == MethodInfo(
        name="wall.post",
        perms="wall",
        arguments=(
            Argument("owner_id", False),
            Argument("message", False),
            Argument("attachments", True),
        ),
        errors=((214, "Access to adding post denied"),),
        summary="",
    )
    assert registry().describe("users.get").summary == "Returns users' profiles."
    with pytest.raises(Fail):
        registry().describe("users.nope")


def test_flickrs_table_is_a_registry_answering_flickrs_112() -> None:
    from tether.services.flickr.sandbox.methods import METHODS, MethodError

    assert isinstance(METHODS, Registry)
    with pytest.raises(MethodError) as caught:
        METHODS.lookup("flickr.photos.nope")
    assert (caught.value.code, caught.value.msg) == (112, 'Method "flickr.photos.nope" not found')
    # Flickr's handlers answer their own codes for a missing argument: the kit checks none.
    assert METHODS.resolve("flickr.photos.getInfo", {}) is METHODS["flickr.photos.getInfo"]
    info = METHODS.describe("flickr.photos.getInfo")
    assert [(a.name, a.optional) for a in info.arguments] == [
        ("photo_id", False),
        ("secret", True),
    ]
    assert "flickr.reflection.getMethods" in METHODS.names()


# -- a toy service over loopback -------------------------------------------------------------------


class Toy:
    """A toy VK-style RPC emulator on the registry: ``/method/<name>``, JSON envelope,
    permission checked after the registry's own steps."""

    def __init__(self, granted: tuple[str, ...]) -> None:
        self.methods = registry()
        self.granted = granted

    def answer(self, name: str, params: Mapping[str, str]) -> Any:
        try:
            line = self.methods.resolve(name, params)
            if line.perms != "none" and line.perms not in self.granted:
                raise Fail(15, "Access denied")
            return {"response": line.handler(params)}
        except Fail as fail:
            return {"error": {"error_code": fail.code, "error_msg": fail.msg}}


def _handler(service: Toy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            url = urllib.parse.urlsplit(self.path)
            name = url.path.removeprefix("/method/")
            params = dict(urllib.parse.parse_qsl(url.query, keep_blank_values=True))
            payload = json.dumps(service.answer(name, params)).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def test_toy_service_end_to_end_over_loopback() -> None:
    with serving(_handler(Toy(granted=("photos",)))) as root:

        def call(name: str, **params: str) -> Any:
            query = urllib.parse.urlencode(params)
            with urllib.request.urlopen(f"{root}/method/{name}?{query}", timeout=10) as answer:
                return json.loads(answer.read())

        assert call("users.get", user_ids="1,2") == {"response": [{"id": 1}, {"id": 2}]}
        assert call("utils.getServerTime") == {"response": 1_700_000_000}
        assert call("users.nope")["error"]["error_code"] == 3
        assert call("users.get")["error"] == {
            "error_code": 100,
            "error_msg": "One of the parameters specified was missing or invalid: user_ids",
        }
        # Arguments are checked before the permission: a call missing both hears of the first.
        assert call("wall.post")["error"]["error_code"] == 100
        assert call("wall.post", owner_id="1", message="hi")["error"]["error_code"] == 15
