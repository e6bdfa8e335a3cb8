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
    POST /reset       this emulator's seeded state again

Invariants:
- Control requests change tunables or do what a person would do on a page; they never bypass
  a check an API client meets (an approval still needs a pending, unexpired frob or token).
- Every tunable lives in ``FlickrEmulator.settings`` (the clock skew on the emulator itself,
  ``kit.base``) and is restored by ``reset()``; ``/time``, ``/stats`` and ``/reset`` are the
  kit's routes.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tether.sandbox.control_api import (
    MAX_COUNT,
    bad,
    boolean,
    control_app,
    integer,
    json_object,
    show,
    string,
)
from tether.sandbox.kit.grants import GrantRefused, Refusal
from tether.services.flickr.sandbox.login import PERM_LEVELS, LoginFlows, is_web_url
from tether.services.flickr.sandbox.state import API_KEY

if TYPE_CHECKING:
    from tether.services.flickr.sandbox.host import FlickrHost

#: Flickr's error codes are small integers; a transient failure takes any of them.
MAX_ERROR_CODE = 9999
#: Polls an async upload may take: more would only make a test wait for nothing.
MAX_TICKET_POLLS = 10_000


def _refused(what: str, refusal: GrantRefused) -> HTTPException:
    """A refused approval as the control API answers it: a decided grant is a conflict,
    anything else (expired, another key's) is as unknown."""
    if refusal.reason is Refusal.NOT_PENDING:
        return HTTPException(409, f"{what} already {refusal.state}")
    return HTTPException(404, f"unknown or expired {what}")


def build_control(em: FlickrHost, login: LoginFlows) -> Starlette:
    """The control app of ``em``, approving through its ``login`` flows."""

    async def approve(request: Request) -> Response:
        body = await json_object(request, fields=("frob", "oauth_token", "perms", "deny"))
        perms = body.get("perms")
        if perms is not None and (not isinstance(perms, str) or perms not in PERM_LEVELS):
            raise bad(f"perms must be read, write or delete, got {show(perms)}")
        deny = boolean(body, "deny", False)
        frob_value = string(body, "frob", None)
        token_value = string(body, "oauth_token", None)
        if (frob_value is None) == (token_value is None):
            raise bad("give exactly one of frob and oauth_token (a string)")
        state = em.state
        now = em.now()
        if frob_value is not None:
            frob = state.frobs.get(frob_value)
            if frob is None:
                raise HTTPException(404, "unknown or expired frob")
            try:
                if deny:
                    frob.deny(now)
                else:
                    frob.approve(now, perms=perms or frob.perms or "delete")
            except GrantRefused as refusal:
                raise _refused("frob", refusal) from None
            if deny:
                return JSONResponse({"frob": frob.value, "approved": False})
            return JSONResponse({"frob": frob.value, "approved": True, "perms": frob.perms})
        rt = state.request_tokens.get(token_value)
        if rt is None:
            raise HTTPException(404, "unknown or expired request token")
        # Without a visit to the page nobody was asked anything: grant the most, so that
        # whatever the client goes on to call is allowed.
        granted = perms or rt.perms or "delete"
        try:
            if deny:
                rt.deny(now)
            else:
                verifier = login.approve_request_token(rt, granted)
        except GrantRefused as refusal:
            raise _refused("request token", refusal) from None
        if deny:
            return JSONResponse({"oauth_token": rt.value, "approved": False})
        return JSONResponse(
            {
                "oauth_token": rt.value,
                "approved": True,
                "perms": granted,
                "oauth_verifier": verifier,
            }
        )

    async def revoke(request: Request) -> Response:
        token = string(await json_object(request, fields=("token",)), "token")
        if em.state.tokens.pop(token, None) is None:
            raise HTTPException(404, "unknown token")
        return JSONResponse({"revoked": True})

    async def quota(request: Request) -> Response:
        if request.method == "POST":
            body = await json_object(request, fields=("per_hour",))
            em.settings.quota_per_hour = integer(
                body, "per_hour", em.settings.quota_per_hour, minimum=0, maximum=MAX_COUNT
            )
        return JSONResponse({"per_hour": em.settings.quota_per_hour, "used": em.quota_used()})

    async def transient(request: Request) -> Response:
        body = await json_object(request, fields=("code", "count"))
        # Both checked before either is stored: a refused body changes nothing.
        code = integer(body, "code", 105, minimum=0, maximum=MAX_ERROR_CODE)
        count = integer(body, "count", 1, minimum=0, maximum=MAX_COUNT)
        em.settings.transient_code, em.settings.transient_left = code, count
        return JSONResponse(
            {"code": em.settings.transient_code, "count": em.settings.transient_left}
        )

    async def service(request: Request) -> Response:
        if request.method == "POST":
            body = await json_object(request, fields=("available",))
            em.settings.available = boolean(body, "available", True)
        return JSONResponse({"available": em.settings.available})

    async def tickets(request: Request) -> Response:
        schedule = em.settings.tickets
        if request.method == "POST":
            body = await json_object(request, fields=("polls", "fail_next"))
            polls = integer(body, "polls", schedule.done_after, minimum=1, maximum=MAX_TICKET_POLLS)
            fail_next = integer(body, "fail_next", schedule.fail_next, minimum=0)
            schedule.done_after, schedule.fail_next = polls, fail_next
        return JSONResponse({"polls": schedule.done_after, "fail_next": schedule.fail_next})

    async def app_settings(request: Request) -> Response:
        body = (
            await json_object(request, fields=("api_key", "callback_url"))
            if request.method == "POST"
            else {}
        )
        app = em.state.apps.get(string(body, "api_key", API_KEY))
        if app is None:
            raise HTTPException(404, "unknown api_key")
        if "callback_url" in body:
            url = body["callback_url"]
            if url is not None and not (isinstance(url, str) and is_web_url(url)):
                raise bad(f"callback_url must be an http(s) URL or null, got {show(url)}")
            app.callback_url = url
        return JSONResponse(
            {"api_key": app.key, "title": app.title, "callback_url": app.callback_url}
        )

    return control_app(
        [
            Route("/approve", approve, methods=["POST"]),
            Route("/revoke", revoke, methods=["POST"]),
            Route("/quota", quota, methods=["GET", "POST"]),
            Route("/transient", transient, methods=["POST"]),
            Route("/service", service, methods=["GET", "POST"]),
            Route("/tickets", tickets, methods=["GET", "POST"]),
            Route("/app", app_settings, methods=["GET", "POST"]),
            *em.base_control_routes(),  # /time, /stats, /reset
        ]
    )
