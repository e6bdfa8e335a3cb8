"""How a user lets an application in: the legacy login page (``/services/auth/``, frob and web
flows, flickr.md §6.1-6.2) and OAuth 1.0a (``/services/oauth/…``, §6.4).

Invariants:
- A frob or request token is single-use, bound to the API key that asked for it, and usable
  for ``FROB_LIFETIME`` / ``REQUEST_TOKEN_LIFETIME`` seconds (Flickr's lifetimes are
  unconfirmed, flickr.md §14): a ``kit.grants.Grant``, so its status only moves
  pending -> approved | denied, and approved -> used (then it is dropped).
- The login page verifies the URL's ``api_sig`` over every parameter of the link (not the
  page's own login/password/action fields), so a tampered link (other perms) is refused.
- Approving needs the sandbox user's login (e-mail or username) and password; refusing does
  not (anyone holding the link may say no).
- OAuth endpoint failures are HTTP 401 with a form-encoded ``oauth_problem`` body; a refused
  or unknown request token is ``token_rejected``, a callback that is no http(s) URL (or no URL
  at all, ``http://[::1``) ``parameter_rejected``.
- A callback keeps its query and fragment: the answer's parameters join its query and the
  fragment stays last, where a browser keeps it.
- A page reads the emulator's state only once the request's form has arrived, so a reset
  meanwhile never leaves it writing into discarded state.
- Pages are drawn by the kit's shell (``kit.pages``): everything escaped, and the sign-in
  page names the test account ``_good_login`` accepts (``SHELL``).
"""

from __future__ import annotations

import hmac
from collections.abc import Mapping
from typing import TYPE_CHECKING, Final
from urllib.parse import urlencode, urlsplit, urlunsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from tether.sandbox.kit.grants import GrantRefused, GrantState
from tether.sandbox.kit.pages import PAGE_FIELDS, Shell, TestAccount
from tether.services.flickr.sandbox.incoming import Incoming, form_pairs, query_pairs, text
from tether.services.flickr.sandbox.signing import (
    OAuthProblem,
    legacy_valid,
    pct,
    verify_oauth,
)
from tether.services.flickr.sandbox.state import (
    LOGIN,
    PASSWORD,
    USER_NSID,
    USERNAME,
    RequestToken,
    Token,
)

if TYPE_CHECKING:
    from tether.services.flickr.sandbox.host import FlickrHost

PERM_LEVELS: Final = ("read", "write", "delete")

#: What each permission level lets an application do (each includes the ones before).
PERMS_TEXT: Final = {
    "read": "see your photos and details, including private ones",
    "write": "see, upload, edit and replace your photos",
    "delete": "see, upload, edit, replace and delete your photos",
}

#: The kit's page shell, naming the account ``_good_login`` accepts.
SHELL: Final = Shell(
    "Flickr", TestAccount(USERNAME, PASSWORD, alias=LOGIN), login_label="Email or username"
)


def is_web_url(url: str) -> bool:
    """Whether ``url`` is an http(s) URL; ``False`` for one ``urlsplit`` cannot read."""
    try:
        return urlsplit(url).scheme in ("http", "https")
    except ValueError:  # "http://[::1": an unclosed IPv6 literal
        return False


def with_query(url: str, **params: str) -> str:
    """``url`` with ``params`` added to its query (before any ``#fragment``)."""
    parts = urlsplit(url)
    query = "&".join(q for q in (parts.query, urlencode(params)) if q)
    return urlunsplit(parts._replace(query=query))


