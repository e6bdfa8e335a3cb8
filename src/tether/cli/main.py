"""``tether``: call any method, explain configuration, run the sandbox, run the demo.

Every ``TetherError`` becomes a one-line message on stderr and exit status 1, including a
Flickr failure answered in an unparsed format (``--format json|rest``: the answer is printed as
asked, then the error); usage mistakes exit 2 (click's convention). Tracebacks are for bugs only.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click

from tether import __version__
from tether.core.errors import APIError, TetherError

SERVICES = ("ovh", "flickr")


def _error_line(e: TetherError) -> str:
    """One line for stderr after ``error: ``.

    FlickrAPI's ``"Error: <code>: <msg>"`` stays the exception's text (the seed's shape), so
    its own "Error:" is replaced by the service's name rather than doubled; python-ovh's
    ``"<msg> \nOVH-Query-ID: <id>"`` is joined onto one line.
    """
    text = str(e)
    if text.startswith("Error: ") and isinstance(e, APIError) and e.service:
        text = f"{e.service} error {text[len('Error: ') :]}"
    return "; ".join(part.strip() for part in text.splitlines() if part.strip())


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TetherError as e:
            click.echo(f"error: {_error_line(e)}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tether")
def cli() -> None:
    """One client for VK, Flickr, Ipernity, Vimeo and OVHcloud, with an offline sandbox."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port to listen on.")
@click.option(
    "--tls",
    is_flag=True,
    help="Serve HTTPS with a certificate of a CA of the sandbox's own (kept in a per-user "
    "folder); clients trust it through TETHER_SANDBOX_CA.",
)
def sandbox(host: str, port: int, tls: bool) -> None:
    """Serve every service emulator on one port until interrupted."""
    import errno

    from tether.sandbox.server import serve

    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"warning: binding to {host}: the sandbox is reachable from the network", err=True
        )
    try:
        serve(host=host, port=port, out=click.echo, tls=tls)
    except OSError as e:
        # Binding is the only OSError serve() lets out; one line, not a traceback.
        if e.errno == errno.EADDRINUSE:
            reason = f"port {port} on {host} is already in use"
            hint = "stop what holds it, or pick another with --port (--port 0: any free one)"
        else:
            reason = f"cannot listen on {host}:{port} ({e.strerror or e})"
            hint = "pick another address or port with --host / --port"
        click.echo(f"error: {reason}; {hint}", err=True)
        sys.exit(1)


def _parse_params(items: tuple[str, ...]) -> dict[str, Any]:
    """``key=value`` sends a string, ``key:=json`` a JSON value (true, 3, [1,2], {"a":1})."""
    params: dict[str, Any] = {}
    for item in items:
        if ":=" in item and ("=" not in item or item.index(":=") < item.index("=")):
            key, raw = item.split(":=", 1)
            try:
                params[key] = json.loads(raw)
            except ValueError:
                raise click.BadParameter(f"{item!r}: the part after := must be JSON") from None
        elif "=" in item:
            key, value = item.split("=", 1)
            params[key] = value
        else:
            raise click.BadParameter(f"{item!r}: expected key=value or key:=json")
        if not key:
            raise click.BadParameter(f"{item!r}: empty parameter name")
    return params


@contextmanager
def _sandbox_env(use_sandbox: bool) -> Iterator[None]:
    """With --sandbox: use $TETHER_SANDBOX if set, else start one in-process for this command."""
    if not use_sandbox or os.environ.get("TETHER_SANDBOX"):
        yield
        return
    from tether.sandbox import Sandbox

    with Sandbox() as sb:
        os.environ["TETHER_SANDBOX"] = sb.url
        try:
            yield
        finally:
            del os.environ["TETHER_SANDBOX"]


