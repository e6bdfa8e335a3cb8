"""Flickr's part of the ``tether`` command: ``call``, ``login``, ``upload`` and ``config explain``.

The hook contract is stated in ``tether.services.registry``. Invariants:
- Top level imports only click and ``tether.cli.kit``: the facade, the parsers and the sandbox
  client are imported when a hook runs.
- The application comes from FLICKR_API_KEY / FLICKR_API_SECRET, else (with TETHER_SANDBOX)
  the sandbox's test app, as ``FlickrAPI`` itself picks them. With the sandbox, a token that
  ``tether login`` stored for that very sandbox beats the sandbox's ready token.
- Output is what the command printed before the registry (issue 8).
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import click

from tether.cli.kit import echo_json, parse_params, progress

CALL_OPTIONS = (
    click.Option(
        ["--format", "fmt"],
        default="parsed-json",
        show_default=True,
        type=click.Choice(["parsed-json", "etree", "json", "rest"]),
        help="Flickr: parsed-json and etree are printed decoded; json and rest as Flickr sent "
        "them. A failure exits 1 whatever the format.",
    ),
)
CALL_METHOD = "Flickr: the method name (photos.search or flickr.photos.search)."
CALL_ARGS_NOTE = None
CALL_EXAMPLES = ("tether call flickr photos.search tags=cat per_page:=5 --sandbox",)

LOGIN_OPTIONS = (
    click.Option(
        ["--perms"],
        default="read",
        show_default=True,
        type=click.Choice(["read", "write", "delete"]),
        help="What tether may do: read; write to upload and edit; delete to delete too.",
    ),
    click.Option(
        ["--console"], is_flag=True, help="Type the code shown by Flickr instead of a browser."
    ),
)
LOGIN_HELP = (
    "The API key and secret come from FLICKR_API_KEY and FLICKR_API_SECRET (the sandbox's "
    "test app with --sandbox)."
)

UPLOAD_OPTIONS = (
    click.Option(["--title"], help="The photo's title."),
    click.Option(["--description"], help="The photo's description."),
    click.Option(["--tags"], help="Space-separated; quote multi-word tags: 'a \"b c\"'."),
    click.Option(
        ["--public/--private", "is_public"],
        default=None,
        help="Who may see it (default: the account's setting on Flickr).",
    ),
    click.Option(["--replace", "photo_id"], help="Replace the image of this photo id instead."),
)
UPLOAD_HELP = "Needs a token with write permission: tether login flickr --perms write."

_URLS = ("rest_url", "upload_url", "replace_url", "auth_url", "oauth_url")
_NO_KEY = "set FLICKR_API_KEY and FLICKR_API_SECRET, or use --sandbox"


# --- the hooks -------------------------------------------------------------------------------


def call(method: str, args: tuple[str, ...], options: Mapping[str, Any]) -> None:
    """``tether call flickr METHOD [key=value …] [--format F]``: print the answer; an
    unparsed answer (json, rest) is printed as sent, then its failure raised, if any.

    Raises:
        click.UsageError: no API key; TetherError: the call failed.
    """
    fmt = options.get("fmt") or "parsed-json"
    kwargs = parse_params(args)
    with _client() as flickr:
        result = flickr.call(method, format=fmt, **kwargs)
    if fmt == "etree":
        import xml.etree.ElementTree as ET

        click.echo(ET.tostring(result, encoding="unicode"))
    elif fmt == "parsed-json":
        echo_json(result)
    else:
        click.echo(result)
        failure = _raw_failure(result, fmt, method)
        if failure is not None:
            raise failure


def login(options: Mapping[str, Any], *, store_token: bool) -> None:
    """``tether login flickr [--perms P] [--console]``: the OAuth dance, in a browser or on the
    console; the token is stored unless ``store_token`` is false.

    Raises:
        click.UsageError: no API key; TetherError: the dance failed or was refused.
    """
    from tether.flickr import FlickrAPI

    perms = options.get("perms") or "read"
    settings = _settings(os.environ)
    key = settings.get("api_key") or ""
    if not key:
        raise click.UsageError(_NO_KEY)
    with FlickrAPI(key, settings.get("api_secret"), store_token=store_token) as flickr:
        if os.environ.get("TETHER_SANDBOX"):
            # A real login, not the sandbox's ready token: start from what an earlier
            # `tether login` stored for this sandbox (nothing for a throwaway one).
            flickr.oauth_token = flickr._load_oauth_token()
        if options.get("console"):
            token = flickr.authenticate_console(perms)
        else:
            token = flickr.authenticate_via_browser(perms)
        click.echo(f"Logged in as {token.username or token.user_nsid} with {perms} permission.")


def upload(file: str, options: Mapping[str, Any]) -> None:
    """``tether upload flickr FILE [--title …] [--replace ID]``: stream it with progress, then
    print the photo id and its short URL.

    Raises:
        click.UsageError: no API key; TetherError: the upload failed.
    """
    photo_id = options.get("photo_id")
    with _client() as flickr, progress() as callback:
        if photo_id:
            rsp = flickr.replace(file, photo_id, callback=callback)
        else:
            rsp = flickr.upload(
                file,
                callback=callback,
                title=options.get("title"),
                description=options.get("description"),
                tags=options.get("tags"),
                is_public=options.get("is_public"),
            )
    new_id = rsp.findtext("photoid")
    from tether.services.flickr.shorturl import url

    click.echo(f"photo id {new_id}: {url(new_id)}" if new_id else "done")


def explain(environ: Mapping[str, str]) -> Any:
    """Flickr's settings as the commands use them, and where the token is kept."""
    from tether.core.config import Explanation
    from tether.core.errors import TetherError

    try:
        settings = _settings(environ)
    except TetherError as e:  # TETHER_SANDBOX set but no sandbox there
        return Explanation("flickr", [], [], str(e))
    notes: list[str] = []
    if environ.get("TETHER_SANDBOX"):
        notes.append(f"TETHER_SANDBOX={environ['TETHER_SANDBOX']}: calls go to the sandbox")
    key = settings.get("api_key")
    if not key:
        return Explanation("flickr", settings.explain(), notes, f"no API key: {_NO_KEY}")
    if not settings.get("api_secret"):
        notes.append(
            "no API secret: calls go unsigned and tether login flickr cannot work; set "
            "FLICKR_API_SECRET"
        )
    from tether.flickr import FlickrAPI

    problem = None
    try:
        with FlickrAPI(key, settings.get("api_secret"), environ=environ) as flickr:
            folder = os.path.dirname(flickr.token_cache.token_path())
            notes.append(f"tokens are kept in {folder}{os.sep}")
            tok = flickr.oauth_token
            if tok is not None:
                who = tok.username or tok.user_nsid or "unknown user"
                # Stored, or (with TETHER_SANDBOX) the sandbox's ready one: the facade picks.
                notes.append(f"token in use: OAuth, {tok.access_level} permission ({who})")
            elif flickr.token_cache.token:
                notes.append("token in use: legacy (frob) token")
            elif _uses_sandbox_token(flickr, environ):
                notes.append("token in use: the sandbox's ready OAuth token")
            else:
                notes.append("no token: run tether login flickr")
    except TetherError as e:
        problem = str(e)
    return Explanation("flickr", settings.explain(), notes, problem)


