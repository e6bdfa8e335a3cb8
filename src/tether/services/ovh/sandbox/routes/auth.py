"""``/auth/*`` and ``/me/api/*``: consumer keys (a ``kit.grants.Grant`` each), their
applications, logout.

Invariants:
- A consumer key only moves as a grant does: pendingValidation -> validated | refused, and
  validated -> expired (its validity ran out, or ``/auth/logout``).
- Listing or reading a credential records an expiry its validity brought.
"""

from __future__ import annotations

import ipaddress
from typing import Any, Final
from urllib.parse import urlsplit

from tether.services.ovh.sandbox.dispatch import (
    Ctx,
    auth_error,
    bad_request,
    not_found,
    show,
)
from tether.services.ovh.sandbox.routes.common import (
    credential_of,
    int_param,
    query_enum,
)
from tether.services.ovh.sandbox.state import (
    ACCOUNT_LOGIN,
    CREDENTIAL_STATES,
    METHODS,
    Application,
    Credential,
)

# --------------------------------------------------------------------------------------------
# /auth


def auth_time(ctx: Ctx) -> int:
    return int(ctx.now)


ACCESS_RULES_MALFORMED: Final = (
    "Body parameter accessRules isn't formated correctly"  # sic, as seen
)


def auth_credential(ctx: Ctx) -> dict[str, Any]:
    app = ctx.state.applications_by_key.get(ctx.app_key)
    if app is None:
        raise auth_error("INVALID_KEY")
    rules = ctx.body.get("accessRules")
    if not isinstance(rules, list) or not rules:
        raise bad_request(ACCESS_RULES_MALFORMED, with_class=False)
    clean: list[dict[str, str]] = []
    for rule in rules:
        if not isinstance(rule, dict) or set(rule) != {"method", "path"}:
            raise bad_request(ACCESS_RULES_MALFORMED, with_class=False)
        method, path = rule.get("method"), rule.get("path")
        if method not in METHODS:
            raise bad_request(
                f"[method] Given data ({show(method)}) does not belong to the "
                "http.MethodEnum enumeration"
            )
        if not isinstance(path, str):
            raise bad_request(f"[path] Given data ({show(path)}) is not a string")
        assert isinstance(method, str)
        # Stored verbatim: a rule without a leading "/" is accepted but never matches.
        clean.append({"method": method, "path": path})
    redirection = ctx.body.get("redirection")
    if redirection is not None:
        parts = urlsplit(redirection) if isinstance(redirection, str) else None
        # Only http(s): the validation page redirects the user's browser there.
        if parts is None or parts.scheme not in ("http", "https") or not parts.netloc:
            raise bad_request(f"[redirection] Given data ({show(redirection)}) is not a valid URL")
    blocks = ctx.body.get("allowedIPs")
    if blocks is not None:
        _check_ip_blocks(blocks)
    cred = ctx.state.add_credential(
        app, clean, now=ctx.now, redirection=redirection, allowed_ips=blocks
    )
    return {
        "validationUrl": f"{ctx.site}/auth/?credentialToken={cred.token}",
        "consumerKey": cred.consumer_key,
        "state": "pendingValidation",
    }


def _check_ip_blocks(blocks: object) -> None:
    if not isinstance(blocks, list):
        raise bad_request(f"[allowedIPs] Given data ({show(blocks)}) is not an array of ipBlock")
    for block in blocks:
        try:
            if not isinstance(block, str):
                raise ValueError(block)
            ipaddress.ip_network(block, strict=False)
        except ValueError:
            raise bad_request(
                f"[allowedIPs] Given data ({show(block)}) is not a valid ipBlock"
            ) from None


def auth_current_credential(ctx: Ctx) -> dict[str, Any]:
    return credential_of(ctx).to_json()


def auth_logout(ctx: Ctx) -> None:
    cred = credential_of(ctx)
    cred.expire(ctx.now)


def auth_details(ctx: Ctx) -> dict[str, Any]:
    return {
        "method": "account" if ctx.credential is not None else "provider",
        "user": None,
        "description": None,
        "roles": [],
        "identities": [f"urn:v1:eu:identity:account:{ACCOUNT_LOGIN}"],
        "account": ACCOUNT_LOGIN,
        "allowedRoutes": (
            ctx.credential.rules.rules
            if ctx.credential is not None
            else [{"method": m, "path": "/*"} for m in METHODS]
        ),
    }


# /me/api


def _cred_by_id(ctx: Ctx) -> Credential:
    cred = ctx.state.credentials.get(int_param(ctx, "credentialId"))
    if cred is None:
        raise not_found("credentialId", ctx.params["credentialId"])
    cred.effective_status(ctx.now)
    return cred


def _app_by_id(ctx: Ctx, app_id: int) -> Application:
    app = ctx.state.applications.get(app_id)
    if app is None:
        raise not_found("applicationId", app_id)
    return app


def credential_list(ctx: Ctx) -> list[int]:
    status = query_enum(ctx, "status", CREDENTIAL_STATES, "auth.CredentialStateEnum")
    app_id: int | None = None
    if "applicationId" in ctx.query:
        raw = ctx.query["applicationId"]
        try:
            app_id = int(raw)
        except ValueError:
            raise bad_request(f"[applicationId] Given data ({raw}) is not an integer") from None
    return [
        c.credential_id
        for c in ctx.state.credentials.values()
        if (status is None or c.effective_status(ctx.now) == status)
        and (app_id is None or c.application_id == app_id)
    ]


def credential_get(ctx: Ctx) -> dict[str, Any]:
    return _cred_by_id(ctx).to_json()


def credential_put(ctx: Ctx) -> dict[str, Any]:
    cred = _cred_by_id(ctx)
    if "allowedIPs" in ctx.body:
        blocks = ctx.body["allowedIPs"]
        if blocks is not None:
            _check_ip_blocks(blocks)
        cred.set_allowed_ips(blocks)
    return cred.to_json()


def credential_delete(ctx: Ctx) -> None:
    ctx.state.remove_credential(_cred_by_id(ctx))


def credential_application(ctx: Ctx) -> dict[str, Any]:
    return _app_by_id(ctx, _cred_by_id(ctx).application_id).to_json()


def application_list(ctx: Ctx) -> list[int]:
    return list(ctx.state.applications)


def application_get(ctx: Ctx) -> dict[str, Any]:
    return _app_by_id(ctx, int_param(ctx, "applicationId")).to_json()


def application_delete(ctx: Ctx) -> None:
    ctx.state.remove_application(_app_by_id(ctx, int_param(ctx, "applicationId")))
