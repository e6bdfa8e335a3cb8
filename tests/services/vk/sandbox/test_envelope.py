"""The envelope of every VK answer (vk.md §1.4), request encodings (§1.3) and the version floor
(§1.2), over loopback HTTP."""

from __future__ import annotations

import pytest

from tests.services.vk.sandbox.wire import Wire, creds
from tether.services.vk.sandbox.app import credentials
from tether.services.vk.sandbox.model.auth import GROUP_TOKEN, USER_TOKEN


def test_success_envelope_is_http_200_json_with_response_only(wire: Wire) -> None:
    answer = wire.call("users.get", {"user_ids": "1"})
    assert answer == {
        "response": [
            {
                "id": 1,
                "first_name": "Pavel",
                "last_name": "Founder",
                "can_access_closed": True,
                "is_closed": False,
            }
        ]
    }


def test_error_envelope_echoes_params_with_method_and_oauth_never_the_token(wire: Wire) -> None:
    answer = wire.raw(
        "GET",
        f"/vk/method/friends.get?access_token={USER_TOKEN}&user_id=abc&v=5.131&lang=en",
    )
    assert answer.status == 200
    error = answer.json()["error"]
    assert error["error_code"] == 100
    assert error["error_msg"] == (
        "One of the parameters specified was missing or invalid: user_id not integer"
    )
    assert error["request_params"] == [
        {"key": "oauth", "value": "1"},
        {"key": "method", "value": "friends.get"},
        {"key": "user_id", "value": "abc"},
        {"key": "v", "value": "5.131"},
        {"key": "lang", "value": "en"},
    ]
    assert USER_TOKEN.encode() not in answer.body


def test_no_token_means_no_oauth_key(wire: Wire) -> None:
    error = wire.error("users.get", {}, token=None)
    assert error["request_params"] == [
        {"key": "method", "value": "users.get"},
        {"key": "v", "value": "5.131"},
    ]


def test_bearer_token_is_never_echoed_either(wire: Wire) -> None:
    error = wire.error("wall.getById", {}, bearer=True)
    assert error["error_code"] == 100
    assert {"key": "oauth", "value": "1"} in error["request_params"]
    assert all(p["value"] != USER_TOKEN for p in error["request_params"])


@pytest.mark.parametrize(
    ("verb", "bearer", "multipart"),
    [
        ("GET", False, False),
        ("POST", False, False),
        ("POST", False, True),
        ("GET", True, False),
        ("POST", True, True),
    ],
)
def test_get_post_multipart_and_bearer_answer_alike(
    wire: Wire, verb: str, bearer: bool, multipart: bool
) -> None:
    got = wire.ok(
        "users.get",
        {"user_ids": "1,2", "fields": "bdate"},
        verb=verb,
        bearer=bearer,
        multipart=multipart,
    )
    assert [u["id"] for u in got] == [1, 2]
    assert [u["bdate"] for u in got] == ["2.2.1971", "3.3.1972"]


