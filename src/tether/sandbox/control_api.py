"""Helpers shared by every control route (``/_sandbox/…``): reading a JSON body and checking
each field of it.

Invariants:
- A control route never answers 5xx to what a client sent: a body that is not JSON, nests
  deeper than ``MAX_DEPTH``, is not an object, holds an unknown field, or a field of the wrong
  type or out of range is a 400 ``{"error": "..."}`` naming the field and what it accepts.
- Numbers are finite: ``NaN`` and ``Infinity`` (which Python's JSON reader accepts) are refused
  field by field, and every number has a range, so nothing stored can make a later answer
  (``json.dumps(allow_nan=False)``), a clock or a sleep fail.
- Routes check every field before they change anything: a refused body changes nothing.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from typing import Any, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute

from tether.core import jsonparse

#: Widest clock skew accepted (seconds either way): ten years, far from any date overflow.
MAX_SKEW: Final = 10 * 365 * 86400.0
#: Largest count, quota or lifetime accepted: a bound that keeps every number exact in JSON.
MAX_COUNT: Final = 10**9

_MISSING: Any = object()


def bad(message: str) -> HTTPException:
    """A 400 for the control client."""
    return HTTPException(400, message)


def parse_json(raw: bytes) -> Any:
    """A control body as JSON (``{}`` when empty).

    Raises:
        HTTPException: 400 for anything that is not JSON or nests too deep.
    """
    if not raw.strip():
        return {}
    try:
        return jsonparse.loads(raw)
    except jsonparse.NestingTooDeep:
        raise bad(
            f"request body nests deeper than {jsonparse.MAX_DEPTH} levels; send a flat JSON object"
        ) from None
    except ValueError:
        raise bad("request body is not valid JSON") from None


async def json_object(request: Request, fields: Collection[str] | None = None) -> dict[str, Any]:
    """The request's JSON object body (``{}`` when empty); a 400 for anything else.

    Args:
        request: the control request.
        fields: the names the route accepts; any other is refused (``None``: not checked).
    """
    body = parse_json(await request.body())
    if not isinstance(body, dict):
        raise bad(f"request body must be a JSON object, not {_kind(body)}")
    if fields is not None:
        only(body, fields)
    return body


def only(body: Mapping[str, Any], fields: Collection[str], where: str = "") -> None:
    """Refuse any name of ``body`` not in ``fields``."""
    unknown = sorted(k for k in body if k not in fields)
    if unknown:
        allowed = ", ".join(sorted(fields)) if fields else "none"
        raise bad(f"unknown field(s) {where}{', '.join(unknown)} (allowed: {allowed})")


def number(
    body: Mapping[str, Any],
    name: str,
    default: Any = _MISSING,
    *,
    minimum: float,
    maximum: float,
) -> Any:
    """``body[name]`` as a finite float in ``[minimum, maximum]``; ``default`` when absent
    (or ``null``). Without a default the field is required."""
    value = body.get(name)
    if value is None:
        if default is _MISSING:
            raise bad(f"{name} is required: a number in {minimum:.15g}..{maximum:.15g}")
        return default
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad(f"{name} must be a number in {minimum:.15g}..{maximum:.15g}, got {show(value)}")
    # float() of a huge int overflows: compare as given, convert once in range.
    if isinstance(value, float) and not math.isfinite(value):
        raise bad(f"{name} must be a finite number in {minimum:.15g}..{maximum:.15g}, got {value}")
    if not minimum <= value <= maximum:
        raise bad(f"{name} must be a number in {minimum:.15g}..{maximum:.15g}, got {show(value)}")
    return float(value)


def integer(
    body: Mapping[str, Any],
    name: str,
    default: Any = _MISSING,
    *,
    minimum: int,
    maximum: int = MAX_COUNT,
) -> Any:
    """``body[name]`` as an int in ``[minimum, maximum]``; ``default`` when absent."""
    value = body.get(name)
    if value is None:
        if default is _MISSING:
            raise bad(f"{name} is required: an integer in {minimum}..{maximum}")
        return default
    if isinstance(value, bool) or not isinstance(value, int) or not minimum <= value <= maximum:
        raise bad(f"{name} must be an integer in {minimum}..{maximum}, got {show(value)}")
    return value


def boolean(body: Mapping[str, Any], name: str, default: bool) -> bool:
    """``body[name]``, which must be ``true`` or ``false`` when given."""
    value = body.get(name)
    if value is None:
        return default
    if not isinstance(value, bool):
        raise bad(f"{name} must be true or false, got {show(value)}")
    return value


def string(body: Mapping[str, Any], name: str, default: Any = _MISSING) -> Any:
    """``body[name]``, which must be a string when given; required without ``default``."""
    value = body.get(name)
    if value is None:
        if default is _MISSING:
            raise bad(f"{name} is required: a string")
        return default
    if not isinstance(value, str):
        raise bad(f"{name} must be a string, got {show(value)}")
    return value


def show(value: Any) -> str:
    """A short, always printable picture of a client's value for an error message."""
    if isinstance(value, bool) or value is None:
        return "true" if value is True else "false" if value is False else "null"
    if isinstance(value, int):
        digits = len(str(value)) if abs(value) < 10**100 else None
        return str(value) if digits is not None else "an integer of more than 100 digits"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str):
        return repr(value) if len(value) <= 40 else repr(value[:40]) + "…"
    return _kind(value)


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    return "null" if value is None else type(value).__name__


async def _control_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return JSONResponse({"error": "error"}, status_code=500)  # pragma: no cover


def control_app(routes: list[BaseRoute]) -> Starlette:
    """An emulator's control routes as an app whose errors answer ``{"error": "..."}``."""
    return Starlette(routes=routes, exception_handlers={HTTPException: _control_error})
