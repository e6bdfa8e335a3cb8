"""The emulator's ``execute``: the VKScript interpreter driven by hand (every construct, the
25-call cap, compile and runtime errors, the bounds, ``execute_errors``), then the method
over loopback through ``/vk/method/execute`` with the scripts vk_api generates (vk.md §8 V8)."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from tests.services.vk.sandbox.wire import Wire
from tether.services.vk.sandbox.execute.serve import run
from tether.services.vk.sandbox.methods import METHODS, MethodError
from tether.services.vk.sandbox.model.auth import GROUP_TOKEN, NO_WALL_TOKEN, USER_TOKEN


class Fake:
    """A dispatch that records its calls; ``users.get`` of id 13 fails as VK's 18."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, dict[str, str]]] = []

    def __call__(self, method: str, params: dict[str, str]) -> Any:
        self.calls.append((method, params))
        if params.get("user_ids") == "13":
            raise MethodError(18, "User was deleted or banned")
        return {"method": method, "params": params, "items": [{"id": 1}, {"id": 2}]}


def value(code: str, dispatch: Any = None) -> Any:
    return run(code, dispatch or Fake()).value


def failure(code: str) -> tuple[int, str]:
    with pytest.raises(MethodError) as info:
        run(code, Fake())
    return info.value.code, info.value.msg


# -- the language, by hand ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("return 1;", 1),
        ("return;", None),
        ("var a = 1, b = 2, c; return [a, b, c];", [1, 2, None]),
        ("return 1 + 2 * 3 - 4 / 2;", 5),
        ("return [7 / 2, 7 % 3, -7 % 3, -(2 + 3)];", [3.5, 1, -1, -5]),
        ('return "a" + 1 + true + null;', "a1truenull"),
        ("return [1, 2] + [3];", [1, 2, 3]),
        (
            'return [1 < 2, 2 <= 2, 3 > 4, 4 >= 5, 1 == 1, 1 != 1, "10" > 9, "a" < "b"];',
            [True, True, False, False, True, False, True, True],
        ),
        ('return [1 == "1", null == null, null == 0, "x" == "x"];', [True, True, False, True]),
        ("return [1 && 2, 0 && 2, 0 || 3, 4 || 5, !0, !1, ![]];", [2, 0, 3, 4, True, False, False]),
        ("var x = 5; if (x > 3) { x = 1; } else { x = 2; }; return x;", 1),
        ("var x = 0; if (x) x = 1; else x = 2; return x;", 2),
        ("var i = 0, s = 0; while (i < 10) { i = i + 1; s = s + i; }; return s;", 55),
        ("return [1, 0] [0] ? 'yes' : 'no';", "yes"),
        ('return [[1, 2, 3].length, "abc".length, {a: 1}.length];', [3, 3, None]),
        ("var a = [10, 20]; return [a[0], a[1], a[2], a[-1]];", [10, 20, None, None]),
        ('var o = {a: 1, "b c": 2, 3: 4}; return [o.a, o["b c"], o[3], o.z];', [1, 2, 4, None]),
        (
            "var o = {}; o.x = 1; o['y'] = 2; var a = [1]; a[1] = 5; a[0] = 9; return [o, a];",
            [{"x": 1, "y": 2}, [9, 5]],
        ),
        ("var o = {x: 1, y: 2}; delete o.x; return o;", {"y": 2}),
        (
            "var a = [{id: 1, n: 'a'}, {id: 2}, 5]; return a@.id + a@.n;",
            [1, 2, None, "a", None, None],
        ),
        (
            'return [parseInt("42abc"), parseInt("-7"), parseInt(3.9), parseDouble("2.5x"), '
            'parseInt("x")];',
            [42, -7, 3, 2.5, None],
        ),
        (
            "var a = [1, 2]; var n = a.push(3, 4); return [n, a, a.pop(), a];",
            [4, [1, 2, 3], 4, [1, 2, 3]],
        ),
        (
            "var a = [1, 2, 3, 4, 5]; return [a.slice(1), a.slice(1, 3), a.slice(-2), a.slice(9)];",
            [[2, 3, 4, 5], [2, 3], [4, 5], []],
        ),
        (
            "var a = [1, 2, 3]; var f = a.shift(); var n = a.unshift(0); return [f, n, a];",
            [1, 3, [0, 2, 3]],
        ),
        ("var a = [1, 2, 3, 4]; var r = a.splice(1, 2, 9); return [r, a];", [[2, 3], [1, 9, 4]]),
        ("return [[5, 6].indexOf(6), [5].indexOf(7), 'hello'.indexOf('l')];", [1, -1, 2]),
        (
            "return ['abcdef'.substr(2), 'abcdef'.substr(1, 2), 'a,b,,c'.split(','), 'ab'.split('')];",
            ["cdef", "bc", ["a", "b", "", "c"], ["a", "b"]],
        ),
        ("return \"q\\\"uote\\n\\u0041\" + 's\\'';", "q\"uote\nAs'"),
        ("// a comment\nvar a = 1; /* and\nanother */ return a;", 1),
        ("return 9007199254740993 + 0;", 9007199254740992.0),  # a double, as in JavaScript
    ],
)
def test_every_construct(code: str, expected: Any) -> None:
    assert value(code) == expected


