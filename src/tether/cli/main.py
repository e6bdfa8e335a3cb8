"""``tether``: call any method, explain configuration, run the sandbox, run the demo.

Every ``TetherError`` becomes a one-line message on stderr and exit status 1; usage mistakes
exit 2 (click's convention). Tracebacks are for bugs only.
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
from tether.core.errors import TetherError

SERVICES = ("ovh", "flickr")


class _Group(click.Group):
    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except TetherError as e:
            click.echo(f"error: {e}", err=True)
            sys.exit(1)


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tether")
def cli() -> None:
    """One client for VK, Flickr, Ipernity, Vimeo and OVHcloud, with an offline sandbox."""


@cli.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to bind.")
@click.option("--port", default=8765, show_default=True, type=int, help="Port to listen on.")
def sandbox(host: str, port: int) -> None:
    """Serve every service emulator on one port until interrupted."""
    from tether.sandbox.server import serve

    if host not in ("127.0.0.1", "localhost", "::1"):
        click.echo(
            f"warning: binding to {host}: the sandbox is reachable from the network", err=True
        )
    serve(host=host, port=port, out=click.echo)


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
@click.argument("service", type=click.Choice(SERVICES))
@click.argument("method")
@click.argument("args", nargs=-1)
@click.option(
    "--sandbox", "use_sandbox", is_flag=True, help="Talk to the sandbox, not the service."
)
@click.option("--no-auth", is_flag=True, help="Send the call unauthenticated (OVH).")
@click.option(
    "--format",
    "fmt",
    default="parsed-json",
    show_default=True,
    type=click.Choice(["parsed-json", "etree", "json", "rest"]),
    help="Flickr response format.",
)
def call(
    service: str, method: str, args: tuple[str, ...], use_sandbox: bool, no_auth: bool, fmt: str
) -> None:
    """Call any API method and print the result.

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


def _call_ovh(method: str, path: str, kwargs: dict[str, Any], no_auth: bool) -> Any:
    from tether.ovh import Client

    with Client() as client:
        method = method.upper()
        if method in ("GET", "DELETE"):
            return getattr(client, method.lower())(path, _need_auth=not no_auth, **kwargs)
        if method in ("POST", "PUT"):
            return client.call(method, path, kwargs or None, need_auth=not no_auth)
        raise click.BadParameter(f"{method}: use GET, POST, PUT or DELETE")


def _flickr_client(**kw: Any) -> Any:
    """A FlickrAPI from FLICKR_API_KEY / FLICKR_API_SECRET (or the sandbox's test app); with
    the sandbox and no stored token, the sandbox's ready OAuth token is used."""
    from tether.flickr import FlickrAPI, OAuthToken

    key = os.environ.get("FLICKR_API_KEY", "")
    secret = os.environ.get("FLICKR_API_SECRET")
    sandbox = os.environ.get("TETHER_SANDBOX")
    if not key and not sandbox:
        raise click.UsageError("set FLICKR_API_KEY and FLICKR_API_SECRET, or use --sandbox")
    flickr = FlickrAPI(key, secret, **kw)
    if sandbox and flickr.oauth_token is None and not flickr.token_cache.token:
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
@click.argument("service", type=click.Choice(["flickr"]))
@click.option("--perms", default="read", type=click.Choice(["read", "write", "delete"]))
@click.option("--console", is_flag=True, help="Type the code shown by Flickr instead of a browser.")
@click.option("--sandbox", "use_sandbox", is_flag=True, help="Log in to the sandbox.")
def login(service: str, perms: str, console: bool, use_sandbox: bool) -> None:
    """Authorise tether with your account; the token is stored for later commands."""
    from tether.flickr import FlickrAPI

    with _sandbox_env(use_sandbox):
        key = os.environ.get("FLICKR_API_KEY", "")
        if not key and not os.environ.get("TETHER_SANDBOX"):
            raise click.UsageError("set FLICKR_API_KEY and FLICKR_API_SECRET, or use --sandbox")
        with FlickrAPI(key, os.environ.get("FLICKR_API_SECRET")) as flickr:
            if console:
                token = flickr.authenticate_console(perms)
            else:
                token = flickr.authenticate_via_browser(perms)
            click.echo(f"Logged in as {token.username or token.user_nsid} with {perms} permission.")


@cli.command()
@click.argument("service", type=click.Choice(["flickr"]))
@click.argument("file", type=click.Path(dir_okay=False))
@click.option("--title")
@click.option("--description")
@click.option("--tags", help="Space-separated; quote multi-word tags: 'a \"b c\"'.")
@click.option("--public/--private", "is_public", default=None)
@click.option("--replace", "photo_id", help="Replace the image of this photo id instead.")
@click.option("--sandbox", "use_sandbox", is_flag=True, help="Upload to the sandbox.")
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
    """Upload (or replace) a photo, with a progress bar."""
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
@click.argument("service", type=click.Choice(SERVICES))
def explain(service: str) -> None:
    """Show each setting, its value (secrets hidden) and where it came from."""
    from tether.services.ovh.api import _endpoint_url, _load_settings

    settings = _load_settings({}, None, os.environ)
    rows = [(s.name, s.shown(), s.source) for s in settings.explain()]
    width = max(len(r[0]) for r in rows)
    vwidth = max(len(r[1]) for r in rows)
    for name, shown, source in rows:
        click.echo(f"{name:<{width}}  {shown:<{vwidth}}  {source}")
    try:
        click.echo(f"\nbase URL: {_endpoint_url(settings.resolve('endpoint'))}")
    except TetherError as e:
        click.echo(f"\n{e}")
    if os.environ.get("TETHER_SANDBOX"):
        click.echo(f"TETHER_SANDBOX={os.environ['TETHER_SANDBOX']}: clients go to the sandbox")


@cli.command()
def demo() -> None:
    """Run the walkthrough against an in-process sandbox (no network needed)."""
    from tether.cli.demo import run_demo

    run_demo(click.echo)


def main() -> None:
    cli(prog_name="tether")
