"""``tether call vk`` and ``tether config explain vk`` through the registry, against the
session sandbox (in-process, click's runner)."""

from __future__ import annotations

import json
from typing import Any

from click.testing import CliRunner, Result

from tether.cli.main import cli


def run(*args: str, sandbox: Any = None, **env: str) -> Result:
    clean: dict[str, str | None] = {"VK_ACCESS_TOKEN": None, "TETHER_SANDBOX": None}
    if sandbox is not None:
        clean["TETHER_SANDBOX"] = sandbox.url
    clean.update(env)
    return CliRunner().invoke(cli, list(args), env=clean, catch_exceptions=False)


def test_call_vk_prints_the_response(tether_sandbox: Any) -> None:
    r = run("call", "vk", "users.get", "user_ids=1", "fields=bdate", sandbox=tether_sandbox)
    assert r.exit_code == 0, r.output
    (user,) = json.loads(r.output)
    assert user["id"] == 1 and "bdate" in user


def test_a_vk_error_is_one_line_and_exit_1(tether_sandbox: Any) -> None:
    r = run("call", "vk", "no.suchMethod", sandbox=tether_sandbox)
    assert r.exit_code == 1
    assert "VK error 3" in r.output and len(r.output.strip().splitlines()) == 1


def test_config_explain_vk_names_the_sources_and_hides_the_token(tether_sandbox: Any) -> None:
    r = run("config", "explain", "vk", sandbox=tether_sandbox)
    assert r.exit_code == 0, r.output
    assert "access_token" in r.output and "sandbox" in r.output
    assert tether_sandbox.credentials()["vk"]["access_token"] not in r.output


def test_config_explain_vk_without_a_token_says_what_to_set() -> None:
    r = run("config", "explain", "vk")
    assert r.exit_code == 1
    assert "VK_ACCESS_TOKEN" in r.output
