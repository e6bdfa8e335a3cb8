"""OVHcloud's part of the ``tether`` command: ``call`` and ``config explain`` (no login, no upload).

The hook contract is stated in ``tether.services.registry``. Invariants:
- Top level imports only click and ``tether.cli.kit``: the facade is imported when a hook runs.
- Output is what the command printed before the registry (issue 8): the result as indented
  JSON; a failure is a ``TetherError`` the command's core turns into one line and exit 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click

from tether.cli.kit import echo_json, parse_params

CALL_OPTIONS = (
    click.Option(
        ["--no-auth"], is_flag=True, help="OVH: send the call unsigned (for public routes)."
    ),
)
CALL_METHOD = "OVH: GET, POST, PUT or DELETE, then the PATH (/me …)."
CALL_ARGS_NOTE = "for OVH, PATH comes first"
CALL_EXAMPLES = (
    "tether call ovh GET /me --sandbox",
    "tether call ovh GET /me/bill date.from=2024-01-01",
    "tether call ovh POST /email/domain/example.com/redirection from=a@x.org to=b@x.org "
    "localCopy:=false",
)


def call(method: str, args: tuple[str, ...], options: Mapping[str, Any]) -> None:
    """``tether call ovh VERB PATH [key=value …]``: print the answer as JSON.

    Raises:
        click.UsageError: no PATH; click.BadParameter: an unknown verb or a bad parameter.
        TetherError: the call failed.
    """
    if not args:
        raise click.UsageError("tether call ovh METHOD PATH [key=value …]")
    echo_json(_call(method, args[0], parse_params(args[1:]), bool(options.get("no_auth"))))


def shell() -> Any:
    """The ``ovh`` of ``tether shell``: a ``Client`` from the OVH_* settings (or the sandbox)."""
    from tether.ovh import Client

    return Client()


def _call(method: str, path: str, kwargs: dict[str, Any], no_auth: bool) -> Any:
    with shell() as client:
        method = method.upper()
        if method in ("GET", "DELETE"):
            return getattr(client, method.lower())(path, _need_auth=not no_auth, **kwargs)
        if method in ("POST", "PUT"):
            return client.call(method, path, kwargs or None, need_auth=not no_auth)
        raise click.BadParameter(f"{method}: use GET, POST, PUT or DELETE")


def explain(environ: Mapping[str, str]) -> Any:
    """The ``Explanation`` of the settings a ``Client()`` would use in ``environ``."""
    from tether.services.ovh.api import explain as explain_settings

    return explain_settings(environ=environ)


def ready_args(creds: Mapping[str, Any]) -> dict[str, Any]:
    """``Client`` arguments for the sandbox's validated full-access consumer key, given the OVH
    block of its credentials."""
    return {
        "endpoint": creds["base_url"],
        "application_key": creds["application_key"],
        "application_secret": creds["application_secret"],
        "consumer_key": creds["consumer_key"],
    }
