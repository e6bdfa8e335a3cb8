"""Exit codes, error lines, help texts and ``config explain`` of the ``tether`` command
(issue 7, items 8 and 9), run in-process with click's runner against the session sandbox."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner, Result

from tether.cli.main import cli


def run(*args: str, sandbox: Any = None, home: Path | None = None, **env: str) -> Result:
    """``tether ARGS`` with a clean environment: no OVH_/FLICKR_ variables from the machine."""
    clean: dict[str, str | None] = {
        k: None
        for k in (
            "OVH_ENDPOINT",
            "OVH_APPLICATION_KEY",
            "OVH_APPLICATION_SECRET",
            "OVH_CONSUMER_KEY",
            "OVH_CLIENT_ID",
            "OVH_CLIENT_SECRET",
            "FLICKR_API_KEY",
            "FLICKR_API_SECRET",
            "TETHER_SANDBOX",
        )
    }
    if sandbox is not None:
        clean["TETHER_SANDBOX"] = sandbox.url
    if home is not None:
        clean["HOME"] = str(home)
    clean.update(env)
    return CliRunner().invoke(cli, list(args), env=clean, catch_exceptions=False)


@pytest.mark.parametrize("fmt", ["json", "rest"])
def test_unparsed_failure_prints_the_answer_and_exits_non_zero(
    tether_sandbox: Any, tmp_path: Path, fmt: str
) -> None:
    # Before: the failure was printed and the exit status was 0.
    r = run("call", "flickr", "photos.nope", "--format", fmt, sandbox=tether_sandbox, home=tmp_path)
    assert r.exit_code == 1
    assert "fail" in r.stdout and "112" in r.stdout  # the raw answer, as asked for
    assert r.stderr.startswith("error: ") and "112" in r.stderr
    assert "flickr.photos.nope" in r.stderr


@pytest.mark.parametrize("fmt", ["json", "rest"])
def test_unparsed_success_exits_zero(tether_sandbox: Any, tmp_path: Path, fmt: str) -> None:
    r = run(
        "call", "flickr", "test.echo", "a=b", "--format", fmt, sandbox=tether_sandbox, home=tmp_path
    )
    assert r.exit_code == 0, r.stderr
    assert "ok" in r.stdout and r.stderr == ""


def test_flickr_error_line_has_one_prefix(tether_sandbox: Any, tmp_path: Path) -> None:
    # Before: "error: Error: 112: …".
    r = run("call", "flickr", "photos.nope", sandbox=tether_sandbox, home=tmp_path)
    assert r.exit_code == 1
    line = r.stderr.strip()
    assert "\n" not in line
    assert line.startswith("error: ") and "Error:" not in line
    assert "112" in line and "flickr.photos.nope" in line


def test_ovh_error_is_one_line_with_the_call_and_query_id(tether_sandbox: Any) -> None:
    r = run("call", "ovh", "GET", "/nope", sandbox=tether_sandbox)
    assert r.exit_code == 1
    line = r.stderr.strip()
    assert "\n" not in line and line.startswith("error: ")
    assert "GET /nope" in line and "OVH-Query-ID: " in line


def test_config_explain_flickr_shows_flickr_settings(tmp_path: Path) -> None:
    # Before: it printed OVH's settings.
    r = run(
        "config",
        "explain",
        "flickr",
        home=tmp_path,
        FLICKR_API_KEY="0123456789abcdef0123456789abcdef",
        FLICKR_API_SECRET="TOPSECRETVALUE",
    )
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "application_key" not in out and "ovh" not in out.lower()
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert "0123456789abcdef0123456789abcdef" in lines["api_key"]
    assert "environment variable FLICKR_API_KEY" in lines["api_key"]
    assert "environment variable FLICKR_API_SECRET" in lines["api_secret"]
    assert "TOPSECRETVALUE" not in out
    assert "https://api.flickr.com/services/rest/" in lines["rest_url"]
    assert str(tmp_path / ".flickr") in out  # where the token is kept


def test_config_explain_flickr_without_a_key_says_what_to_do(tmp_path: Path) -> None:
    r = run("config", "explain", "flickr", home=tmp_path)
    assert r.exit_code == 1, r.stderr  # no key: a problem, shown with the settings
    assert "FLICKR_API_KEY" in r.stdout and "(unset)" in r.stdout


def test_config_explain_flickr_with_the_sandbox(tether_sandbox: Any, tmp_path: Path) -> None:
    creds = tether_sandbox.credentials()["flickr"]
    r = run("config", "explain", "flickr", sandbox=tether_sandbox, home=tmp_path)
    assert r.exit_code == 0, r.stderr
    lines = {line.split()[0]: line for line in r.stdout.splitlines() if line.strip()}
    assert creds["api_key"] in lines["api_key"] and "TETHER_SANDBOX" in lines["api_key"]
    assert creds["rest_url"] in lines["rest_url"] and "TETHER_SANDBOX" in lines["rest_url"]
    assert creds["secret"] not in r.stdout and creds["oauth_token"] not in r.stdout


def test_config_explain_ovh_with_the_sandbox(tether_sandbox: Any, tmp_path: Path) -> None:
    # Before: "(unset)" everywhere and "No endpoint configured".
    creds = tether_sandbox.credentials()["ovh"]
    r = run("config", "explain", "ovh", sandbox=tether_sandbox, home=tmp_path)
    assert r.exit_code == 0, r.stderr
    out = r.stdout
    assert "No endpoint configured" not in out
    lines = {line.split()[0]: line for line in out.splitlines() if line.strip()}
    assert creds["base_url"] in lines["endpoint"] and "TETHER_SANDBOX" in lines["endpoint"]
    assert creds["application_key"] in lines["application_key"]
    assert creds["consumer_key"] not in out and creds["application_secret"] not in out
    assert f"base URL: {creds['base_url']}" in out


def test_config_explain_ovh_names_a_configuration_problem(tmp_path: Path) -> None:
    r = run("config", "explain", "ovh", home=tmp_path, OVH_ENDPOINT="ovh-eu")
    assert r.exit_code == 1, r.stderr  # shown in full, and a failure like any other
    assert "endpoint" in r.stdout and "Missing authentication information" in r.stdout


def _commands(group: click.Group, ctx: click.Context) -> list[tuple[str, click.Command]]:
    out: list[tuple[str, click.Command]] = []
    for name in group.list_commands(ctx):
        cmd = group.get_command(ctx, name)
        assert cmd is not None
        out.append((name, cmd))
        if isinstance(cmd, click.Group):
            out += [(f"{name} {n}", c) for n, c in _commands(cmd, ctx)]
    return out


def test_every_option_and_argument_has_help() -> None:
    # Before: login --perms, upload --title/--description/--public had none.
    ctx = click.Context(cli)
    missing = []
    for name, cmd in _commands(cli, ctx):
        assert cmd.help, f"tether {name} has no help"
        for p in cmd.params:
            if isinstance(p, click.Option) and not p.help:
                missing.append(f"tether {name} {p.opts[0]}")
            if isinstance(p, click.Argument):
                # click arguments take no help=: their help is the command's text.
                assert p.human_readable_name in (cmd.help or ""), (name, p.human_readable_name)
    assert missing == []


@pytest.mark.parametrize("command", [["call"], ["login"], ["upload"], ["config", "explain"]])
def test_command_help_reads_well(command: list[str]) -> None:
    r = run(*command, "--help")
    assert r.exit_code == 0
    assert "Usage: " in r.stdout and "Options:" in r.stdout


def test_call_ovh_without_a_path_is_a_usage_error(tether_sandbox: Any) -> None:
    r = run("call", "ovh", "GET", sandbox=tether_sandbox)
    assert r.exit_code == 2 and "PATH" in r.stderr


def test_json_output_is_json(tether_sandbox: Any) -> None:
    r = run("call", "ovh", "GET", "/me", sandbox=tether_sandbox)
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["firstname"]
