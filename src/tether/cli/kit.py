"""What the ``tether`` command's core and every service's CLI hooks share.

Invariants:
- Imports only click and the standard library: service hook modules import this at top level,
  and ``tether --help`` loads them.
- No service is named here; per-service behaviour lives in ``tether.services.<name>.cli``.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import click


def parse_params(items: tuple[str, ...]) -> dict[str, Any]:
    """``key=value`` sends a string, ``key:=json`` a JSON value (true, 3, [1,2], {"a":1}).

    Raises:
        click.BadParameter: an item of neither shape, bad JSON, or an empty name (exit 2).
    """
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


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False))


@contextmanager
def progress() -> Iterator[Callable[[float, bool], None]]:
    """An upload callback ``(percent, done)``: a progress bar on a terminal; quarter milestones
    (one line each) anywhere else."""
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
