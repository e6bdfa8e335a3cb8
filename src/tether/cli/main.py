"""``tether``: call any method, explain configuration, run the sandbox, run the demo.

Every ``TetherError`` becomes a one-line message on stderr and exit status 1, including a
Flickr failure answered in an unparsed format (``--format json|rest``: the answer is printed as
asked, then the error); usage mistakes exit 2 (click's convention). Tracebacks are for bugs only.

No service is named here: ``call``, ``login``, ``upload`` and ``config explain`` take their
SERVICE choices, extra options and help lines from ``tether.services.registry`` and the hook
module each service declares there, and hand the work to that module. What stays here is what
every service shares: ``--sandbox`` (one started for the command, or $TETHER_SANDBOX), a login's
throwaway-sandbox rule, the error lines and exit codes. Importing this module loads the hook
modules (click and the standard library only), never a facade nor the sandbox.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import click

from tether import __version__
from tether.core.errors import APIError, TetherError
from tether.services import registry


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


# --- the per-service commands: call, login, upload, config explain ---------------------------
#
# Built from the registry when this module is imported: each service's hook module adds its
# options and help lines, so a new service brings its commands without an edit here. An option
# two services both declare is taken from the first (registry order).


def _or_list(names: tuple[str, ...]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


class _ServiceChoice(click.Choice):  # type: ignore[type-arg]
    """The services that have ``command``; a known service without it is told which do."""

    def __init__(self, command: str) -> None:
        super().__init__(registry.names(command))
        self.command = command

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if value in registry.names() and value not in self.choices:
            have = ", ".join(registry.names(self.command))
            self.fail(f"{value} has no {self.command} command (services with one: {have})")
        return super().convert(value, param, ctx)


def _hooks(command: str) -> list[Any]:
    return [registry.get(name).hooks() for name in registry.names(command)]


def _options(command: str, attr: str) -> list[click.Parameter]:
    seen: set[str | None] = set()
    out: list[click.Parameter] = []
    for hooks in _hooks(command):
        for option in getattr(hooks, attr, ()):
            if option.name not in seen:
                seen.add(option.name)
                out.append(option)
    return out


def _sandbox_option(text: str) -> click.Option:
    return click.Option(
        ["--sandbox", "use_sandbox"],
        is_flag=True,
        help=f"{text}: $TETHER_SANDBOX if set, else one started for this command.",
    )


def _service_argument(command: str) -> click.Argument:
    kind = (
        _ServiceChoice(command)
        if command in ("login", "upload")
        else click.Choice(registry.names(command))
    )
    return click.Argument(["service"], type=kind, metavar="SERVICE")


def _call_help() -> str:
    hooks = _hooks("call")
    methods = [h.CALL_METHOD for h in hooks]
    notes = "".join(f"; {h.CALL_ARGS_NOTE}" for h in hooks if h.CALL_ARGS_NOTE)
    examples = [e for h in hooks for e in h.CALL_EXAMPLES]
    pad = "\n" + " " * 9
    return (
        "Call any API method and print the result.\n\n\b\n"
        f"SERVICE  {_or_list(registry.names('call'))}.\n"
        f"METHOD   {pad.join(methods)}\n"
        "ARGS     parameters: key=value sends a string, key:=json a JSON value\n"
        f"         (true, 3, [1,2]){notes}.\n\n\b\nExamples:\n"
        + "".join(f"  {e}\n" for e in examples)
    )


def _call(
    service: str, method: str, args: tuple[str, ...], use_sandbox: bool, **options: Any
) -> None:
    with _sandbox_env(use_sandbox):
        registry.get(service).hooks().call(method, args, options)


def _login(service: str, use_sandbox: bool, **options: Any) -> None:
    # A sandbox started for this command stops with it, and its token with it: storing that
    # token would only trip up the next command (another sandbox), so it stays in memory.
    throwaway = use_sandbox and not os.environ.get("TETHER_SANDBOX")
    with _sandbox_env(use_sandbox):
        registry.get(service).hooks().login(options, store_token=not throwaway)
        if throwaway:
            click.echo(
                "The sandbox started for this command stops with it, so the token was not "
                "stored; to keep one, run `tether sandbox` and set TETHER_SANDBOX to its URL."
            )


def _upload(service: str, target: tuple[str, ...], use_sandbox: bool, **options: Any) -> None:
    hooks = registry.get(service).hooks()
    kinds: tuple[str, ...] = getattr(hooks, "UPLOAD_KINDS", ())
    if len(target) == 2 and kinds:
        # ``tether upload vk photo FILE``: the kind before the file, for services with kinds.
        kind, file = target
        if kind not in kinds:
            raise click.UsageError(
                f"{service} uploads one of: {', '.join(kinds)} (not {kind!r}), as "
                f"`tether upload {service} {kinds[0]} FILE`"
            )
        options["kind"] = kind
    elif len(target) == 1:
        (file,) = target
    else:
        form = f"[{'|'.join(kinds)}] FILE" if kinds else "FILE"
        raise click.UsageError(f"give one file to upload: tether upload {service} {form}")
    if os.path.isdir(file):
        raise click.UsageError(f"{file} is a folder: give the file to upload")
    with _sandbox_env(use_sandbox):
        hooks.upload(file, options)


cli.add_command(
    click.Command(
        "call",
        callback=_call,
        context_settings={"ignore_unknown_options": False},
        params=[
            _service_argument("call"),
            click.Argument(["method"]),
            click.Argument(["args"], nargs=-1),
            _sandbox_option("Talk to the sandbox"),
            *_options("call", "CALL_OPTIONS"),
        ],
        help=_call_help(),
    )
)
cli.add_command(
    click.Command(
        "login",
        callback=_login,
        params=[
            _service_argument("login"),
            *_options("login", "LOGIN_OPTIONS"),
            _sandbox_option("Log in to the sandbox"),
        ],
        help="Authorise tether with your account; the token is stored for later commands.\n\n"
        f"SERVICE is the service to log in to ({_or_list(registry.names('login'))}). "
        + " ".join(h.LOGIN_HELP for h in _hooks("login") if getattr(h, "LOGIN_HELP", None)),
    )
)
cli.add_command(
    click.Command(
        "upload",
        callback=_upload,
        params=[
            _service_argument("upload"),
            click.Argument(["target"], nargs=-1, required=True, metavar="[KIND] FILE"),
            *_options("upload", "UPLOAD_OPTIONS"),
            _sandbox_option("Upload to the sandbox"),
        ],
        help="Upload (or replace) a photo, with a progress bar.\n\n"
        f"SERVICE is where to upload ({_or_list(registry.names('upload'))}); [KIND] FILE the "
        "photo or video to send, streamed from disk, after what it is for a service with kinds "
        "(tether upload vk doc report.pdf). "
        + " ".join(h.UPLOAD_HELP for h in _hooks("upload") if getattr(h, "UPLOAD_HELP", None)),
    )
)


@cli.group()
def config() -> None:
    """Inspect configuration."""


def _explain(service: str) -> None:
    explanation = registry.get(service).hooks().explain(os.environ)
    for line in explanation.lines():
        click.echo(line)
    if explanation.problem:
        sys.exit(1)


config.add_command(
    click.Command(
        "explain",
        callback=_explain,
        params=[_service_argument("explain")],
        help="Show each setting, its value (secrets hidden) and where it came from.\n\n"
        "SERVICE is the service whose settings to show "
        f"({_or_list(registry.names('explain'))}). With TETHER_SANDBOX set, the sandbox's "
        "values are shown, as clients would use them. A problem that would stop a client is "
        "shown at the end (after every setting, so the rest is still seen) and makes the "
        "command exit 1, like every other failure.",
    )
)


@cli.command()
@click.argument("services", nargs=-1, type=click.Choice(registry.names("shell")))
@click.option(
    "--sandbox",
    "use_sandbox",
    is_flag=True,
    help="Clients of the sandbox: $TETHER_SANDBOX if set, else one started for the prompt.",
)
def shell(services: tuple[str, ...], use_sandbox: bool) -> None:
    """A Python prompt with a ready client per service (ovh, flickr, vk …), or of SERVICES."""
    from tether.cli.shell import run_shell

    with _sandbox_env(use_sandbox):
        run_shell(services)


@cli.command()
def demo() -> None:
    """Run the walkthrough against an in-process sandbox (no network needed)."""
    from tether.cli.demo import run_demo

    run_demo(click.echo)


def main() -> None:
    cli(prog_name="tether")
