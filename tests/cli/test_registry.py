"""The service registry (issue 8, item 5): each declaration is complete and lazy, the CLI
dispatches through it, and a service added to it brings its commands with no CLI edit."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tether.cli.main import cli
from tether.sandbox import registry as sandbox_registry
from tether.services import registry

HEAVY = ("click", "tether.services.ovh", "tether.services.flickr", "tether.sandbox", "urllib3")


def _loaded_after(code: str) -> list[str]:
    probe = f"{code}; import sys, json; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True
    ).stdout
    return list(json.loads(out.splitlines()[-1]))


def test_importing_the_registry_imports_nothing_heavy() -> None:
    loaded = _loaded_after("import tether.services.registry")
    assert [m for m in loaded if m.startswith(HEAVY)] == []


def test_tether_help_imports_no_facade_and_no_sandbox() -> None:
    loaded = _loaded_after("import tether.cli.main")
    heavy = ("tether.services.ovh.api", "tether.services.flickr.api", "tether.sandbox")
    assert [m for m in loaded if m.startswith((*heavy, "aiohttp", "urllib3"))] == []


@pytest.mark.parametrize("service", registry.SERVICES, ids=lambda s: s.name)
def test_each_declaration_is_complete(service: registry.Service) -> None:
    hooks = service.hooks()
    for command in service.commands:
        assert callable(getattr(hooks, command)), (service.name, command)
    assert callable(hooks.ready_args)
    assert service.client_class().__name__ and service.client_class(asynchronous=True)
    assert service.client_class(asynchronous=True) is not service.client_class()
    # The sandbox runs the emulator this declaration names.
    assert sandbox_registry.spec_for(service.name).module == service.emulator


def test_names_get_and_commands() -> None:
    assert registry.names() == ("ovh", "flickr", "vk")
    assert registry.names("login") == ("flickr", "vk")
    assert registry.names("upload") == ("flickr", "vk")
    assert registry.names("explain") == ("ovh", "flickr", "vk")
    assert registry.get("ovh").credentials_key == "ovh"
    with pytest.raises(KeyError, match="known: ovh, flickr, vk"):
        registry.get("nope")
    with pytest.raises(ValueError, match="unknown commands"):
        registry.Service("x", "X", "m:A", "m:B", "m", frozenset({"dance"}), "e")


def test_a_declaration_is_read_only() -> None:
    with pytest.raises(AttributeError):
        registry.get("ovh").name = "vk"  # type: ignore[misc]
    assert "ovh" in repr(registry.get("ovh"))


@pytest.mark.parametrize(("command", "have"), [("login", "flickr, vk"), ("upload", "flickr, vk")])
def test_a_service_without_the_command_is_told_which_have_it(command: str, have: str) -> None:
    args = [command, "ovh"] + (["photo.jpg"] if command == "upload" else [])
    r = CliRunner().invoke(cli, args)
    assert r.exit_code == 2
    assert f"ovh has no {command} command (services with one: {have})" in r.stderr


FAKE_HOOKS = """
import click

CALL_OPTIONS = (click.Option(["--shout"], is_flag=True, help="Fake: upper-case the answer."),)
CALL_METHOD = "Fake: any word."
CALL_ARGS_NOTE = None
CALL_EXAMPLES = ("tether call fake hello a=1",)
LOGIN_OPTIONS = ()
LOGIN_HELP = "Fake logs in at once."


def call(method, args, options):
    text = f"fake {method} {list(args)}"
    click.echo(text.upper() if options.get("shout") else text)


def login(options, *, store_token):
    click.echo(f"fake logged in, store_token={store_token}")


def explain(environ):
    raise NotImplementedError


def ready_args(creds):
    return {}
"""

FAKE_RUN = """
import sys
from click.testing import CliRunner
from tether.services import registry
registry.SERVICES = registry.SERVICES + (
    registry.Service("fake", "Fake", "fake_hooks:X", "fake_hooks:Y", "fake_hooks",
                     frozenset({"call", "login"}), "fake_emulator"),
)
from tether.cli.main import cli
for args in (["call", "fake", "hello", "a=1", "--shout"], ["login", "fake"], ["call", "--help"],
             ["login", "--help"], ["upload", "fake", "x"]):
    r = CliRunner().invoke(cli, args)
    print("<<", r.exit_code, r.output, ">>")
"""


def test_a_new_service_brings_its_commands_without_a_cli_edit(tmp_path: Path) -> None:
    (tmp_path / "fake_hooks.py").write_text(textwrap.dedent(FAKE_HOOKS))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(tmp_path), *sys.path]))
    out = subprocess.run(
        [sys.executable, "-c", FAKE_RUN], capture_output=True, text=True, env=env, check=True
    ).stdout
    runs = [chunk.split(">>")[0] for chunk in out.split("<< ")[1:]]
    assert runs[0].startswith("0 FAKE HELLO ['A=1']")  # its call hook and its own option
    assert runs[1].startswith("0 fake logged in, store_token=True")
    assert "ovh, flickr, vk or fake" in runs[2] and "Fake: any word." in runs[2]
    assert "tether call fake hello a=1" in runs[2] and "--shout" in runs[2]
    assert "(flickr, vk or fake)" in runs[3] and "Fake logs in at once." in runs[3]
    assert runs[4].startswith("2 ") and "fake has no upload command" in runs[4]