def test_api_calls_take_an_object_literal_or_a_variable_and_write_vk_parameters() -> None:
    fake = Fake()
    got = value(
        "var p = {user_ids: [1, 2], extended: true, count: 5, skip: null, q: 'a b'};"
        "var r = API.users.get(p); var s = API.account.getInfo();"
        "return [r.method, s.method, r.items@.id];",
        fake,
    )
    assert got == ["users.get", "account.getInfo", [1, 2]]
    assert fake.calls == [
        ("users.get", {"user_ids": "1,2", "extended": "1", "count": "5", "q": "a b"}),
        ("account.getInfo", {}),
    ]


def test_a_failing_call_is_false_and_its_error_is_recorded_in_order() -> None:
    result = run(
        "return [API.users.get({user_ids: 1}), API.users.get({user_ids: 13}),"
        " API.wall.get({user_ids: 13})];",
        Fake(),
    )
    assert result.value[1] is False and result.value[2] is False
    assert result.value[0]["method"] == "users.get"
    assert result.errors == [
        {"method": "users.get", "error_code": 18, "error_msg": "User was deleted or banned"},
        {"method": "wall.get", "error_code": 18, "error_msg": "User was deleted or banned"},
    ]
    assert result.calls == 3


def test_inner_results_are_copies_a_script_cannot_change_the_source() -> None:
    shared = {"items": [1]}
    assert value("var r = API.a.b(); r.items.push(2); r.x = 1; return r;", lambda m, p: shared) == {
        "items": [1, 2],
        "x": 1,
    }
    assert shared == {"items": [1]}


def test_25_calls_pass_and_the_26th_is_vk_13() -> None:
    loop = "var i = 0; while (i < %d) { API.users.get({user_ids: i}); i = i + 1; }; return i;"
    fake = Fake()
    assert run(loop % 25, fake).value == 25 and len(fake.calls) == 25
    assert failure(loop % 26) == (
        13,
        "Runtime error occurred during code invocation: Too many API calls",
    )


@pytest.mark.parametrize(
    ("code", "detail"),
    [
        ("return 1", None),  # a statement may end at the end of the code
        ("var a = 1 return a;", "';' expected"),
        ("return [1, 2;", "']' expected"),
        ("retur 1;", "';' expected"),
        ("for (;;) {}", "unknown function for"),
        ('return "open;', "unexpected character"),
        ("return alert(1);", "unknown function alert"),
        ("return API;", "API method call expected"),
        ("return 1 +;", "expression expected"),
        ("if (1 { }", "')' expected"),
        ("1 = 2;", "cannot assign"),
        ("a += 1;", "expression expected"),
        ("return 'a\\q';", "unknown escape"),
        ("return 1e999;", "number out of range"),
        ("return " + "[" * 200 + "]" * 200 + ";", "nested too deeply"),
        ("return " + "-" * 500 + "1;", "nested too deeply"),
        ("return " + "1 + " * 10 + "1" + " " * (256 * 1024) + ";", "longer than"),
    ],
)
def test_syntax_errors_are_vk_12(code: str, detail: str | None) -> None:
    if detail is None:
        assert value(code) == 1
        return
    code_, msg = failure(code)
    assert code_ == 12 and msg.startswith("Unable to compile code: ") and detail in msg, msg


