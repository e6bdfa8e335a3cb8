"""``tether shell``: a Python prompt with each service's ready client, driven by the lines a
person would type, against the session sandbox and without one."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tether.cli.main import cli

CLEAN = {
    k: None
    for k in (
        "TETHER_SANDBOX",
        "OVH_ENDPOINT",
        "OVH_APPLICATION_KEY",
        "OVH_APPLICATION_SECRET",
        "OVH_CONSUMER_KEY",
        "FLICKR_API_KEY",
        "FLICKR_API_SECRET",
        "VK_ACCESS_TOKEN",
    )
}


def typed(*lines: str, args: tuple[str, ...] = (), **env: Any) -> Any:
    return CliRunner().invoke(
        cli, ["shell", *args], input="\n".join(lines) + "\n", env={**CLEAN, **env}
    )


def test_each_service_is_a_ready_client_of_the_sandbox(tether_sandbox: Any) -> None:
    r = typed(
        'print("vk:", vk.users.get(user_ids=1)[0]["first_name"])',
        'print("ovh:", ovh.get("/me")["firstname"])',
        'print("flickr:", flickr.test.login(format="parsed-json")["user"]["id"])',
        "print(sorted(n for n in ('ovh', 'flickr', 'vk', 'tether') if n in globals()))",
        TETHER_SANDBOX=tether_sandbox.url,
    )
    assert r.exit_code == 0, r.output
    assert f"with the sandbox at {tether_sandbox.url}" in r.output
    nsid = tether_sandbox.credentials()["flickr"]["user"]["nsid"]
    assert "vk: Pavel" in r.output and "ovh: Ada" in r.output and f"flickr: {nsid}" in r.output
    assert "['flickr', 'ovh', 'tether', 'vk']" in r.output
    vk = tether_sandbox.credentials()["vk"]
    assert vk["access_token"] not in r.output  # the banner names clients, never credentials


def test_named_services_only_and_errors_shown_as_at_a_prompt(tether_sandbox: Any) -> None:
    r = typed("vk.users.get(user_ids='not-an-id')", "print('ovh' in dir())",
              args=("vk",), TETHER_SANDBOX=tether_sandbox.url)  # fmt: skip
    assert r.exit_code == 0, r.output
    assert "Invalid user id" in r.output  # the APIError's traceback, and the prompt goes on
    assert "False" in r.output


def test_a_service_that_cannot_be_made_is_named_and_the_others_offered(tmp_path: Path) -> None:
    r = typed("print(type(vk).__name__)", args=("flickr", "vk"), HOME=str(tmp_path))
    assert r.exit_code == 0, r.output
    assert "flickr: not available:" in r.output and "FLICKR_API_KEY" in r.output
    assert "API" in r.output


def test_an_unknown_service_is_a_usage_error() -> None:
    r = CliRunner().invoke(cli, ["shell", "nope"])
    assert r.exit_code == 2 and "nope" in r.output


@pytest.mark.parametrize("flag", ["--sandbox"])
def test_with_sandbox_a_sandbox_is_started_for_the_prompt(flag: str) -> None:
    r = typed('print(vk.users.get(user_ids=1)[0]["id"])', args=(flag, "vk"))
    assert r.exit_code == 0, r.output
    assert "with the sandbox at http://127.0.0.1:" in r.output and "\n>>> 1\n" in r.output