def test_body_overrides_query_and_query_alone_is_enough(wire: Wire) -> None:
    path = f"/vk/method/users.get?user_ids=1&v=5.131&access_token={USER_TOKEN}"
    answer = wire.raw(
        "POST", path, b"user_ids=2", {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert [u["id"] for u in answer.json()["response"]] == [2]


def test_a_json_body_is_not_read(wire: Wire) -> None:
    answer = wire.raw(
        "POST",
        "/vk/method/users.get",
        b'{"v": "5.131", "user_ids": "1"}',
        {"Content-Type": "application/json"},
    )
    assert answer.json()["error"]["error_code"] == 8  # no v: the body was not a form


@pytest.mark.parametrize("spelling", ["1", "True", "true"])
def test_flags_read_1_and_pythons_true(wire: Wire, spelling: str) -> None:
    got = wire.ok("groups.get", {"extended": spelling, "count": 1})
    assert got["items"][0]["name"] == "Community 1"


@pytest.mark.parametrize("spelling", ["0", "False", ""])
def test_flags_read_0_and_pythons_false(wire: Wire, spelling: str) -> None:
    assert wire.ok("groups.get", {"extended": spelling})["items"] == [1, 2, 3, 5, 8, 13]


def test_a_flag_that_is_not_one_is_100(wire: Wire) -> None:
    error = wire.error("groups.get", {"extended": "maybe"})
    assert error["error_code"] == 100
    assert "extended" in error["error_msg"]


def test_comma_lists_drop_empty_items(wire: Wire) -> None:
    got = wire.ok("users.get", {"user_ids": "1,,2,", "fields": "sex,,screen_name"})
    assert [(u["id"], u["sex"], u["screen_name"]) for u in got] == [
        (1, 1, "founder"),
        (2, 2, "id2"),
    ]


# -- the version floor ------------------------------------------------------------------------


def test_version_is_required(wire: Wire) -> None:
    error = wire.error("users.get", {"user_ids": 1}, v=None)
    assert (error["error_code"], error["error_msg"]) == (
        8,
        "Invalid request: v (version) is required",
    )


@pytest.mark.parametrize("version", ["5.80", "5.60", "5.21", "4.99", "abc", "5", "5.81.1"])
def test_versions_below_the_floor_or_malformed_are_8(wire: Wire, version: str) -> None:
    error = wire.error("users.get", {"user_ids": 1}, v=version)
    assert error["error_code"] == 8
    assert error["error_msg"].startswith("Invalid request: versions below 5.81 are deprecated.")


@pytest.mark.parametrize("version", ["5.81", "5.92", "5.131", "5.199", "6.0"])
def test_versions_at_or_above_the_floor_pass(wire: Wire, version: str) -> None:
    # 5.131 > 5.81 as (major, minor): a float comparison would refuse it.
    assert wire.ok("users.get", {"user_ids": 1}, v=version)[0]["id"] == 1


def test_the_floor_is_settable_for_pyvks_default_and_resets(wire: Wire) -> None:
    # vk.md §8 V1: pyvk's users.get(user_ids=[1,2], fields=['bdate']) at version 5.21.
    query = f"access_token={USER_TOKEN}&lang=en&v=5.21&user_ids=1%2C2&fields=bdate"
    refused = wire.raw("GET", f"/vk/method/users.get?{query}").json()
    assert refused["error"]["error_code"] == 8
    assert wire.set("/settings", {"min_version": "5.0"})["min_version"] == "5.0"
    got = wire.raw("GET", f"/vk/method/users.get?{query}").json()["response"]
    assert [(u["id"], u["bdate"]) for u in got] == [(1, "2.2.1971"), (2, "3.3.1972")]
    wire.set("/reset", {})
    assert wire.control("/settings", verb="GET").json()["min_version"] == "5.81"


def test_pyvk_no_token_followers_and_trailing_ampersand(wire: Wire) -> None:
    # vk.md §8 V3, at a version above the floor: no token, and a trailing '&'.
    got = wire.raw("GET", "/vk/method/users.getFollowers?lang=en&v=5.131&user_id=1&count=1")
    assert got.json() == {"response": {"count": 1500, "items": [50001]}}
    info = wire.raw("GET", f"/vk/method/account.getInfo?access_token={USER_TOKEN}&v=5.131&")
    assert info.json()["response"]["country"] == "RU"


def test_vk_api_style_body_with_python_booleans_and_tuples(wire: Wire) -> None:
    # vk.md §8 V3: vk_api's wall.get_by_id(posts=('1_2','3_4'), extended=True).
    body = f"posts=100_2%2C100_4&extended=True&v=5.92&access_token={USER_TOKEN}"
    answer = wire.raw(
        "POST",
        "/vk/method/wall.getById",
        body.encode(),
        {"Content-Type": "application/x-www-form-urlencoded"},
    )
    assert [(p["owner_id"], p["id"]) for p in answer.json()["response"]] == [(100, 2), (100, 4)]


def test_credentials_block_is_exactly_the_agreed_one(wire: Wire) -> None:
    block = creds(wire)
    assert set(block) == {
        "api_url",
        "oauth_url",
        "app_id",
        "client_secret",
        "access_token",
        "user_id",
        "group_token",
        "group_id",
        "service_token",
        "user",
        "user_2fa",
        "user_phone_check",
    }
    assert block["api_url"] == f"{wire.root}/vk/method/"
    assert block["oauth_url"] == f"{wire.root}/vk/oauth/"
    assert block["access_token"] == USER_TOKEN and block["group_token"] == GROUP_TOKEN
    assert isinstance(block["app_id"], str) and isinstance(block["user_id"], int)
    assert set(block["user"]) == {"login", "password", "user_id"}
    assert set(block["user_2fa"]) == {"login", "password", "user_id", "code"}
    assert set(block["user_phone_check"]) == {"login", "password", "user_id", "phone"}
    # Only URLs follow the root.
    other = dict(block, api_url=None, oauth_url=None)
    assert other == dict(credentials("http://elsewhere:1"), api_url=None, oauth_url=None)


def test_every_token_works_with_users_get(wire: Wire) -> None:
    block = creds(wire)
    for token in (block["access_token"], block["group_token"], block["service_token"]):
        assert wire.ok("users.get", {"user_ids": 1}, token=token)[0]["id"] == 1
    assert wire.ok("users.get", {}, token=block["access_token"])[0]["id"] == block["user_id"]


def test_a_form_over_a_megabyte_is_413_with_the_front_ends_page(wire: Wire) -> None:
    body = b"v=5.131&message=" + b"x" * (1024 * 1024 + 10)
    answer = wire.raw(
        "POST", "/vk/method/users.get", body, {"Content-Type": "application/x-www-form-urlencoded"}
    )
    assert answer.status == 413 and b"nginx" in answer.body


def test_unknown_path_and_verb_are_the_front_ends_404_and_405(wire: Wire) -> None:
    assert wire.raw("GET", "/vk/nothing").status == 404
    assert wire.raw("PUT", "/vk/method/users.get").status == 405