@cli.command(context_settings={"ignore_unknown_options": False})
@click.argument("service", type=click.Choice(SERVICES), metavar="SERVICE")
@click.argument("method")
@click.argument("args", nargs=-1)
@click.option(
    "--sandbox",
    "use_sandbox",
    is_flag=True,
    help="Talk to the sandbox: $TETHER_SANDBOX if set, else one started for this command.",
)
@click.option("--no-auth", is_flag=True, help="OVH: send the call unsigned (for public routes).")
@click.option(
    "--format",
    "fmt",
    default="parsed-json",
    show_default=True,
    type=click.Choice(["parsed-json", "etree", "json", "rest"]),
    help="Flickr: parsed-json and etree are printed decoded; json and rest as Flickr sent "
    "them. A failure exits 1 whatever the format.",
)
def call(
    service: str, method: str, args: tuple[str, ...], use_sandbox: bool, no_auth: bool, fmt: str
) -> None:
    """Call any API method and print the result.

    \b
    SERVICE  ovh or flickr.
    METHOD   OVH: GET, POST, PUT or DELETE, then the PATH (/me …).
             Flickr: the method name (photos.search or flickr.photos.search).
    ARGS     parameters: key=value sends a string, key:=json a JSON value
             (true, 3, [1,2]); for OVH, PATH comes first.

    \b
    Examples:
      tether call ovh GET /me --sandbox
      tether call ovh GET /me/bill date.from=2024-01-01
      tether call ovh POST /email/domain/example.com/redirection from=a@x.org to=b@x.org localCopy:=false
      tether call flickr photos.search tags=cat per_page:=5 --sandbox
    """
    with _sandbox_env(use_sandbox):
        if service == "ovh":
            if not args:
                raise click.UsageError("tether call ovh METHOD PATH [key=value …]")
            result = _call_ovh(method, args[0], _parse_params(args[1:]), no_auth)
            click.echo(json.dumps(result, indent=2, ensure_ascii=False))
        else:
            result = _call_flickr(method, _parse_params(args), fmt)
            if fmt == "etree":
                import xml.etree.ElementTree as ET

                click.echo(ET.tostring(result, encoding="unicode"))
            elif fmt == "parsed-json":
                click.echo(json.dumps(result, indent=2, ensure_ascii=False))
            else:
                click.echo(result)
                failure = _raw_failure(result, fmt, method)
                if failure is not None:
                    raise failure


def _call_ovh(method: str, path: str, kwargs: dict[str, Any], no_auth: bool) -> Any:
    from tether.ovh import Client

    with Client() as client:
        method = method.upper()
        if method in ("GET", "DELETE"):
            return getattr(client, method.lower())(path, _need_auth=not no_auth, **kwargs)
        if method in ("POST", "PUT"):
            return client.call(method, path, kwargs or None, need_auth=not no_auth)
        raise click.BadParameter(f"{method}: use GET, POST, PUT or DELETE")


def _raw_failure(text: str, fmt: str, method: str) -> TetherError | None:
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


_FLICKR_URLS = ("rest_url", "upload_url", "replace_url", "auth_url", "oauth_url")
_NO_FLICKR_KEY = "set FLICKR_API_KEY and FLICKR_API_SECRET, or use --sandbox"


def _flickr_settings(environ: Any) -> Any:
    """The Flickr application and endpoints the commands use, with provenance: the key and
    secret from FLICKR_API_KEY / FLICKR_API_SECRET, else (with TETHER_SANDBOX) the sandbox's
    test app, as ``FlickrAPI`` itself picks them; the sandbox's endpoints when it is set."""
    from tether.core.config import EnvSource, Settings

    settings = Settings([EnvSource("FLICKR_", environ)])
    for name in ("api_key", "api_secret"):
        settings.resolve(name)
    sandbox = environ.get("TETHER_SANDBOX")
    if sandbox:
        from tether.sandbox.client import fetch_credentials

        root = sandbox.rstrip("/")
        creds = fetch_credentials(root)["flickr"]
        src = f"sandbox {root} (TETHER_SANDBOX)"
        if not settings.get("api_key"):
            settings.override("api_key", creds["api_key"], src)
            settings.override("api_secret", creds["secret"], src)
        for name in _FLICKR_URLS:
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
        for name in _FLICKR_URLS:
            settings.override(name, defaults[name], "default (Flickr)")
    return settings


def _uses_sandbox_token(flickr: Any) -> bool:
    return bool(
        os.environ.get("TETHER_SANDBOX")
        and flickr.oauth_token is None
        and not flickr.token_cache.token
    )


