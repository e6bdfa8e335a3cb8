"""OVH's configuration: python-ovh's settings sources, the sandbox redirect, the endpoint and
the authentication checks, shared by the constructor and ``explain``.

Invariants:
- One order, for ``Client()`` and ``explain()`` alike: load (arguments, then ``OVH_*``
  variables unless a ``config_file`` is given, then the INI files), the sandbox, the endpoint,
  the authentication checks.
- Every value keeps where it came from (``Settings``); the sandbox's values say so.
- A half-given credential set is refused with what to set, with or without the sandbox.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

from tether.core.config import EnvSource, Explanation, IniSource, MappingSource, Setting, Settings
from tether.core.errors import ConfigError
from tether.services.kit.client import SandboxRedirect, sandbox_redirect
from tether.services.ovh import errors as E
from tether.services.ovh.spec import CONFIG_KEYS, ENDPOINTS, OAUTH2_TOKEN_URLS

__all__ = [
    "apply_sandbox",
    "default_token_url",
    "endpoint_url",
    "explain",
    "load_settings",
    "validate_auth",
]


def load_settings(
    args: dict[str, str | None], config_file: str | None, environ: Mapping[str, str]
) -> Settings:
    holder: dict[str, Settings] = {}

    def section_for(name: str) -> str | None:
        if name == "endpoint":
            return "default"
        return holder["s"].get("endpoint")

    paths = [
        "/etc/ovh.conf",
        os.path.expanduser("~/.ovh.conf"),
        os.path.join(os.getcwd(), "ovh.conf"),
    ]
    sources: list[Any] = [MappingSource(args)]
    if config_file is not None:
        # The README promises that a custom file cuts off the environment; python-ovh's code
        # does not. We do what the README says. ``~`` is expanded (python-ovh PR #127).
        paths.append(os.path.expanduser(config_file))
    else:
        sources.append(EnvSource("OVH_", environ))
    sources.append(IniSource(paths, section_for))
    holder["s"] = settings = Settings(sources)
    for key in CONFIG_KEYS:
        settings.resolve(key)
    return settings


def apply_sandbox(settings: Settings, sandbox: SandboxRedirect) -> None:
    """``TETHER_SANDBOX``: every call goes to the sandbox; its test credentials fill the gaps.

    Raises:
        InvalidConfiguration: a consumer key or application secret is configured without an
            application key (see below).
    """
    creds = sandbox.credentials
    root = sandbox.root
    src = sandbox.source
    settings.override("endpoint", creds["base_url"], src)
    settings.override("token_url", creds.get("token_url"), src)
    has_ak = settings.get("application_key") is not None
    has_oauth = settings.get("client_id") is not None
    if not has_ak and not has_oauth:
        # A consumer key (or an application secret) belongs to one application and is useless
        # without its application key. Quietly swapping in the sandbox's whole set would make
        # calls "work" with credentials the user did not give, hiding a half-written
        # configuration that fails the moment TETHER_SANDBOX is unset; the same configuration
        # is refused without the sandbox too. So say so, and how to fix it.
        for key in ("application_secret", "consumer_key"):
            given = settings.resolve(key)
            if given.value is not None:
                raise E.InvalidConfiguration(
                    f"{key} is set ({given.source}) but application_key is not: a {key} works "
                    "only with the application key it belongs to. Set application_key and "
                    "application_secret as well (OVH_APPLICATION_KEY, OVH_APPLICATION_SECRET), "
                    f"or unset {key} to use the sandbox's test credentials (TETHER_SANDBOX={root})"
                )
        for key in ("application_key", "application_secret", "consumer_key"):
            settings.override(key, creds[key], src)
    elif (
        has_ak
        and settings.get("consumer_key") is None
        and settings.get("application_key") == creds["application_key"]
    ):
        settings.override("consumer_key", creds["consumer_key"], src)


def explain(
    config_file: str | None = None, environ: Mapping[str, str] | None = None
) -> Explanation:
    """Every setting a ``Client()`` built with these arguments would use, where each came from
    (sandbox values included when ``TETHER_SANDBOX`` is set), the base URL, and the first
    configuration problem instead of raising it. For ``tether config explain ovh``.

    Follows the same steps as the constructor: load, sandbox, endpoint, authentication checks.
    """
    environ = os.environ if environ is None else environ
    notes: list[str] = []
    try:
        settings = load_settings({}, config_file, environ)
    except ConfigError as e:  # an unreadable or malformed ovh.conf
        return Explanation("ovh", [], notes, str(e))
    problem = None
    try:
        sandbox = sandbox_redirect("ovh", environ)
        if sandbox is not None:
            notes.append(f"TETHER_SANDBOX={environ['TETHER_SANDBOX']}: calls go to the sandbox")
            apply_sandbox(settings, sandbox)
        notes.insert(0, f"base URL: {endpoint_url(settings.resolve('endpoint'))}")
        validate_auth(settings)
    except ConfigError as e:
        problem = str(e)
    return Explanation("ovh", settings.explain(), notes, problem)


def endpoint_url(ep: Setting) -> str:
    value = ep.value
    if value in ENDPOINTS:
        return ENDPOINTS[value]
    if value and value.startswith(("http://", "https://")):
        return value.rstrip("/")
    valid = ", ".join(ENDPOINTS)
    if value is None:
        raise E.InvalidRegion(
            f"No endpoint configured. Pass endpoint= (one of {valid}, or a base URL), set "
            "OVH_ENDPOINT, or put endpoint= under [default] in ovh.conf"
        )
    raise E.InvalidRegion(
        f"Unknown endpoint {value!r} (from {ep.source}). Valid endpoints: {valid}, or a base URL "
        "like https://eu.api.ovh.com/1.0"
    )


def default_token_url(name: str | None, base: str) -> str | None:
    if name in OAUTH2_TOKEN_URLS:
        return OAUTH2_TOKEN_URLS[name]
    if name and name.startswith(("http://", "https://")):
        # A base URL like <root>/ovh/1.0: the token endpoint sits beside the API root, which
        # is where the tether sandbox serves it. Pass token_url= for anything else.
        root = base.rsplit("/", 1)[0]
        return root + "/auth/oauth2/token"
    return None


def validate_auth(settings: Settings) -> None:
    """python-ovh's checks (ovh.md §6.3), except that explicit arguments win over a pair that
    came from a file or the environment instead of being refused."""
    ak, as_ = settings.resolve("application_key"), settings.resolve("application_secret")
    cid, csec = settings.resolve("client_id"), settings.resolve("client_secret")
    if bool(cid.value) != bool(csec.value):
        raise E.InvalidConfiguration(
            "Invalid OAuth2 config, both client_id and client_secret must be given"
        )
    if bool(ak.value) != bool(as_.value):
        raise E.InvalidConfiguration(
            "Invalid authentication config, both application_key and application_secret must "
            "be given"
        )
    if cid.value is not None and ak.value is not None:
        if cid.source == "argument" and ak.source != "argument":
            for key in ("application_key", "application_secret", "consumer_key"):
                settings.override(key, None, "ignored: OAuth2 arguments given")
            return
        if ak.source == "argument" and cid.source != "argument":
            for key in ("client_id", "client_secret"):
                settings.override(key, None, "ignored: application key arguments given")
            return
        raise E.InvalidConfiguration(
            "Can't use both application_key/application_secret and OAuth2 client_id/client_secret"
        )
    if cid.value is None and ak.value is None:
        raise E.InvalidConfiguration(
            "Missing authentication information, you need to provide at least an "
            "application_key/application_secret or a client_id/client_secret"
        )
