"""VK calls driven by hand (no socket): encoding, the envelope, every recovery path, raw,
max_attempts and the pacing bucket, as Sleep and Prompt effects."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from tests.flowdriver import Driver
from tests.services.vk.scripted import TOKEN, answers, client, error, form, run
from tether.core import errors as core
from tether.core.errors import ConnectError
from tether.core.messages import Request
from tether.vk import (
    AccessDenied,
    APIError,
    AuthorizationFailed,
    InvalidToken,
    ReqError,
    RequestFailed,
    ServerFailure,
    TooManyRequests,
)

OK = {"response": [{"id": 1}]}


def test_a_call_is_a_form_post_to_the_method_with_args_then_lang_v_token() -> None:
    api = client(version="5.131", lang="ru")
    result, d = run(api, answers(OK), "users.get", {"user_ids": [1, 2], "fields": ["bdate"]})
    assert result == [{"id": 1}]
    (req,) = d.sent
    assert req.method == "POST"
    assert req.url == "https://api.vk.com/method/users.get"
    assert req.header("Content-Type") == "application/x-www-form-urlencoded"
    assert req.body == f"user_ids=1%2C2&fields=bdate&lang=ru&v=5.131&access_token={TOKEN}".encode()
    assert req.is_idempotent  # a read
    assert TOKEN not in repr(req) and TOKEN not in req.url


def test_encoding_corner_cases_of_vk_md_v3() -> None:
    api = client()
    params = {
        "owner_id": -1,
        "message": "hi there",
        "from_group": True,
        "mark_as_ads": False,
        "attachments": ["photo1_2", "doc3_4"],
        "posts": ("1_2", "3_4"),
        "x": None,
    }
    _, d = run(api, answers({"response": 1}), "wall.post", params)
    sent = form(d.sent[0])
    assert sent["owner_id"] == "-1"
    assert sent["message"] == "hi there"
    assert (sent["from_group"], sent["mark_as_ads"]) == ("1", "0")
    assert sent["attachments"] == "photo1_2,doc3_4"
    assert sent["posts"] == "1_2,3_4"  # tuples too (PyVK joins only lists)
    assert "x" not in sent
    assert not d.sent[0].is_idempotent  # wall.post writes


def test_default_version_is_one_real_vk_accepts_and_no_token_sends_none() -> None:
    api = client(token=None)
    _, d = run(
        api,
        answers({"response": {"count": 1, "items": [354451485]}}),
        "users.getFollowers",
        {"user_id": 1, "count": 1},
    )
    sent = form(d.sent[0])
    assert "access_token" not in sent
    major, minor = sent["v"].split(".")
    assert (int(major), int(minor)) >= (5, 81)  # real VK refuses older versions (error 8)
    assert sent["lang"] == "en"


def test_not_json_and_no_envelope_are_req_errors() -> None:
    with pytest.raises(ReqError, match="not a valid JSON") as e:
        run(client(), answers(b"<html>502</html>"), "users.get", {})
    assert isinstance(e.value, core.ProtocolError) and e.value.method == "users.get"
    with pytest.raises(ReqError, match="Malformed response"):
        run(client(), answers({"foo": 1}), "users.get", {})
    with pytest.raises(ReqError, match="Malformed response"):
        run(client(), answers([1, 2]), "users.get", {})


def test_an_api_error_carries_every_key_of_vks_error_object() -> None:
    body = error(
        15,
        "Access denied: no access to call this method",
        request_params=[
            {"key": "method", "value": "docs.get"},
            {"key": "access_token", "value": TOKEN},
        ],
        extra_field=7,
    )
    with pytest.raises(APIError) as e:
        run(client(), answers(body), "docs.get", {})
    err = e.value
    assert isinstance(err, AccessDenied) and isinstance(err, core.PermissionDenied)
    assert (err.error_code, err.error_msg) == (15, "Access denied: no access to call this method")
    assert err["error_code"] == 15 and err.extra_field == 7 and err.code == 15
    assert err.request_params[0] == {"key": "method", "value": "docs.get"}
    assert err.request_params[1]["value"] == "***"  # an echoed token is not kept
    assert TOKEN not in str(err) and TOKEN not in repr(err)
    assert "Error 15" not in str(err) and "VK error 15" in str(err) and "docs.get" in str(err)
    with pytest.raises(KeyError):
        _ = err.captcha_sid
    assert not hasattr(err, "captcha_sid")


def test_error_5_is_an_invalid_token_and_an_auth_error() -> None:
    with pytest.raises(InvalidToken) as e:
        run(client(), answers(error(5, "User authorization failed")), "users.get", {})
    assert isinstance(e.value, AuthorizationFailed) and isinstance(e.value, core.AuthError)
    assert "authorise again" in str(e.value)


def test_errors_6_and_9_wait_as_the_seed_does_and_say_so(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="tether.vk")
    result, d = run(client(), answers(error(6), error(9), error(6), OK), "users.get", {})
    assert result == [{"id": 1}]
    assert d.slept == pytest.approx([0.3, 0.6, 1.2])  # ~2.1 s, vk.md §8 V7(b)
    lines = [r.getMessage() for r in caplog.records if r.name == "tether.vk"]
    assert lines[0].startswith("Too many requests per second. Wait 0.3 sec and retry.")
    assert lines[1].startswith("Flood control") and "0.6 sec" in lines[1]
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "tether.vk")
    assert all(TOKEN not in line for line in lines)


def test_five_errors_6_end_in_req_error_after_four_waits() -> None:
    with pytest.raises(ReqError, match="after all attempts") as e:
        run(client(), answers(*[error(6)] * 5), "users.get", {})
    assert e.value.exc is None
    assert isinstance(e.value.__cause__, TooManyRequests)


def test_max_attempts_bounds_the_sends() -> None:
    api = client(max_attempts=2)
    d = Driver(answers(error(6), error(6), OK))
    with pytest.raises(ReqError):
        d.run(api._call_flow("users.get", {}))
    assert len(d.sent) == 2 and d.slept == [0.3]


def test_auto_delay_off_raises_error_6_at_once() -> None:
    with pytest.raises(TooManyRequests) as e:
        run(client(auto_delay=False), answers(error(6)), "users.get", {})
    assert isinstance(e.value, core.RateLimited) and e.value.error_code == 6


def test_captcha_is_asked_through_a_prompt_and_the_call_sent_again_with_the_answer() -> None:
    img = "https://api.vk.com/captcha.php?sid=424242&s=1"
    asked: list[Any] = []

    def prompt(p: Any) -> str:
        asked.append(p)
        return "KEY"

    body = error(14, "Captcha needed", captcha_sid="424242", captcha_img=img)
    result, d = run(
        client(),
        answers(body, {"response": 1}),
        "messages.send",
        {"peer_id": 5, "message": "x", "random_id": 0},
        prompt=prompt,
    )
    assert result == 1
    assert asked[0].kind == "captcha" and asked[0].data == {"img": img}
    assert img in asked[0].message
    first, second = (form(r) for r in d.sent)
    assert "captcha_sid" not in first
    assert (second["captcha_sid"], second["captcha_key"]) == ("424242", "KEY")
    assert second["message"] == "x" and d.slept == []


def test_a_wrong_captcha_answer_is_asked_again_with_the_new_image() -> None:
    answers_given = iter(["wrong", "right"])
    b1 = error(14, captcha_sid="1", captcha_img="https://x/1")
    b2 = error(14, captcha_sid="2", captcha_img="https://x/2")
    result, d = run(
        client(), answers(b1, b2, OK), "users.get", {}, prompt=lambda p: next(answers_given)
    )
    assert result == OK["response"]
    assert [p.data["img"] for p in d.prompts] == ["https://x/1", "https://x/2"]
    assert form(d.sent[2])["captcha_sid"] == "2" and form(d.sent[2])["captcha_key"] == "right"


def test_validation_off_raises_the_captcha_error() -> None:
    with pytest.raises(APIError) as e:
        run(
            client(validation=False),
            answers(error(14, captcha_sid="1", captcha_img="u")),
            "users.get",
            {},
        )
    assert e.value.error_code == 14 and e.value.captcha_sid == "1"


@pytest.mark.parametrize("code", [1, 10])
def test_vk_failures_are_retried_for_reads_only(code: int) -> None:
    result, d = run(client(), answers(error(code), OK), "users.get", {})
    assert result == OK["response"] and len(d.sent) == 2
    assert len(d.slept) == 1 and 0 <= d.slept[0] <= 0.25  # the policy's first backoff
    d = Driver(answers(error(code), {"response": 1}))
    with pytest.raises(ServerFailure) as e:
        d.run(client()._call_flow("wall.post", {"message": "m"}))
    assert len(d.sent) == 1 and isinstance(e.value, core.ServerError)


def test_raw_returns_the_whole_json_with_no_error_handling() -> None:
    body = error(15, "Access denied")
    result, d = run(client(raw=True), answers(body), "docs.get", {})
    assert result == body and len(d.sent) == 1
    result, _ = run(client(raw=True), answers(error(6)), "users.get", {})
    assert result == error(6)  # no waiting either


def test_a_transport_failure_after_the_retries_is_request_failed() -> None:
    def down(request: Request) -> Any:
        raise ConnectError("refused")

    api = client(max_attempts=2)
    d = Driver(down)
    with pytest.raises(RequestFailed) as e:
        d.run(api._call_flow("users.get", {}))
    assert isinstance(e.value, core.TransportError) and isinstance(e.value, ReqError)
    assert isinstance(e.value.exc, ConnectError) and len(d.sent) == 2


def test_response_type_builds_the_answers_objects() -> None:
    class Obj(dict):  # type: ignore[type-arg]
        pass

    result, _ = run(client(response_type=Obj), answers({"response": {"a": {"b": 1}}}), "x.get", {})
    assert type(result) is Obj and type(result["a"]) is Obj


def test_pacing_spaces_the_sends_of_a_token_by_sleeps() -> None:
    api = client(rate_limit=None)  # the default: 3 per second, a user token
    d = Driver(answers(*[OK] * 5))
    for _ in range(5):
        d.run(api._call_flow("users.get", {}))
    # A burst of rate - 1 = 2 goes at once (one token kept back for jitter), then 1/3 s apart.
    assert d.slept == pytest.approx([1 / 3, 1 / 3, 1 / 3], abs=1e-6)
    api = client(rate_limit=20)
    d = Driver(answers(*[OK] * 21))
    for _ in range(21):
        d.run(api._call_flow("users.get", {}))
    assert d.slept == pytest.approx([1 / 20, 1 / 20], abs=1e-6)
    api = client(rate_limit=0.5)  # below 2 a second the burst is one call
    d = Driver(answers(OK, OK))
    for _ in range(2):
        d.run(api._call_flow("users.get", {}))
    assert d.slept == pytest.approx([2.0], abs=1e-6)


def test_the_recovery_waits_are_paced_too() -> None:
    api = client(rate_limit=3)
    d = Driver(answers(OK, error(6), OK))
    d.run(api._call_flow("users.get", {}))  # takes one of the burst of two
    d.run(api._call_flow("users.get", {}))
    # 0.3 s for error 6, then the bucket's remaining 1/3 - 0.3 s before the resend.
    assert d.slept == pytest.approx([0.3, 1 / 3 - 0.3], abs=1e-6)