def test_a_compile_error_says_where() -> None:
    assert failure("var a = 1;\nvar b = ;")[1].endswith("in line 2 column 9")


@pytest.mark.parametrize(
    ("code", "detail"),
    [
        ("while (true) {};", "too many operations"),
        ("var s = 'xxxxxxxxxx'; while (true) { s = s + s; };", "string is too long"),
        ("var a = [1]; while (true) { a.push(a.slice(0)); };", "out of memory"),
        (
            "var a = [1], i = 0; while (i < 40) { a = [a, a]; i = i + 1; }; return a;",
            "response size is too big",
        ),
        (
            "var a = 1, i = 0; while (i < 100) { a = [a]; i = i + 1; }; return a;",
            "response size is too big",
        ),
        (
            "var a = [1], i = 0; while (i < 40) { a = [a, a]; i = i + 1; }; API.x.y({a: a});",
            "response size is too big",
        ),
        (
            "var n = 2, i = 0; while (i < 20) { n = n * n; i = i + 1; }; return n;",
            "number out of range",
        ),
        ("return 1 / 0;", "division by zero"),
        ("return 5 % 0;", "division by zero"),
        ("return [1].substr(1);", "Method substr requires a string"),
        ("return 'a'.slice(1);", "Method slice requires an array"),
        ("return 'a'.nope();", "Unknown method nope"),
        ("return 5@.id;", "Operator @. requires an array"),
        ("return [] < 1;", "Comparing values of different or unsupported types"),
        ("return API.users.get(5);", "must be an object"),
        ("var n = 1; n.x = 2;", "cannot set a field"),
        ("var a = []; a[5] = 1;", "array index out of range"),
        ("return {} - 1;", "unsupported operand"),
    ],
)
def test_runtime_errors_and_bounds_are_vk_13(code: str, detail: str) -> None:
    started = time.monotonic()
    code_, msg = failure(code)
    assert code_ == 13, msg
    assert msg.startswith("Runtime error occurred during code invocation: ") and detail in msg, msg
    assert time.monotonic() - started < 5  # bounded work, whatever the code


def test_the_interpreter_never_evaluates_python() -> None:
    assert value("return '__import__(\"os\")' + 1;") == '__import__("os")1'
    assert failure("return __import__('os');")[0] == 12


# -- over loopback --------------------------------------------------------------------------


@pytest.fixture
def enveloping(wire: Wire) -> Wire:
    """The emulator over loopback (its ``execute`` answers carry ``execute_errors``)."""
    return wire


def test_execute_over_loopback_mixed_methods_as_vk_api_writes_them(enveloping: Wire) -> None:
    # vk.md §8 V8, with ids the emulator has: 13 is deleted (18).
    code = (
        'return [API.users.get({"user_ids":1}),API.friends.get({"user_id":13,"count":5}),'
        'API.wall.get({"owner_id":100,"count":2})];'
    )
    answer = enveloping.call("execute", {"code": code})
    assert set(answer) == {"response", "execute_errors"}
    users, friends, wall = answer["response"]
    assert users[0]["id"] == 1 and friends is False and len(wall["items"]) == 2
    assert answer["execute_errors"] == [
        {"method": "friends.get", "error_code": 18, "error_msg": "User was deleted or banned"}
    ]


