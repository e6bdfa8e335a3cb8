"""Helpers shared by every emulator's control routes (``/_sandbox/<service>/…``)."""

from __future__ import annotations

import json
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute


async def json_object(request: Request) -> dict[str, Any]:
    """The request's JSON object body (``{}`` when empty); a 400 for anything else."""
    raw = await request.body()
    if not raw.strip():
        return {}
    try:
        body = json.loads(raw)
    except ValueError:
        raise HTTPException(400, "request body is not valid JSON") from None
    if not isinstance(body, dict):
        raise HTTPException(400, "request body must be a JSON object")
    return body


async def _control_error(request: Request, exc: Exception) -> Response:
    if isinstance(exc, HTTPException):
        return JSONResponse({"error": exc.detail}, status_code=exc.status_code)
    return JSONResponse({"error": "error"}, status_code=500)  # pragma: no cover


def control_app(routes: list[BaseRoute]) -> Starlette:
    """An emulator's control routes as an app whose errors answer ``{"error": "..."}``."""
    return Starlette(routes=routes, exception_handlers={HTTPException: _control_error})