def _flickr_client(**kw: Any) -> Any:
    """A FlickrAPI from FLICKR_API_KEY / FLICKR_API_SECRET (or the sandbox's test app). With
    the sandbox: the token ``tether login --sandbox`` stored for that sandbox (kept apart from
    real Flickr's, see ``tether.store.tokens``), else the sandbox's ready OAuth token."""
    from tether.flickr import FlickrAPI, OAuthToken

    settings = _flickr_settings(os.environ)
    key = settings.get("api_key") or ""
    if not key:
        raise click.UsageError(_NO_FLICKR_KEY)
    flickr = FlickrAPI(key, settings.get("api_secret"), **kw)
    sandbox = os.environ.get("TETHER_SANDBOX")
    if sandbox:
        # Logging in is how a CLI user gives a token, as token= is in Python: what `tether
        # login` stored for this very sandbox beats the ready token FlickrAPI filled in.
        stored = flickr._load_oauth_token()
        if stored is not None:
            flickr.oauth_token = stored
    if sandbox and _uses_sandbox_token(flickr):
        from tether.sandbox.client import fetch_credentials

        creds = fetch_credentials(sandbox)["flickr"]
        flickr.oauth_token = OAuthToken(
            creds["oauth_token"],
            creds["oauth_token_secret"],
            "delete",
            username=creds["user"]["username"],
            user_nsid=creds["user"]["nsid"],
        )
    return flickr


def _call_flickr(method: str, kwargs: dict[str, Any], fmt: str) -> Any:
    with _flickr_client() as flickr:
        return flickr.call(method, format=fmt, **kwargs)


@cli.command()
@click.argument("service", type=click.Choice(["flickr"]), metavar="SERVICE")
@click.option(
    "--perms",
    default="read",
    show_default=True,
    type=click.Choice(["read", "write", "delete"]),
    help="What tether may do: read; write to upload and edit; delete to delete too.",
)
@click.option("--console", is_flag=True, help="Type the code shown by Flickr instead of a browser.")
@click.option(
    "--sandbox",
    "use_sandbox",
    is_flag=True,
    help="Log in to the sandbox: $TETHER_SANDBOX if set, else one started for this command.",
)
def login(service: str, perms: str, console: bool, use_sandbox: bool) -> None:
    """Authorise tether with your account; the token is stored for later commands.

    SERVICE is the service to log in to (flickr). The API key and secret come from
    FLICKR_API_KEY and FLICKR_API_SECRET (the sandbox's test app with --sandbox).
    """
    from tether.flickr import FlickrAPI

    # A sandbox started for this command stops with it, and its token with it: storing that
    # token would only trip up the next command (another sandbox), so it stays in memory.
    throwaway = use_sandbox and not os.environ.get("TETHER_SANDBOX")
    with _sandbox_env(use_sandbox):
        settings = _flickr_settings(os.environ)
        key = settings.get("api_key") or ""
        if not key:
            raise click.UsageError(_NO_FLICKR_KEY)
        with FlickrAPI(key, settings.get("api_secret"), store_token=not throwaway) as flickr:
            if os.environ.get("TETHER_SANDBOX"):
                # A real login, not the sandbox's ready token: start from what an earlier
                # `tether login` stored for this sandbox (nothing for a throwaway one).
                flickr.oauth_token = flickr._load_oauth_token()
            if console:
                token = flickr.authenticate_console(perms)
            else:
                token = flickr.authenticate_via_browser(perms)
            click.echo(f"Logged in as {token.username or token.user_nsid} with {perms} permission.")
        if throwaway:
            click.echo(
                "The sandbox started for this command stops with it, so the token was not "
                "stored; to keep one, run `tether sandbox` and set TETHER_SANDBOX to its URL."
            )


@cli.command()
@click.argument("service", type=click.Choice(["flickr"]), metavar="SERVICE")
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--title", help="The photo's title.")
@click.option("--description", help="The photo's description.")
@click.option("--tags", help="Space-separated; quote multi-word tags: 'a \"b c\"'.")
@click.option(
    "--public/--private",
    "is_public",
    default=None,
    help="Who may see it (default: the account's setting on Flickr).",
)
@click.option("--replace", "photo_id", help="Replace the image of this photo id instead.")
@click.option(
    "--sandbox",
    "use_sandbox",
    is_flag=True,
    help="Upload to the sandbox: $TETHER_SANDBOX if set, else one started for this command.",
)
def upload(
    service: str,
    file: str,
    title: str | None,
    description: str | None,
    tags: str | None,
    is_public: bool | None,
    photo_id: str | None,
    use_sandbox: bool,
) -> None:
    """Upload (or replace) a photo, with a progress bar.

    SERVICE is where to upload (flickr); FILE the photo or video to send, streamed from disk.
    Needs a token with write permission: tether login flickr --perms write.
    """
    with _sandbox_env(use_sandbox), _flickr_client() as flickr, _progress() as progress:
        if photo_id:
            rsp = flickr.replace(file, photo_id, callback=progress)
        else:
            rsp = flickr.upload(
                file,
                callback=progress,
                title=title,
                description=description,
                tags=tags,
                is_public=is_public,
            )
    new_id = rsp.findtext("photoid")
    from tether.services.flickr.shorturl import url

    click.echo(f"photo id {new_id}: {url(new_id)}" if new_id else "done")


