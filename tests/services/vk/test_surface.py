"""PyVK's public names on tether: constants (vk.md §8 V10), exceptions, configuration,
``Input`` and its bridge from ``Prompt``, method names and reprs."""

from __future__ import annotations

import asyncio
import copy
import pickle
import warnings
from typing import Any, ClassVar

import pytest

import tether.vk as vk
from tests.services.vk.scripted import TOKEN, Unused, client
from tether.core import errors as core
from tether.core.flow import Prompt
from tether.services.vk.inputs import prompt_handler


def test_scope_bits_are_vks_and_p_basic_is_what_the_docs_promise() -> None:
    assert (vk.p_notify, vk.p_friends, vk.p_photos, vk.p_audio, vk.p_video) == (1, 2, 4, 8, 16)
    assert (vk.p_messages, vk.p_wall, vk.p_offline, vk.p_market) == (4096, 8192, 65536, 134217728)
    assert vk.p_offline | vk.p_groups == 327680
    docs = (
        vk.p_friends,
        vk.p_photos,
        vk.p_audio,
        vk.p_video,
        vk.p_status,
        vk.p_messages,
        vk.p_wall,
        vk.p_groups,
        vk.p_offline,
    )
    assert vk.p_basic == sum(docs) == 341022  # PyVK's code leaves p_messages out (336926)
    assert vk.p_basic & vk.p_messages
    assert vk.p_all == 140492255 and vk.p_all & vk.p_basic == vk.p_basic
    assert (vk.E_TOO_MANY, vk.E_FLOOD, vk.E_CAPTCHA) == (6, 9, 14)


def test_the_seed_module_paths_import() -> None:
    from tether.vk.config import APIConfig, ClientAuthConfig, GlobalConfig, ServerAuthConfig
    from tether.vk.exceptions import APIError, AuthError, InvalidToken, PyVKError, ReqError
    from tether.vk.helpers import reqn

    assert APIError is vk.APIError and callable(reqn)
    for cls in (APIError, AuthError, InvalidToken, ReqError):
        assert issubclass(cls, PyVKError) and issubclass(cls, core.TetherError)
    assert issubclass(AuthError, core.AuthError) and issubclass(APIError, core.APIError)
    assert issubclass(ClientAuthConfig, GlobalConfig) and issubclass(APIConfig, GlobalConfig)
    assert ServerAuthConfig.scope == vk.p_offline and ClientAuthConfig.scope == vk.p_basic


def test_pyvk_error_keeps_args_and_kwargs_and_reads_them_as_attributes() -> None:
    e = vk.ReqError("Request failed after all attempts.", 1, exc=None, where="x")
    assert e.args == ("Request failed after all attempts.", 1)
    assert e.kwargs == {"exc": None, "where": "x"}
    assert e.where == "x" and e["exc"] is None
    with pytest.raises(KeyError):
        e["nope"]
    with pytest.raises(AttributeError):
        _ = e.nope
    assert getattr(e, "nope", 5) == 5
    assert copy.copy(e).args == e.args
    assert pickle.loads(pickle.dumps(e)).args == e.args


def test_config_defaults_are_pyvks_and_instances_are_read_only() -> None:
    c = vk.config.APIConfig(lang="ru", max_attempts=10, nonsense=1)
    assert (c.lang, c.max_attempts, c.raw, c.auto_delay, c.validation) == (
        "ru",
        10,
        False,
        True,
        True,
    )
    assert vk.config.GlobalConfig.timeout == 6.05 and vk.config.GlobalConfig.input is vk.Input
    assert (
        vk.config.APIConfig.response_type is dict and vk.config.ServerAuthConfig.display == "page"
    )
    assert c.unknown() == {"nonsense": 1}
    with pytest.raises(AttributeError):
        c.lang = "en"  # type: ignore[misc]


def test_a_typo_warns_with_the_closest_name_and_pyvk_options_pass_silently() -> None:
    with pytest.warns(UserWarning, match=r"'max_atempts'.*did you mean 'max_attempts'"):
        api = client(max_atempts=10)
    assert api._max_attempts == 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        client(scope=vk.p_docs, lang="ru", max_attempts=10)  # the seed's own example


def test_bad_options_are_usage_errors() -> None:
    with pytest.raises(core.UsageError):
        client(max_attempts=0)
    with pytest.raises(core.UsageError):
        client(rate_limit=-1)


def test_method_names_are_kept_verbatim_to_any_depth() -> None:
    api = client()
    assert api.wall.getById.method == "wall.getById"
    assert api.a.b.c.method == "a.b.c"
    assert repr(api.users.get) == "<API.users.get>"
    with pytest.raises(AttributeError):
        _ = api._private
    with pytest.raises(core.UsageError):
        api.call("")


def test_the_token_is_read_only_and_never_in_a_repr() -> None:
    api = client()
    assert api.token == TOKEN
    with pytest.raises(AttributeError):
        api.token = "x"  # type: ignore[misc]
    assert TOKEN not in repr(api) and "token=set" in repr(api)
    assert TOKEN not in repr(api.config)


def test_input_asks_each_documented_field(monkeypatch: pytest.MonkeyPatch) -> None:
    seen: list[str] = []
    monkeypatch.setattr("builtins.input", lambda text: seen.append(text) or " answer ")
    monkeypatch.setattr("getpass.getpass", lambda text: "pw")
    assert vk.Input.ask("captcha", img="https://x/c.png") == "answer"
    assert "https://x/c.png" in seen[-1]
    assert vk.Input.ask("phone", msg="Enter missing digits\n+7 ... 89: ") == "answer"
    assert seen[-1] == "Enter missing digits\n+7 ... 89: "
    assert vk.Input.ask("password") == "pw"
    for field in ("app_id", "username", "secret_code"):
        assert vk.Input.ask(field) == "answer"
    with pytest.raises(ValueError):
        vk.Input.ask("shoe_size")


class Recorder:
    asked: ClassVar[list[tuple[str, dict[str, Any]]]] = []

    @staticmethod
    def ask(field: str, **kw: Any) -> str:
        Recorder.asked.append((field, kw))
        return "K"


def test_the_prompt_handler_bridges_prompts_to_the_input_sync_and_async() -> None:
    Recorder.asked = []
    p = Prompt("captcha", "VK asks", {"img": "u"})
    assert prompt_handler(Recorder, sync=True)(p) == "K"
    assert asyncio.run(prompt_handler(Recorder, sync=False)(p)) == "K"  # off the loop
    assert Recorder.asked == [("captcha", {"img": "u"}), ("captcha", {"img": "u"})]


def test_the_client_uses_its_input_option_for_captchas() -> None:
    Recorder.asked = []
    api = vk.API(TOKEN, transport=Unused(), environ={}, input=Recorder)
    assert api._runtime.prompt(Prompt("captcha", "m", {"img": "u"})) == "K"
    assert Recorder.asked == [("captcha", {"img": "u"})]
