"""``tether login vk``: PyVK's ``ClientAuth`` with its questions on the terminal, against the
session sandbox (the hook directly, and through click)."""

from __future__ import annotations

import builtins
import getpass
from typing import Any

import pytest
from click.testing import CliRunner

from tether.services.vk import cli as vk_cli


@pytest.fixture
def terminal(monkeypatch: pytest.MonkeyPatch, tmp_path: Any) -> list[str]:
    """What the terminal was asked; answers come from ``answers`` (set per test)."""
    asked: list[str] = []
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("VK_USERNAME", raising=False)
    monkeypatch.delenv("VK_APP_ID", raising=False)
    return asked


def answer_with(monkeypatch: pytest.MonkeyPatch, asked: list[str], **answers: str) -> None:
    def fake_input(prompt: str = "") -> str:
        asked.append(prompt)
        for key, value in answers.items():
            if key in prompt.lower():
                return value
        raise AssertionError(f"unexpected question {prompt!r}")

    def fake_getpass(prompt: str = "") -> str:
        asked.append(prompt)
        return answers["password"]

    monkeypatch.setattr(builtins, "input", fake_input)
    monkeypatch.setattr(getpass, "getpass", fake_getpass)


def test_login_hook_signs_in_with_2fa_on_the_terminal_and_remembers(
    tether_sandbox: Any, terminal: list[str], monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str], tmp_path: Any,
) -> None:  # fmt: skip
    account = tether_sandbox.credentials()["vk"]["user_2fa"]
    monkeypatch.setenv("TETHER_SANDBOX", tether_sandbox.url)
    answer_with(monkeypatch, terminal, password=account["password"],
                **{"secret code": account["code"], "allow": "y"})  # fmt: skip
    vk_cli.login({"username": account["login"]}, store_token=True)
    out = capsys.readouterr().out
    assert f"user {account['user_id']}" in out and account["password"] not in out
    assert [q.split(":")[0] for q in terminal] == ["Password", "Secret code (2FA)", "Allow tether"]
    assert any(p.is_file() for p in (tmp_path / "tether" / "vk").iterdir())
    terminal.clear()
    vk_cli.login({"username": account["login"]}, store_token=True)
    assert terminal == []  # the remembered token: nothing asked


def test_login_hook_refused_dialog_is_an_error_and_stores_nothing(
    tether_sandbox: Any, terminal: list[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Any
) -> None:
    from tether.vk.exceptions import AuthError

    account = tether_sandbox.credentials()["vk"]["user"]
    monkeypatch.setenv("TETHER_SANDBOX", tether_sandbox.url)
    answer_with(monkeypatch, terminal, password=account["password"], allow="n")
    with pytest.raises(AuthError, match="did not allow"):
        vk_cli.login({"username": account["login"]}, store_token=False)
    assert not (tmp_path / "tether").exists()


def test_tether_login_vk_through_click(
    tether_sandbox: Any, terminal: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tether.cli.main import cli

    account = tether_sandbox.credentials()["vk"]["user"]
    answer_with(monkeypatch, terminal, password=account["password"], allow="y")
    r = CliRunner().invoke(
        cli, ["login", "vk", "--username", account["login"]],
        env={"TETHER_SANDBOX": tether_sandbox.url}, catch_exceptions=False,
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert f"user {account['user_id']}" in r.output
