"""``tether upload vk FILE --kind …``: VK's upload hook against the session sandbox, with its
progress lines and the attachment string it prints; and through the ``tether`` command."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from tether.services.vk import cli as vk_cli


@pytest.fixture
def sandboxed(tether_sandbox: Any, monkeypatch: pytest.MonkeyPatch) -> Any:
    tether_sandbox.control("POST", "/_sandbox/vk/rate", {"per_second": 0, "group_per_second": 0})
    monkeypatch.setenv("TETHER_SANDBOX", tether_sandbox.url)
    monkeypatch.delenv("VK_ACCESS_TOKEN", raising=False)
    return tether_sandbox


def photo(tmp_path: Path) -> Path:
    path = tmp_path / "cat.jpg"
    path.write_bytes(b"\xff\xd8" + b"p" * 100_000)
    return path


@pytest.mark.parametrize(
    ("options", "prefix"),
    [
        ({"vk_kind": "photo", "vk_group": 5}, "photo-5_"),
        ({"vk_kind": "photo", "vk_album": 1}, "photo100_"),
        ({"vk_kind": "doc", "title": "Cat"}, "doc100_"),
        ({"vk_kind": "wall-doc", "vk_group": 5}, "doc-5_"),
        ({"vk_kind": "video", "title": "Clip"}, "video100_"),
        ({"vk_kind": "message-photo"}, "photo100_"),
        ({"vk_kind": "profile-photo"}, "photo100_"),
        ({"vk_kind": "audio"}, "audio100_"),
    ],
)
def test_the_hook_uploads_and_prints_the_attachment(
    sandboxed: Any,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    options: dict[str, Any],
    prefix: str,
) -> None:
    vk_cli.upload(str(photo(tmp_path)), options)
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "uploading: 0%" and lines[-2] == "uploading: 100%"
    assert lines[-1].startswith(prefix)
    assert sandboxed.credentials()["vk"]["access_token"] not in "\n".join(lines)


def test_a_missing_file_is_a_usage_error(sandboxed: Any, tmp_path: Path) -> None:
    from tether.core.errors import UsageError

    with pytest.raises(UsageError, match="no such file"):
        vk_cli.upload(str(tmp_path / "nope.jpg"), {"vk_kind": "photo"})


def test_tether_upload_vk_through_the_command(tether_sandbox: Any, tmp_path: Path) -> None:
    from tether.cli.main import cli

    tether_sandbox.control("POST", "/_sandbox/vk/rate", {"per_second": 0})
    env = {"TETHER_SANDBOX": tether_sandbox.url, "VK_ACCESS_TOKEN": None}
    args = ["upload", "vk", str(photo(tmp_path)), "--kind", "doc"]
    r = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert r.exit_code == 0, r.output
    assert r.output.strip().splitlines()[-1].startswith("doc100_")


def test_tether_upload_vk_photo_file_the_kind_before_the_file(
    tether_sandbox: Any, tmp_path: Path
) -> None:
    from tether.cli.main import cli

    tether_sandbox.control("POST", "/_sandbox/vk/rate", {"per_second": 0})
    env = {"TETHER_SANDBOX": tether_sandbox.url, "VK_ACCESS_TOKEN": None}
    r = CliRunner().invoke(cli, ["upload", "vk", "photo", str(photo(tmp_path))], env=env)
    assert r.exit_code == 0, r.output
    assert r.output.strip().splitlines()[-1].startswith("photo100_")
    r = CliRunner().invoke(cli, ["upload", "vk", "gif", str(photo(tmp_path))], env=env)
    assert r.exit_code == 2 and "vk uploads one of: photo, message-photo" in r.output
    r = CliRunner().invoke(cli, ["upload", "flickr", "photo", str(photo(tmp_path))], env=env)
    assert r.exit_code == 2 and "give one file to upload: tether upload flickr FILE" in r.output
    r = CliRunner().invoke(cli, ["upload", "vk", str(tmp_path)], env=env)
    assert r.exit_code == 2 and "is a folder" in r.output
