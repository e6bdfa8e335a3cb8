"""``tether``: call any method, explain configuration, run the sandbox, run the demo.

Every ``TetherError`` becomes a one-line message on stderr and exit status 1; usage mistakes
exit 2 (click's convention). Tracebacks are for bugs only.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from tether import __version__
from tether.core.errors import TetherError

SERVICES = ("ovh",)


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


@cli.command()
@click.argument("service", type=click.Choice(SERVICES))
@click.argument("method")
@click.argument("path")
@click.argument("params", nargs=-1)
@click.option(
    "--sandbox", "use_sandbox", is_flag=True, help="Talk to the sandbox, not the service."
)
@click.option("--no-auth", is_flag=True, help="Send the call unauthenticated.")
def call(
    service: str, method: str, path: str, params: tuple[str, ...], use_sandbox: bool, no_auth: bool
) -> None:
    """Call any API method and print the JSON result.

    \b
    Examples:
      tether call ovh GET /me --sandbox
      tether call ovh GET /me/bill date.from=2024-01-01
      tether call ovh POST /email/domain/example.com/redirection from=a@x.org to=b@x.org localCopy:=false
    """
    kwargs = _parse_params(params)
    with _sandbox_env(use_sandbox):
        from tether.ovh import Client

        with Client() as client:
            method = method.upper()
            if method in ("GET", "DELETE"):
                result = getattr(client, method.lower())(path, _need_auth=not no_auth, **kwargs)
            elif method in ("POST", "PUT"):
                result = client.call(method, path, kwargs or None, need_auth=not no_auth)
            else:
                raise click.BadParameter(f"{method}: use GET, POST, PUT or DELETE")
    click.echo(json.dumps(result, indent=2, ensure_ascii=False))


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
