"""VK's part of the ``tether`` command: ``call``, ``login`` (PyVK's ``ClientAuth``, the
questions asked on the terminal) and ``config explain`` (upload comes with VK's upload slice
of issue 9).

The hook contract is stated in ``tether.services.registry``. Invariants:
- Top level imports only click and ``tether.cli.kit``: the facade is imported when a hook runs.
- The token comes from VK_ACCESS_TOKEN, else (with TETHER_SANDBOX) the sandbox's ready user
  token, as ``API`` itself picks it. It is shown only as set or unset.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import click

from tether.cli.kit import echo_json, parse_params

CALL_OPTIONS = ()
CALL_METHOD = "VK: the method name (users.get, wall.get …)."
CALL_ARGS_NOTE = None
CALL_EXAMPLES = ("tether call vk users.get user_ids=1 fields=bdate --sandbox",)

LOGIN_OPTIONS = (
    click.Option(["--username"], help="VK: the login (e-mail, phone or name) to sign in with."),
)
LOGIN_HELP = (
    "VK: signs in on VK's pages with your login (--username, else VK_USERNAME, else asked) "
    "and password (asked, never stored); the token and session are remembered."
)

_NO_TOKEN = (
    "set VK_ACCESS_TOKEN to a VK access token, or use --sandbox (or TETHER_SANDBOX) for the "
    "sandbox's test token"
)


def call(method: str, args: tuple[str, ...], options: Mapping[str, Any]) -> None:
    """``tether call vk METHOD [key=value …]``: print the ``response`` as JSON.

    Raises:
        TetherError: the call failed (VK's error code and message in one line).
    """
    with shell() as api:
        echo_json(api.call(method, **parse_params(args)))


def shell() -> Any:
    """The ``vk`` of ``tether shell``: an ``API`` with VK_ACCESS_TOKEN (or the sandbox's)."""
    from tether.vk import API

    return API(os.environ.get("VK_ACCESS_TOKEN") or None)


# -- upload (services/vk/uploads.py) -----------------------------------------------------------

#: ``tether upload vk KIND FILE`` (the kind may also be given as ``--kind``).
UPLOAD_KINDS = ("photo", "message-photo", "profile-photo", "doc", "wall-doc", "video", "audio")
UPLOAD_OPTIONS = (
    click.Option(
        ["--kind", "vk_kind"],
        type=click.Choice(UPLOAD_KINDS),
        help="VK: what FILE is (default photo; or give it before FILE: tether upload vk doc "
        "FILE). A photo goes to the wall photos (ready for wall.post), or into --album.",
    ),
    click.Option(["--album", "vk_album"], type=int, help="VK: the album id for a photo."),
    click.Option(
        ["--group", "vk_group"], type=int, help="VK: the community (its wall, album, documents)."
    ),
)
UPLOAD_HELP = "VK: prints the attachment string (photo-5_11) to pass to wall.post."


def upload(file: str, options: Mapping[str, Any]) -> None:
    """``tether upload vk [KIND] FILE [--group ID] [--album ID]`` (KIND photo, doc, video …;
    or ``--kind``): stream it with progress, then print its attachment string.

    Raises:
        TetherError: a step failed (the file unreadable, VK's refusal, the upload server's).
    """
    from tether.cli.kit import progress
    from tether.vk import API

    kind = options.get("kind") or options.get("vk_kind") or "photo"
    group = options.get("vk_group")
    title = options.get("title")
    with API(os.environ.get("VK_ACCESS_TOKEN") or None) as api, progress() as callback:
        up, where = api.upload, {"callback": callback}
        if kind == "photo" and options.get("vk_album") is not None:
            done = up.photo(file, options["vk_album"], group, caption=title, **where)
        elif kind == "photo":
            done = up.wall_photo(file, group, caption=title, **where)
        elif kind == "message-photo":
            done = up.message_photo(file, **where)
        elif kind == "profile-photo":
            done = up.profile_photo(file, -group if group else None, **where)
        elif kind in ("doc", "wall-doc"):
            done = up.document(file, title, group_id=group, to_wall=kind == "wall-doc", **where)
        elif kind == "video":
            about = {"name": title, "description": options.get("description")}
            done = up.video(file, group_id=group, **about, **where)
        else:
            done = up.audio(file, title=title, **where)
    click.echo(done.attachment or "saved")


def _settings(environ: Mapping[str, str]) -> Any:
    from tether.core.config import EnvSource, Settings
    from tether.services.kit.client import sandbox_redirect
    from tether.services.vk.spec import API_URL

    settings = Settings([EnvSource("VK_", environ)])
    settings.resolve("access_token")
    sandbox = sandbox_redirect("vk", environ)
    if sandbox is not None:
        if not settings.get("access_token"):
            settings.override("access_token", sandbox.credentials["access_token"], sandbox.source)
        settings.override("api_url", sandbox.credentials["api_url"], sandbox.source)
    else:
        settings.override("api_url", API_URL, "default (VK)")
    return settings


def explain(environ: Mapping[str, str]) -> Any:
    """VK's settings as ``tether call vk`` uses them."""
    from tether.core.config import Explanation
    from tether.core.errors import TetherError

    try:
        settings = _settings(environ)
    except TetherError as e:  # TETHER_SANDBOX set but no sandbox there
        return Explanation("vk", [], [], str(e))
    notes: list[str] = []
    if environ.get("TETHER_SANDBOX"):
        notes.append(f"TETHER_SANDBOX={environ['TETHER_SANDBOX']}: calls go to the sandbox")
    problem = None if settings.get("access_token") else f"no token: {_NO_TOKEN}"
    return Explanation("vk", settings.explain(), notes, problem)


def ready_args(creds: Mapping[str, Any]) -> dict[str, Any]:
    """``API`` arguments for the sandbox's ready user token (every scope), given the VK block
    of its credentials."""
    return {"token": creds["access_token"], "api_url": creds["api_url"]}


class _Terminal:
    """PyVK's ``Input``, and the permission dialog asked too (a person is at the terminal)."""

    @staticmethod
    def ask(field: str, **kw: Any) -> str:
        from tether.vk import Input

        if field == "grant_access":
            answer = input(f"Allow tether: {kw.get('msg', 'access to your account')}? [Y/n] ")
            return answer.strip() or "yes"
        return Input.ask(field, **kw)


def login(options: Mapping[str, Any], *, store_token: bool) -> None:
    """``tether login vk [--username LOGIN]``: ``ClientAuth`` with the questions on the
    terminal; the token and session cookies are remembered unless ``store_token`` is false.

    Raises:
        TetherError: wrong password or code, the dialog denied, or VK unreachable.
    """
    from tether.vk import ClientAuth

    username = options.get("username") or os.environ.get("VK_USERNAME") or None
    app_id = os.environ.get("VK_APP_ID") or None
    with ClientAuth(app_id, username, input=_Terminal, disable_cache=not store_token) as auth:
        auth.auth()
        click.echo(f"Logged in to VK as user {auth.user_id} (scope {auth.scope}).")