@contextmanager
def _progress() -> Iterator[Callable[[float, bool], None]]:
    """A progress bar on a terminal; quarter milestones (one line each) anywhere else."""
    if sys.stdout.isatty():
        with click.progressbar(length=100, label="uploading", show_percent=True) as bar:
            shown = [0]

            def update(percent: float, done: bool) -> None:
                step = int(percent) - shown[0]
                if step > 0:
                    bar.update(step)
                    shown[0] += step

            yield update
        return
    said = [-1]

    def milestones(percent: float, done: bool) -> None:
        quarter = 4 if done else int(percent) // 25
        if quarter > said[0]:
            said[0] = quarter
            click.echo(f"uploading: {quarter * 25}%")

    yield milestones


@cli.group()
def config() -> None:
    """Inspect configuration."""


@config.command()
@click.argument("service", type=click.Choice(SERVICES), metavar="SERVICE")
def explain(service: str) -> None:
    """Show each setting, its value (secrets hidden) and where it came from.

    SERVICE is the service whose settings to show (ovh or flickr). With TETHER_SANDBOX set,
    the sandbox's values are shown, as clients would use them. A problem that would stop a
    client is shown at the end (after every setting, so the rest is still seen) and makes the
    command exit 1, like every other failure.
    """
    if service == "ovh":
        from tether.services.ovh.api import explain as explain_ovh

        explanation = explain_ovh(environ=os.environ)
    else:
        explanation = _explain_flickr()
    for line in explanation.lines():
        click.echo(line)
    if explanation.problem:
        sys.exit(1)


def _explain_flickr() -> Any:
    """Flickr's settings as the commands use them, and where the token is kept."""
    from tether.core.config import Explanation

    try:
        settings = _flickr_settings(os.environ)
    except TetherError as e:  # TETHER_SANDBOX set but no sandbox there
        return Explanation("flickr", [], [], str(e))
    notes: list[str] = []
    if os.environ.get("TETHER_SANDBOX"):
        notes.append(f"TETHER_SANDBOX={os.environ['TETHER_SANDBOX']}: calls go to the sandbox")
    key = settings.get("api_key")
    if not key:
        return Explanation("flickr", settings.explain(), notes, f"no API key: {_NO_FLICKR_KEY}")
    if not settings.get("api_secret"):
        notes.append(
            "no API secret: calls go unsigned and tether login flickr cannot work; set "
            "FLICKR_API_SECRET"
        )
    from tether.flickr import FlickrAPI

    problem = None
    try:
        with FlickrAPI(key, settings.get("api_secret")) as flickr:
            folder = os.path.dirname(flickr.token_cache.token_path())
            notes.append(f"tokens are kept in {folder}{os.sep}")
            tok = flickr.oauth_token
            if tok is not None:
                who = tok.username or tok.user_nsid or "unknown user"
                # Stored, or (with TETHER_SANDBOX) the sandbox's ready one: the facade picks.
                notes.append(f"token in use: OAuth, {tok.access_level} permission ({who})")
            elif flickr.token_cache.token:
                notes.append("token in use: legacy (frob) token")
            elif _uses_sandbox_token(flickr):
                notes.append("token in use: the sandbox's ready OAuth token")
            else:
                notes.append("no token: run tether login flickr")
    except TetherError as e:
        problem = str(e)
    return Explanation("flickr", settings.explain(), notes, problem)


@cli.command()
def demo() -> None:
    """Run the walkthrough against an in-process sandbox (no network needed)."""
    from tether.cli.demo import run_demo

    run_demo(click.echo)


def main() -> None:
    cli(prog_name="tether")