class LoginFlows:
    """The login page, the OAuth endpoints and the authorise page of one emulator."""

    def __init__(self, emulator: FlickrHost) -> None:
        self.em = emulator

    def routes(self) -> list[Route]:
        both = ["GET", "POST"]
        return [
            Route("/services/auth/", self.auth_page, methods=both),
            Route("/services/oauth/request_token", self.request_token, methods=both),
            Route("/services/oauth/authorize", self.authorize_page, methods=both),
            Route("/services/oauth/access_token", self.access_token, methods=both),
        ]

    # -- shared ---------------------------------------------------------------------------

    def request_token_usable(self, rt: RequestToken | None) -> bool:
        return rt is not None and rt.alive(self.em.now())

    def approve_request_token(self, rt: RequestToken, perms: str) -> str:
        """Mark ``rt`` approved with ``perms``; returns the verifier (9 digits for ``oob``).

        Raises:
            GrantRefused: ``rt`` is expired or already decided.
        """
        rt.approve(self.em.now(), perms=perms)
        rt.verifier = self.em.state.new_verifier(oob=rt.callback == "oob")
        return rt.verifier

    @staticmethod
    async def _page_params(request: Request) -> tuple[dict[str, str], dict[str, str]]:
        """(the link's own parameters, the page's fields: login, password, action)."""
        params = dict(query_pairs(request.scope))
        fields: dict[str, str] = {}
        for name, value in await form_pairs(request):
            (fields if name in PAGE_FIELDS else params)[name] = value
        return params, fields

    @staticmethod
    def _good_login(fields: Mapping[str, str]) -> bool:
        login_ok = fields.get("login", "").strip().lower() in (LOGIN, USERNAME)
        password_ok = hmac.compare_digest(fields.get("password", "").encode(), PASSWORD.encode())
        return login_ok and password_ok

    # -- legacy login page ----------------------------------------------------------------

    def _consent_step(
        self,
        request: Request,
        fields: Mapping[str, str],
        app_title: str,
        perms: str,
        params: dict[str, str],
    ) -> Response | None:
        """The page to show before a grant (the consent form, a refusal, a failed sign-in), or
        ``None`` when the user signed in and approved."""
        if request.method == "GET":
            return self._consent(app_title, perms, params)
        if fields.get("action") == "deny":
            return SHELL.notice("Access refused", f"{app_title} was not given access.")
        if not self._good_login(fields):
            return self._consent(
                app_title, perms, params, fields.get("login", ""), "Wrong login or password."
            )
        return None

    @staticmethod
    def _consent(
        app_title: str, perms: str, params: Mapping[str, str], login: str = "", error: str = ""
    ) -> Response:
        """The sign-in-and-approve page; with ``error`` it is answered with HTTP 401."""
        return SHELL.consent(
            app_name=app_title,
            asks=[(perms, PERMS_TEXT.get(perms, perms))],
            hidden=params,
            login=login,
            error=error,
            approve="OK, I'll authorize it",
            deny="No thanks",
        )

    async def auth_page(self, request: Request) -> Response:
        """Desktop flow (``frob`` in the signed link: approve here, then the application
        calls getToken) or web flow (no frob: approve, then a fresh frob goes to the
        callback URL registered with the key)."""
        params, fields = await self._page_params(request)
        state = self.em.state  # after the await: a reset meanwhile replaced it
        now = self.em.now()  # one instant for the whole decision: no expiry in between
        app = state.apps.get(params.get("api_key", ""))
        if app is None:
            return SHELL.notice("Invalid API key", "This link names no known application.", 400)
        api_sig = params.get("api_sig", "")
        if not api_sig or not legacy_valid(app.secret, params, api_sig):
            return SHELL.notice(
                "Invalid login link", "The link's signature does not check out (error 96).", 400
            )
        perms = params.get("perms", "")
        if perms not in PERM_LEVELS:
            return SHELL.notice("Invalid login link", "perms must be read, write or delete.", 400)
        frob = None
        if "frob" in params:
            frob = state.frobs.get(params["frob"])
            if frob is None or not frob.usable(now, app.key):
                return SHELL.notice(
                    "Invalid frob", "This link has expired: start again from the application.", 400
                )
            if frob.status != "pending":
                return SHELL.notice("Already done", f"This request was already {frob.status}.", 400)
            frob.perms = perms  # what the user is asked for (also the control API's default)
        if fields.get("action") == "deny" and frob is not None and request.method == "POST":
            frob.deny(now)
        shown = self._consent_step(request, fields, app.title, perms, params)
        if shown is not None:
            return shown
        if frob is None:
            frob = state.new_frob(app.key, now)
        frob.approve(now, perms=perms)
        if "frob" in params:
            return SHELL.notice(
                "You are signed in",
                f"{app.title} now has {perms} access. Return to the application to continue.",
            )
        if app.callback_url:
            # Unconfirmed: ``extra`` passed through to the callback (flickr.md §6.2).
            extra = {"extra": params["extra"]} if "extra" in params else {}
            return RedirectResponse(with_query(app.callback_url, frob=frob.value, **extra), 303)
        return SHELL.code_page(
            "You are signed in",
            "No callback URL is registered with this application's key; its callback would "
            "receive this frob:",
            frob.value,
        )

    # -- OAuth ------------------------------------------------------------------------------

    def _request_token_secret(self, token: str, key: str) -> str | None:
        # Unknown, refused, expired, not yet approved or another key's: all "token_rejected"
        # (unconfirmed which problem name Flickr gives each case).
        rt = self.em.state.request_tokens.get(token)
        if rt is None or rt.api_key != key or rt.status is not GrantState.APPROVED:
            return None
        return rt.secret if self.request_token_usable(rt) else None

    async def request_token(self, request: Request) -> Response:
        em = self.em
        em.stats.oauth["request_token"] += 1
        incoming = Incoming.build(request, await form_pairs(request))
        try:
            result = verify_oauth(
                incoming.signed(),
                now=em.now(),
                consumer_secret=em.app_secret,
                token_secret=lambda token, key: None,
                nonces=em.nonces,
                require_token=False,
            )
            callback = result.oauth.get("oauth_callback", "")
            if not callback:
                raise OAuthProblem(
                    "parameter_absent", [("oauth_parameters_absent", "oauth_callback")]
                )
            if callback != "oob" and not is_web_url(callback):
                # Only web URLs (or oob): the approve page sends the browser there.
                raise OAuthProblem(
                    "parameter_rejected", [("oauth_parameters_rejected", "oauth_callback")]
                )
        except OAuthProblem as problem:
            return text(problem.body(), 401)
        state = em.state
        rt = RequestToken(
            value=state.new_token_value(),
            secret=state.new_secret(),
            api_key=result.consumer_key,
            callback=callback,
            created=em.now(),
        )
        state.request_tokens[rt.value] = rt
        return text(
            f"oauth_callback_confirmed=true&oauth_token={pct(rt.value)}"
            f"&oauth_token_secret={pct(rt.secret)}"
        )

    async def access_token(self, request: Request) -> Response:
        em = self.em
        em.stats.oauth["access_token"] += 1
        incoming = Incoming.build(request, await form_pairs(request))
        try:
            result = verify_oauth(
                incoming.signed(),
                now=em.now(),
                consumer_secret=em.app_secret,
                token_secret=self._request_token_secret,
                nonces=em.nonces,
                require_token=True,
            )
            rt = em.state.request_tokens[result.token or ""]
            verifier = result.oauth.get("oauth_verifier", "")
            if not verifier:
                raise OAuthProblem(
                    "parameter_absent", [("oauth_parameters_absent", "oauth_verifier")]
                )
            if not hmac.compare_digest(verifier.encode(), (rt.verifier or "").encode()):
                raise OAuthProblem("verifier_invalid")
            try:
                rt.use(em.now())
            except GrantRefused:  # expired since its secret was looked up
                raise OAuthProblem("token_rejected") from None
        except OAuthProblem as problem:
            return text(problem.body(), 401)
        state = em.state
        del state.request_tokens[rt.value]  # spent: single use
        token = Token(
            state.new_token_value(),
            "oauth",
            rt.api_key,
            USER_NSID,
            rt.perms or "read",
            state.new_secret(),
        )
        state.tokens[token.value] = token
        user = state.users[USER_NSID]
        # Perms are not in the answer (flickr.md §6.4): the client knows what it asked for.
        return text(
            "&".join(
                f"{k}={pct(v)}"
                for k, v in (
                    ("fullname", user.realname),
                    ("oauth_token", token.value),
                    ("oauth_token_secret", token.secret),
                    ("user_nsid", user.nsid),
                    ("username", user.username),
                )
            )
        )

    async def authorize_page(self, request: Request) -> Response:
        """``/services/oauth/authorize?oauth_token=…&perms=…`` (not signed)."""
        em = self.em
        em.stats.oauth["authorize"] += 1
        params, fields = await self._page_params(request)
        rt = em.state.request_tokens.get(params.get("oauth_token", ""))
        if rt is None or not self.request_token_usable(rt):
            return SHELL.notice(
                "Invalid request", "This authorisation link is unknown or has expired.", 400
            )
        if rt.status != "pending":
            return SHELL.notice("Already done", f"This request was already {rt.status}.", 400)
        # Unconfirmed what Flickr grants when perms is left out (flickr.md §6.4): read here.
        perms = params.get("perms") or "read"
        if perms not in PERM_LEVELS:
            return SHELL.notice("Invalid request", "perms must be read, write or delete.", 400)
        rt.perms = perms
        app = em.state.apps[rt.api_key]
        if fields.get("action") == "deny" and request.method == "POST":
            rt.deny(em.now())
        shown = self._consent_step(request, fields, app.title, perms, params)
        if shown is not None:
            return shown
        verifier = self.approve_request_token(rt, perms)
        if rt.callback == "oob":
            return SHELL.code_page(
                "Your code", f"Type this code into {app.title} to finish:", verifier
            )
        # 303 See Other: the browser follows a POST's redirect with a GET.
        return RedirectResponse(
            with_query(rt.callback, oauth_token=rt.value, oauth_verifier=verifier), 303
        )