def ready_args(creds: Mapping[str, Any]) -> dict[str, Any]:
    """``FlickrAPI`` arguments for the sandbox's test app and its ready delete-permission OAuth
    token, given the Flickr block of its credentials; the on-disk token cache is left alone."""
    args: dict[str, Any] = {name: creds[name] for name in _URLS}
    args.update(
        api_key=creds["api_key"],
        secret=creds["secret"],
        token=_ready_token(creds),
        store_token=False,
    )
    return args


# --- shared by the hooks ---------------------------------------------------------------------


def _ready_token(creds: Mapping[str, Any]) -> Any:
    from tether.flickr import OAuthToken

    return OAuthToken.of_sandbox(creds)


def _settings(environ: Mapping[str, str]) -> Any:
    """The Flickr application and endpoints the commands use, with provenance: the key and
    secret from FLICKR_API_KEY / FLICKR_API_SECRET, else (with TETHER_SANDBOX) the sandbox's
    test app, as ``FlickrAPI`` itself picks them; the sandbox's endpoints when it is set."""
    from tether.core.config import EnvSource, Settings

    settings = Settings([EnvSource("FLICKR_", environ)])
    for name in ("api_key", "api_secret"):
        settings.resolve(name)
    from tether.services.kit.client import sandbox_redirect

    sandbox = sandbox_redirect("flickr", environ)
    if sandbox is not None:
        creds, src = sandbox.credentials, sandbox.source
        if not settings.get("api_key"):
            settings.override("api_key", creds["api_key"], src)
            settings.override("api_secret", creds["secret"], src)
        for name in _URLS:
            settings.override(name, creds[name], src)
    else:
        from tether.services.flickr import spec

        defaults = {
            "rest_url": spec.REST_URL,
            "upload_url": spec.UPLOAD_URL,
            "replace_url": spec.REPLACE_URL,
            "auth_url": spec.AUTH_URL,
            "oauth_url": spec.OAUTH_URL,
        }
        for name in _URLS:
            settings.override(name, defaults[name], "default (Flickr)")
    return settings


