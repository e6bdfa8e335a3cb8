"""``/auth/*`` and ``/me/api/*``: consumer keys (a ``kit.grants.Grant`` each), their
applications, logout; the consumer-key validation page a person opens from ``validationUrl``
and the OAuth2 client-credentials token endpoint (``/auth/oauth2/token``, on ``kit.oauth2``).

Invariants:
- A consumer key only moves as a grant does: pendingValidation -> validated | refused, and
  validated -> expired (its validity ran out, or ``/auth/logout``).
- Listing or reading a credential records an expiry its validity brought.
- The validation page is drawn by the kit's shell (``kit.pages``: everything escaped, the test
  account named). Approving needs the account's login (nichandle or e-mail) and password;
  denying does not (anyone holding the link may refuse, as on the real page). Only a
  ``pendingValidation`` credential changes state there.
- The token endpoint offers ``client_credentials`` only, scope ``all`` only, and answers what
  OVH's does (ovh.md §5): ``expires_in`` from the ``/oauth2`` tunable, the token valid one
  second longer than announced; errors in RFC 6749's JSON, 401 with ``Basic realm="OVHcloud"``.
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Awaitable, Callable
from typing import Any, Final, Protocol
from urllib.parse import parse_qsl, urlsplit

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from tether.sandbox.kit import oauth2
from tether.sandbox.kit.pages import Shell, TestAccount, select
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
    ACCOUNT_EMAIL,
    ACCOUNT_LOGIN,
    ACCOUNT_PASSWORD,
    CREDENTIAL_STATES,
    METHODS,
    AccessToken,
    Application,
    Credential,
    OvhState,
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


# --------------------------------------------------------------------------------------------
# the validation page (GET|POST /auth/?credentialToken=…)

#: The page shell, naming the account the page accepts.
SHELL: Final = Shell(
    "OVHcloud API",
    TestAccount(ACCOUNT_LOGIN, ACCOUNT_PASSWORD, alias=ACCOUNT_EMAIL),
    login_label="Account ID or e-mail",
)

#: Validity choices offered on the page: form value -> (label, seconds or None = unlimited).
VALIDITIES: Final = {
    "3600": ("1 hour", 3600),
    "86400": ("24 hours", 86400),
    "2592000": ("30 days", 2592000),
    "0": ("Unlimited", None),
}


def _validation_form(
    state: OvhState, cred: Credential, error: str = "", login: str = ""
) -> HTMLResponse:
    app = state.applications.get(cred.application_id)
    notes = [app.description] if app and app.description else []
    if cred.redirection:
        notes.append(f"After approval you will be sent to {cred.redirection}")
    return SHELL.consent(
        title="Authorize an application",
        app_name=app.name if app else "(unknown application)",
        asks=[(r["method"], r["path"]) for r in cred.rules.rules],
        heading=("Method", "Path"),
        hidden={"credentialToken": cred.token},
        action=f"?credentialToken={cred.token}",
        login=login,
        error=error,
        notes=notes,
        extra_fields=select(
            "validity", "Validity", [(v, label) for v, (label, _) in VALIDITIES.items()], "0"
        ),
        approve="Authorize access",
        deny="Refuse",
        status=200,  # a failed sign-in is answered 200, as it always was
    )


def make_validation_endpoint(
    get_state: Callable[[], OvhState], now: Callable[[], float]
) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint for ``GET``/``POST /auth/`` (bound to the emulator's state)."""

    async def validation(request: Request) -> Response:
        form: dict[str, str] = {}
        if request.method == "POST":
            form = dict(parse_qsl((await request.body()).decode("utf-8", "replace")))
        state = get_state()  # after the await: a reset meanwhile replaced it
        token = request.query_params.get("credentialToken") or form.get("credentialToken", "")
        cred = state.credentials_by_token.get(token) if token else None
        if cred is None:
            return SHELL.notice(
                "Unknown request", "This validation link is unknown or no longer valid.", 404
            )
        status = cred.effective_status(now())
        if status != "pendingValidation":
            return SHELL.notice(
                "Request already handled",
                f"This access request is {status}.",
                409 if request.method == "POST" else 200,
            )
        if request.method != "POST":
            return _validation_form(state, cred)
        action = form.get("action", "")
        if action == "deny":
            cred.deny(now())
            return SHELL.notice("Access refused", "The application was refused access.")
        if action != "approve":
            return _validation_form(state, cred, "Choose Authorize access or Refuse.")
        login = form.get("login", "").strip()
        known = login.lower() in (ACCOUNT_LOGIN.lower(), ACCOUNT_EMAIL.lower())
        password_ok = hmac.compare_digest(
            form.get("password", "").encode(), ACCOUNT_PASSWORD.encode()
        )
        if not (known and password_ok):
            return _validation_form(state, cred, "Invalid account ID or password.", login)
        _label, seconds = VALIDITIES.get(form.get("validity", "0"), VALIDITIES["0"])
        cred.approve(now(), valid_for=seconds)
        if cred.redirection:
            return RedirectResponse(cred.redirection, status_code=303)
        return SHELL.notice(
            "Access granted", "The application can now use your account. You can close this page."
        )

    return validation


# --------------------------------------------------------------------------------------------
# the OAuth2 token endpoint (POST /auth/oauth2/token)

#: OVH's server: client credentials, the one scope ``all``, no authorize page.
OAUTH2_CONFIG: Final = oauth2.Config(
    token_path="/auth/oauth2/token",
    authorize_path=None,
    grants=frozenset({"client_credentials"}),
    scopes=frozenset({"all"}),
    default_scope="all",
    refresh_tokens=False,
    realm="OVHcloud",
)


class _Counters(Protocol):
    token_grants: int


class _Tunables(Protocol):
    expires_in: int


class OvhHost(Protocol):
    """What the token endpoint needs of the emulator."""

    state: OvhState
    stats: _Counters
    settings: _Tunables

    def now(self) -> float: ...


class OvhOAuth2Backend:
    """``kit.oauth2.Backend`` over the OVH emulator's state. OVH grants neither codes nor
    refresh tokens, so the kit's own state stays empty (and needs no reset)."""

    def __init__(self, emulator: OvhHost) -> None:
        self.em = emulator
        self.oauth2_state = oauth2.OAuth2State()

    def now(self) -> float:
        return self.em.now()

    def oauth2_client(self, client_id: str) -> oauth2.OAuthClient | None:
        secret = self.em.state.oauth2_clients.get(client_id)
        return None if secret is None else oauth2.OAuthClient(client_id, secret)

    def oauth2_user(self, login: str, password: str) -> str | None:
        return None  # no password grant

    def oauth2_expires_in(self) -> int:
        return int(self.em.settings.expires_in)

    def oauth2_mint(
        self, client: oauth2.OAuthClient, user: str | None, scope: str, expires_in: int
    ) -> str:
        state = self.em.state
        token = state.random_key(64)
        # Valid one second longer than announced: OVH announces 3599 for an hour-long token.
        state.tokens[token] = AccessToken(client.client_id, self.em.now() + expires_in + 1)
        self.em.stats.token_grants += 1
        return token


def make_token_endpoint(emulator: OvhHost) -> Callable[[Request], Awaitable[Response]]:
    """The Starlette endpoint for ``POST /auth/oauth2/token`` (bound to the emulator)."""
    return oauth2.AuthorizationServer(OvhOAuth2Backend(emulator), SHELL, OAUTH2_CONFIG).token
