"""The VK emulator's control API, mounted at ``/_sandbox/vk`` by the combined sandbox (JSON in
and out; errors are ``{"error": …}`` with a 4xx status naming the field)::

    GET|POST /rate        {"per_second": r, "group_per_second": g}: calls a second per token
                          (user, service and no token: r, default 3; community: g, default 20;
                          0 lifts the limit)
    GET|POST /settings    {"min_version": "5.81", "daily_limits": {"wall.get": 5000}}: the
                          version floor (a "major.minor" string) and calls a token may make
                          of a method per day (merged into the defaults)
    POST /expire          {"token": t}: the token answers 5 ("access_token has expired")
    POST /captcha         {"method": m, "count": n}: the next n calls of m answer 14
    GET  /captcha/{sid}   {"key": k}: what a person reads on the captcha picture
    POST /validation      {"count": n}: the next n calls (any method) answer 17
    POST /flood           {"method": m, "count": n}: the next n calls of m answer 9
    GET|POST /longpoll    {"events": [[4, …] or {"type", "object"}], "user_id": u,
                          "group_id": g, "fail": 1|2|3, "count": n, "max_wait": s}: events
                          for u's user server (arrays) or g's bots server (objects), the next
                          n polls answer ``failed``, polls wait at most s seconds; answers the
                          queues, forced failures and counters (``longpoll.py``)
    GET  /stats           {"calls": {method: n}, "tokens": {ref: {kind, owner, calls,
                          error_6}}, "errors": {code: n}, "error_6": n}; ref is
                          ``kit.grants.grant_ref(token)``, never the token
    GET|POST /time        {"skew": s}: the emulated clock runs s seconds ahead (kit)
    POST /reset           this emulator's seeded state again (kit)

Invariants:
- Every field is checked before anything changes (``sandbox.control_api``): a refused body
  changes nothing. A method named in a body must be one the emulator serves.
- Control requests change tunables or do what a person would do; they never bypass a check
  an API client meets (an expired token stays expired; a captcha still needs its key).
- Every tunable lives in ``VkEmulator.settings`` or ``.guards`` and is restored by ``reset()``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Final

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tether.sandbox.control_api import (
    MAX_COUNT,
    bad,
    control_app,
    integer,
    json_object,
    number,
    show,
    string,
)
from tether.services.vk.sandbox.host import parse_version, show_version
from tether.services.vk.sandbox.longpoll import longpoll_control
from tether.services.vk.sandbox.methods import METHODS

if TYPE_CHECKING:
    from tether.services.vk.sandbox.host import VkHost

#: Highest rate accepted: far above any real limit, low enough to stay a plain float.
MAX_RATE: Final = 100_000.0


def _method(body: dict[str, Any], name: str = "method") -> str:
    value: str = string(body, name)
    if value not in METHODS:
        raise bad(f"{name} must be a method the sandbox serves, got {show(value)}")
    return value


def _limits(body: dict[str, Any]) -> dict[str, int] | None:
    raw = body.get("daily_limits")
    if raw is None:
        return None
    if not isinstance(raw, dict):
        raise bad(f"daily_limits must be an object of method -> integer, got {show(raw)}")
    out = {}
    for method, limit in raw.items():
        if method not in METHODS:
            raise bad(f"daily_limits: {show(method)} is not a method the sandbox serves")
        out[method] = integer({method: limit}, method, minimum=0, maximum=MAX_COUNT)
    return out


def build_control(em: VkHost) -> Starlette:
    """The control app of ``em``."""

    async def rate(request: Request) -> Response:
        settings = em.settings
        if request.method == "POST":
            body = await json_object(request, fields=("per_second", "group_per_second"))
            user = number(body, "per_second", settings.per_second, minimum=0, maximum=MAX_RATE)
            group = number(
                body, "group_per_second", settings.group_per_second, minimum=0, maximum=MAX_RATE
            )
            settings.per_second, settings.group_per_second = user, group
        return JSONResponse(
            {"per_second": settings.per_second, "group_per_second": settings.group_per_second}
        )

    async def settings_route(request: Request) -> Response:
        settings = em.settings
        if request.method == "POST":
            body = await json_object(request, fields=("min_version", "daily_limits"))
            floor = settings.min_version
            text = string(body, "min_version", None)
            if text is not None:
                parsed = parse_version(text)
                if parsed is None:
                    raise bad(f'min_version must be a "major.minor" string, got {show(text)}')
                floor = parsed
            limits = _limits(body)
            settings.min_version = floor
            if limits is not None:
                settings.daily_limits.update(limits)
        return JSONResponse(
            {
                "min_version": show_version(settings.min_version),
                "daily_limits": dict(settings.daily_limits),
            }
        )

    async def expire(request: Request) -> Response:
        value = string(await json_object(request, fields=("token",)), "token")
        token = em.state.tokens.get(value)
        if token is None:
            raise HTTPException(404, "unknown token")
        token.expired = True
        return JSONResponse({"expired": True, "kind": str(token.kind), "owner": token.owner})

    async def captcha(request: Request) -> Response:
        body = await json_object(request, fields=("method", "count"))
        method = _method(body)
        count = integer(body, "count", 1, minimum=0, maximum=MAX_COUNT)
        em.guards.captcha_next[method] = count
        return JSONResponse({"method": method, "count": count})

    async def captcha_key(request: Request) -> Response:
        found = em.guards.captchas.get(request.path_params["sid"])
        if found is None:
            raise HTTPException(404, "unknown or answered captcha")
        return JSONResponse({"key": found.key, "method": found.method})

    async def validation(request: Request) -> Response:
        body = await json_object(request, fields=("count",))
        em.guards.validation_next = integer(body, "count", 1, minimum=0, maximum=MAX_COUNT)
        return JSONResponse({"count": em.guards.validation_next})

    async def flood(request: Request) -> Response:
        body = await json_object(request, fields=("method", "count"))
        method = _method(body)
        count = integer(body, "count", 1, minimum=0, maximum=MAX_COUNT)
        em.guards.flood_next[method] = count
        return JSONResponse({"method": method, "count": count})

    return control_app(
        [
            Route("/rate", rate, methods=["GET", "POST"]),
            Route("/settings", settings_route, methods=["GET", "POST"]),
            Route("/expire", expire, methods=["POST"]),
            Route("/captcha", captcha, methods=["POST"]),
            Route("/captcha/{sid}", captcha_key, methods=["GET"]),
            Route("/validation", validation, methods=["POST"]),
            Route("/flood", flood, methods=["POST"]),
            longpoll_control(em),
            *em.base_control_routes(),  # /time, /stats, /reset
        ]
    )
