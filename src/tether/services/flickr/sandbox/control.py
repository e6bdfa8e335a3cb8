"""The Flickr emulator's control API, mounted at ``/_sandbox/flickr`` by the combined sandbox
(JSON in and out; errors are ``{"error": …}`` with a 4xx status)::

    POST /approve     {"frob": f, "perms"?, "deny"?} | {"oauth_token": t, "perms"?, "deny"?}
                      what the user would do on the page; ``perms`` defaults to what the page
                      asked for, else "delete"; a request token's answer has "oauth_verifier"
    POST /revoke      {"token": t}: a legacy or OAuth token stops working (98 / 401)
    GET|POST /quota   {"per_hour": n}: calls per API key in any rolling hour (default 3600)
    POST /transient   {"code": 105, "count": n}: the next n API calls fail with that code
    GET|POST /service {"available": false}: every API call fails with code 0 until true again
    GET|POST /time    {"skew": s}: the emulated clock runs s seconds ahead of real time
    GET|POST /tickets {"polls": n, "fail_next": k}: polls an async upload takes to complete;
                      how many of the next async uploads fail conversion (complete="2")
    GET|POST /app     {"api_key"?, "callback_url": url | null}: the web-flow callback URL
                      registered with a key (default none: the login page shows the frob)
    GET /stats        {"calls": {method: n}, "uploads", "replaces", "bytes_received", "oauth"}
                      (every method name the sandbox does not know counted as "<unknown>")

Invariants:
- Control requests change tunables or do what a person would do on a page; they never bypass
  a check an API client meets (an approval still needs a pending, unexpired frob or token).
- Every tunable lives in ``FlickrEmulator.settings`` and is restored by ``reset()``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tether.sandbox.control_api import control_app, json_object
from tether.services.flickr.sandbox.login import PERM_LEVELS, is_web_url
from tether.services.flickr.sandbox.state import API_KEY

if TYPE_CHECKING:
    from tether.services.flickr.sandbox.app import FlickrEmulator


def _int(body: Mapping[str, Any], name: str, default: int, minimum: int = 0) -> int:
    value = body.get(name, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise HTTPException(400, f"{name} must be an integer >= {minimum}")
    return value


def build_control(em: FlickrEmulator) -> Starlette:
    """The control app of ``em``."""

    async def approve(request: Request) -> Response:
        body = await json_object(request)
        perms = body.get("perms")
        if perms is not None and perms not in PERM_LEVELS:
            raise HTTPException(400, "perms must be read, write or delete")
        deny = bool(body.get("deny"))
        state = em.state
        if "frob" in body:
            frob = state.frobs.get(str(body["frob"]))
            if frob is None or not frob.usable(em.now()):
                raise HTTPException(404, "unknown or expired frob")
            if frob.status != "pending":
                raise HTTPException(409, f"frob already {frob.status}")
            if deny:
                frob.status = "denied"
                return JSONResponse({"frob": frob.value, "approved": False})
            frob.status, frob.perms = "approved", perms or frob.perms or "delete"
            return JSONResponse({"frob": frob.value, "approved": True, "perms": frob.perms})
        if "oauth_token" in body:
            rt = state.request_tokens.get(str(body["oauth_token"]))
            if rt is None or not em.login.request_token_usable(rt):
                raise HTTPException(404, "unknown or expired request token")
            if rt.status != "pending":
                raise HTTPException(409, f"request token already {rt.status}")
            if deny:
                rt.status = "denied"
                return JSONResponse({"oauth_token": rt.value, "approved": False})
            # Without a visit to the page nobody was asked anything: grant the most, so that
            # whatever the client goes on to call is allowed.
            granted = perms or rt.perms or "delete"
            verifier = em.login.approve_request_token(rt, granted)
            return JSONResponse(
                {
                    "oauth_token": rt.value,
                    "approved": True,
                    "perms": granted,
                    "oauth_verifier": verifier,
                }
            )
        raise HTTPException(400, "give a frob or an oauth_token")

    async def revoke(request: Request) -> Response:
        token = str((await json_object(request)).get("token", ""))
        if em.state.tokens.pop(token, None) is None:
            raise HTTPException(404, "unknown token")
        return JSONResponse({"revoked": True})

    async def quota(request: Request) -> Response:
        if request.method == "POST":
            body = await json_object(request)
            em.settings.quota_per_hour = _int(body, "per_hour", em.settings.quota_per_hour)
        return JSONResponse({"per_hour": em.settings.quota_per_hour, "used": em.quota_used()})

    async def transient(request: Request) -> Response:
        body = await json_object(request)
        em.settings.transient_code = _int(body, "code", 105)
        em.settings.transient_left = _int(body, "count", 1)
        return JSONResponse(
            {"code": em.settings.transient_code, "count": em.settings.transient_left}
        )

    async def service(request: Request) -> Response:
        if request.method == "POST":
            available = (await json_object(request)).get("available", True)
            if not isinstance(available, bool):
                raise HTTPException(400, "available must be true or false")
            em.settings.available = available
        return JSONResponse({"available": em.settings.available})

    async def clock(request: Request) -> Response:
        if request.method == "POST":
            skew = (await json_object(request)).get("skew", 0)
            if isinstance(skew, bool) or not isinstance(skew, int | float):
                raise HTTPException(400, "skew must be a number")
            em.settings.skew = float(skew)
        return JSONResponse({"skew": em.settings.skew, "server_time": int(em.now())})

    async def tickets(request: Request) -> Response:
        settings = em.settings
        if request.method == "POST":
            body = await json_object(request)
            settings.ticket_polls = _int(body, "polls", settings.ticket_polls, 1)
            settings.failing_tickets = _int(body, "fail_next", settings.failing_tickets)
        return JSONResponse({"polls": settings.ticket_polls, "fail_next": settings.failing_tickets})

    async def app_settings(request: Request) -> Response:
        body = await json_object(request) if request.method == "POST" else {}
        app = em.state.apps.get(str(body.get("api_key", API_KEY)))
        if app is None:
            raise HTTPException(404, "unknown api_key")
        if "callback_url" in body:
            url = body["callback_url"]
            if url is not None and not (isinstance(url, str) and is_web_url(url)):
                raise HTTPException(400, "callback_url must be an http(s) URL or null")
            app.callback_url = url
        return JSONResponse(
            {"api_key": app.key, "title": app.title, "callback_url": app.callback_url}
        )

    async def stats(request: Request) -> Response:
        return JSONResponse(em.stats.to_json())

    return control_app(
        [
            Route("/approve", approve, methods=["POST"]),
            Route("/revoke", revoke, methods=["POST"]),
            Route("/quota", quota, methods=["GET", "POST"]),
            Route("/transient", transient, methods=["POST"]),
            Route("/service", service, methods=["GET", "POST"]),
            Route("/time", clock, methods=["GET", "POST"]),
            Route("/tickets", tickets, methods=["GET", "POST"]),
            Route("/app", app_settings, methods=["GET", "POST"]),
            Route("/stats", stats, methods=["GET"]),
        ]
    )
