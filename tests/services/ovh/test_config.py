"""Configuration: arguments > OVH_* variables > ./ovh.conf > ~/.ovh.conf > /etc/ovh.conf,
with provenance, python-ovh's validation, and clear errors for broken files."""

from __future__ import annotations

from pathlib import Path

import pytest

from tether import ConfigError
from tether.ovh import Client, InvalidConfiguration, InvalidRegion


class NoTransport:
    def send(self, request):  # pragma: no cover - configuration tests never send
        raise AssertionError

    def close(self) -> None:
        pass


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    h = tmp_path / "home"
    w = tmp_path / "work"
    h.mkdir()
    w.mkdir()
    monkeypatch.setenv("HOME", str(h))
    monkeypatch.chdir(w)
    return h


def make(environ: dict[str, str] | None = None, **kw) -> Client:
    return Client(transport=NoTransport(), environ=environ or {}, **kw)


def test_argument_beats_env_beats_files(home: Path) -> None:
    (home / ".ovh.conf").write_text(
        "[default]\nendpoint=ovh-ca\n[ovh-ca]\napplication_key=homeAK\napplication_secret=homeAS\n"
        "consumer_key=homeCK\n"
    )
    Path("ovh.conf").write_text("[ovh-ca]\napplication_key=cwdAK\n")
    c = make({"OVH_CONSUMER_KEY": "envCK"}, application_secret="argAS")
    assert c.endpoint == "https://ca.api.ovh.com/1.0"
    assert c.application_key == "cwdAK"
    assert c.consumer_key == "envCK"
    sources = {s.name: s.source for s in c.settings()}
    assert sources["endpoint"] == f"{home / '.ovh.conf'} [default]"
    assert sources["application_key"].endswith("ovh.conf [ovh-ca]")
    assert "work" in sources["application_key"]
    assert sources["consumer_key"] == "environment variable OVH_CONSUMER_KEY"
    assert sources["application_secret"] == "argument"


def test_custom_config_file_cuts_off_environment(home: Path, tmp_path: Path) -> None:
    cfg = tmp_path / "my.conf"
    cfg.write_text(
        "[default]\nendpoint=kimsufi-eu\n[kimsufi-eu]\napplication_key=AK\napplication_secret=AS\n"
    )
    c = make({"OVH_ENDPOINT": "ovh-eu", "OVH_CONSUMER_KEY": "envCK"}, config_file=str(cfg))
    assert c.endpoint == "https://eu.api.kimsufi.com/1.0"
    assert c.consumer_key is None  # the README's promise: no inheritance from the environment


def test_all_endpoint_aliases_and_urls(home: Path) -> None:
    for alias, url in {
        "ovh-eu": "https://eu.api.ovh.com/1.0",
        "ovh-ca": "https://ca.api.ovh.com/1.0",
        "ovh-us": "https://api.us.ovhcloud.com/1.0",
        "soyoustart-eu": "https://eu.api.soyoustart.com/1.0",
        "soyoustart-ca": "https://ca.api.soyoustart.com/1.0",
        "kimsufi-eu": "https://eu.api.kimsufi.com/1.0",
        "kimsufi-ca": "https://ca.api.kimsufi.com/1.0",
        "http://127.0.0.1:9/ovh/1.0/": "http://127.0.0.1:9/ovh/1.0",
    }.items():
        assert make(endpoint=alias, application_key="a", application_secret="b").endpoint == url


def test_unknown_endpoint_alias_is_clear(home: Path) -> None:
    with pytest.raises(InvalidRegion) as e:
        make(endpoint="ovh-xx", application_key="a", application_secret="b")
    assert "ovh-xx" in str(e.value) and "ovh-eu" in str(e.value) and "%s" not in str(e.value)
    assert isinstance(e.value, ConfigError)
    with pytest.raises(InvalidRegion, match="No endpoint configured"):
        make(application_key="a", application_secret="b")


@pytest.mark.parametrize(
    ("kw", "message"),
    [
        ({"client_id": "x"}, "both client_id and client_secret"),
        ({"application_key": "x"}, "both application_key and application_secret"),
        ({}, "Missing authentication information"),
        (
            {
                "application_key": "a",
                "application_secret": "b",
                "client_id": "c",
                "client_secret": "d",
            },
            "Can't use both",
        ),
        ({"endpoint": "kimsufi-eu", "client_id": "c", "client_secret": "d"}, "not compatible"),
    ],
)
def test_validation_messages(home: Path, kw: dict[str, str], message: str) -> None:
    kw.setdefault("endpoint", "ovh-eu")
    with pytest.raises(InvalidConfiguration, match=message):
        make(**kw)


def test_oauth2_arguments_win_over_key_from_file(home: Path) -> None:
    """python-ovh refuses this (its go-ovh twin too, #94); an explicit argument should win."""
    (home / ".ovh.conf").write_text("[ovh-eu]\napplication_key=fileAK\napplication_secret=fileAS\n")
    c = make(endpoint="ovh-eu", client_id="cid", client_secret="csec")
    assert c.application_key is None and c._oauth2


@pytest.mark.parametrize(
    "content",
    ["endpoint=ovh-eu\n", "[default\nendpoint=x\n", "[a]\n[a]\n", b"\xff\xfe[\x00"],
)
def test_broken_config_file_is_a_clear_error(home: Path, content: str | bytes) -> None:
    p = Path("ovh.conf")
    if isinstance(content, bytes):
        p.write_bytes(content)
    else:
        p.write_text(content)
    with pytest.raises(ConfigError) as e:
        make(endpoint="ovh-eu", application_key="a", application_secret="b")
    assert "ovh.conf" in str(e.value)


def test_config_file_tilde_is_expanded(home: Path) -> None:
    (home / "custom.conf").write_text(
        "[default]\nendpoint=ovh-us\n[ovh-us]\napplication_key=A\napplication_secret=B\n"
    )
    assert make(config_file="~/custom.conf").endpoint == "https://api.us.ovhcloud.com/1.0"


def test_secrets_not_shown_by_explain(home: Path) -> None:
    c = make(
        endpoint="ovh-eu",
        application_key="AKAKAK",
        application_secret="SECRETSECRET",
        consumer_key="CKCKCKCK",
    )
    shown = {s.name: s.shown() for s in c.settings()}
    assert shown["application_secret"] == "***"
    assert shown["consumer_key"] == "***"
    assert shown["application_key"] == "AKAKAK"
    assert "SECRETSECRET" not in repr(c) and "CKCKCKCK" not in repr(c)