def test_execute_counts_as_one_call_and_passes_the_inner_gates(enveloping: Wire) -> None:
    code = (
        "var p = [{user_ids: 1}, {user_ids: 2}, {user_ids: 3}], i = 0, r = [];"
        "while (i < p.length) { r.push(API.users.get(p[i])); i = i + 1; };"
        "return r;"
    )
    answer = enveloping.call("execute", {"code": code})
    assert [u[0]["id"] for u in answer["response"]] == [1, 2, 3]
    assert "execute_errors" not in answer
    stats = json.loads(enveloping.control("/stats", verb="GET").body)
    assert stats["calls"]["execute"] == 1 and "users.get" not in stats["calls"]
    # Inner gates: the right (7 for wall.post without wall), arguments (100), unknown (3),
    # no execute inside execute (3).
    code = (
        "return [API.wall.post({message: 'x'}), API.groups.getMembers({}),"
        " API.users.nothing(), API.execute({code: 'return 1;'}), API.account.getInfo()];"
    )
    answer = enveloping.call("execute", {"code": code}, token=NO_WALL_TOKEN)
    assert answer["response"][:4] == [False, False, False, False]
    assert isinstance(answer["response"][4], dict)
    assert [(e["method"], e["error_code"]) for e in answer["execute_errors"]] == [
        ("wall.post", 7),
        ("groups.getMembers", 100),
        ("users.nothing", 3),
        ("execute", 3),
    ]


def test_execute_with_a_community_token_refuses_user_only_methods_inside(enveloping: Wire) -> None:
    answer = enveloping.call(
        "execute",
        {"code": "return [API.friends.get(), API.groups.getMembers({group_id: 5})];"},
        token=GROUP_TOKEN,
    )
    assert answer["response"][0] is False and answer["response"][1]["count"] > 0
    assert answer["execute_errors"][0]["error_code"] == 27


def test_execute_errors_12_and_13_over_loopback(enveloping: Wire) -> None:
    e = enveloping.error("execute", {"code": "return [1;"})
    assert e["error_code"] == 12 and e["error_msg"].startswith("Unable to compile code: ")
    assert {"key": "method", "value": "execute"} in e["request_params"]
    code = "var i = 0; while (i < 26) { API.users.get(); i = i + 1; }; return i;"
    e = enveloping.error("execute", {"code": code})
    assert (e["error_code"], e["error_msg"]) == (
        13,
        "Runtime error occurred during code invocation: Too many API calls",
    )
    assert enveloping.error("execute", {})["error_code"] == 100  # code is required


def test_vk_apis_get_all_script_walks_friends(enveloping: Wire) -> None:
    # The shape of vk_api's VkTools.get_all script (vk.md §4.4), for user 100's friends.
    code = """
        var params = {"user_id":100,"count":1000}, calls = 0, items = [], count = null,
            offset = 0, ri;
        while(calls < 25) {
            calls = calls + 1;
            params.offset = offset * 1;
            var response = API.friends.get(params),
                new_count = response.count,
                count_diff = (count == null ? 0 : new_count - count);
            if (!response) { return {"_error": 1}; }
            if (count_diff < 0) {
                offset = offset + count_diff;
            } else {
                ri = response.items;
                items = items + ri.slice(count_diff);
                offset = offset + params.count + count_diff;
                if (ri.length < params.count) { calls = 99; }
            }
            count = new_count;
            if (count != null && offset >= count) { calls = 99; }
        };
        return {count: count, items: items, offset: offset, more: calls != 99};
    """
    got = enveloping.ok("execute", {"code": code}, token=USER_TOKEN)
    first = enveloping.ok("friends.get", {"user_id": 100, "count": 5000})
    assert got["count"] == first["count"] == len(got["items"]) > 5000  # 13 pages of 1000
    assert got["items"][:5000] == first["items"] and got["items"] == sorted(set(got["items"]))
    assert got["more"] is False and got["offset"] == got["count"]


def test_the_method_table_serves_execute() -> None:
    line = METHODS["execute"]
    assert line.required == ("code",)
    assert "VKScript" in line.summary