def _uses_sandbox_token(flickr: Any, environ: Mapping[str, str]) -> bool:
    return bool(
        environ.get("TETHER_SANDBOX")
        and flickr.oauth_token is None
        and not flickr.token_cache.token
    )


def shell() -> Any:
    """The ``flickr`` of ``tether shell``: what ``tether call flickr`` uses (``_client``).

    Raises:
        click.UsageError: no API key.
    """
    return _client()


def _client(**kw: Any) -> Any:
    """A FlickrAPI from FLICKR_API_KEY / FLICKR_API_SECRET (or the sandbox's test app). With
    the sandbox: the token ``tether login --sandbox`` stored for that sandbox (kept apart from
    real Flickr's, see ``tether.store.tokens``), else the sandbox's ready OAuth token."""
    from tether.flickr import FlickrAPI

    settings = _settings(os.environ)
    key = settings.get("api_key") or ""
    if not key:
        raise click.UsageError(_NO_KEY)
    flickr = FlickrAPI(key, settings.get("api_secret"), **kw)
    sandbox = os.environ.get("TETHER_SANDBOX")
    if sandbox:
        # Logging in is how a CLI user gives a token, as token= is in Python: what `tether
        # login` stored for this very sandbox beats the ready token FlickrAPI filled in.
        stored = flickr._load_oauth_token()
        if stored is not None:
            flickr.oauth_token = stored
    if sandbox and _uses_sandbox_token(flickr, os.environ):
        from tether.services.kit.client import sandbox_redirect

        redirect = sandbox_redirect("flickr", os.environ)
        assert redirect is not None  # TETHER_SANDBOX is set
        flickr.oauth_token = _ready_token(redirect.credentials)
    return flickr


def _raw_failure(text: str, fmt: str, method: str) -> Exception | None:
    """The error in an unparsed (json / rest) answer, if it is a failure (``stat="fail"``, or
    not a Flickr answer at all). Only here: the library returns these formats unchecked."""
    from tether.services.flickr import parse
    from tether.services.flickr.errors import FlickrError

    name = method if method.startswith("flickr.") else "flickr." + method
    try:
        if fmt == "json":
            parse.parse_json(text.encode("utf-8"), name)
        else:
            parse.parse_etree(text.encode("utf-8"), name)
    except FlickrError as e:
        return e
    return None
