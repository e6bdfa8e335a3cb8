"""VK's OAuth logins (vk.md §2.3, 2.4, 2.6): PyVK's ``ServerAuth`` (the authorization-code
flow), ``ImplicitAuth`` (the implicit flow through a browser, for when no login form can be
driven) and ``DirectAuth`` (the password grant, for apps VK allows it, with a client secret),
each with an ``Async`` twin. All three are ``tether.auth.oauth2``'s strategies
(``begin_authorization``, ``authorization_code``, ``implicit_token``, ``password``) with VK's
endpoints, bit-mask scope and error answers.

Where this does what PyVK's docs promise rather than what its code does (vk.md §6.1):
``auth_url`` is URL-encoded and carries a ``state`` (``state=`` option, else a random one,
readable as ``auth.state``) that ``auth()`` checks when given the whole redirect; the code is
exchanged by a form POST, not a GET whose query (the client secret and the code) lands in
server and proxy logs.

Invariants:
- Every flow runs on the object's runtime (``self._run``): a value on the sync classes, an
  awaitable on the ``Async`` ones; the browser and the questions are ``Browse`` and
  ``Prompt`` effects answered by the ``browse=`` handler and the ``input`` option.
- ``token``, ``scope`` and ``user_id`` are set only when an authorisation succeeded, together;
  ``scope`` is what VK says the token grants (``account.getAppPermissions``), not what was
  asked: the code flow never gets ``wall`` or ``messages``.
- A redirect's ``state`` is checked (constant time) before anything else in it is read.
- VK's OAuth error answers raise ``AuthError`` whose message names VK's ``error`` and
  ``error_description``, which, with every other key of the answer, are also its kwargs
  (``e.error``, ``e.error_description``, ``e.redirect_uri`` …), as PyVK's.
- Secrets (the password, client secret, code, token) are never kept beyond need (the password
  lives only inside the flow), nor put in a message, a repr or a log line.
- ``api(**options)`` spawns an ``API`` (``AsyncAPI``) with the token, the auth object's
  options (its own, auth-only ones dropped) and then ``options``; on errors 5 and 17 that API
  renews its token through this object (``recovery.py``).
"""

from __future__ import annotations

import hmac
import os
import secrets
from collections.abc import Callable, Mapping
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlsplit

from tether.auth import oauth2
from tether.core.errors import TransportError
from tether.core.flow import Browse, Flow, Now, Prompt
from tether.core.jsonparse import loads
from tether.core.messages import Request, Response
from tether.core.params import form_body
from tether.services.kit.client import AsyncFacade, ClientCore, SyncFacade, sandbox_redirect
from tether.services.vk.calls import decode
from tether.services.vk.config import ClientAuthConfig, ServerAuthConfig, known_options, log_to
from tether.services.vk.errors import AuthError, InvalidToken, RequestFailed
from tether.services.vk.inputs import Input, prompt_handler
from tether.services.vk.recovery import Recovery
from tether.services.vk.spec import API_URL, OAUTH_URL
from tether.transport import DEFAULT_DEADLINE, DEFAULT_MAX_RESPONSE_BYTES

__all__ = [
    "AsyncDirectAuth",
    "AsyncImplicitAuth",
    "AsyncServerAuth",
    "DirectAuth",
    "ImplicitAuth",
    "ServerAuth",
]

#: Where the implicit flow lands (VK's own page; the sandbox serves its twin).
BLANK = "https://oauth.vk.com/blank.html"
#: Rounds of a password grant at most (a captcha and a 2FA code each take one).
MAX_ROUNDS = 5
#: Options only an auth object reads: not passed on to the APIs it spawns.
_AUTH_ONLY = frozenset(
    {"app_id", "redirect_uri", "scope", "display", "state", "username", "disable_cache"}
)
_HINTS = {
    "invalid_client": "check app_id and client_secret (or the username and password)",
    "invalid_grant": "the code is used or expired: send the user to auth_url again",
    "invalid_request": "check redirect_uri: it must be the one auth_url was made with",
    "access_denied": "the user did not allow the application",
    "need_validation": "VK wants the user to confirm: open redirect_uri in a browser",
    "need_captcha": "VK asks for a captcha: answer it through the input",
}


def _auth_error(message: str) -> Exception:
    return AuthError(message)


def _refused(answer: Mapping[str, Any], where: str, status: int | None = None) -> AuthError:
    """The ``AuthError`` for VK's OAuth error answer (its keys as kwargs)."""
    error = str(answer.get("error") or "refused")
    desc = answer.get("error_description")
    said = f"{error}: {desc}" if isinstance(desc, str) and desc else error
    hint = _HINTS.get(error, "see VK's documentation of this error")
    tail = f", HTTP {status}" if status is not None else ""
    kwargs = {str(k): v for k, v in answer.items()}
    return AuthError(f"{where}: VK refused the authorisation ({said}{tail}); {hint}", **kwargs)


def _answer_of(response: Response, where: str) -> dict[str, Any]:
    """The JSON object of a token endpoint's answer, or ``AuthError`` for anything else and for
    VK's error answers."""
    try:
        body = loads(response.body, where)
    except ValueError:
        body = None
    if not isinstance(body, dict):
        raise AuthError(
            f"Unexpected response: {where} answered HTTP {response.status} with no JSON object; "
            "check oauth_url",
            status=response.status,
        )
    if "error" in body:
        raise _refused(body, where, response.status)
    return body


class _Asker:
    """PyVK's ``Input`` knows no ``redirect_url`` (the implicit flow's question): asked here
    on the terminal for the default input, passed on to any other."""

    def __init__(self, source: Any) -> None:
        self.source = source

    def ask(self, field: str, **kw: Any) -> str:
        if field == "redirect_url" and self.source is Input:
            return input("Address of the page you landed on: ").strip()
        return str(self.source.ask(field, **kw))


class _AuthCore(ClientCore):
    """What every VK auth object has: options, endpoints, runtime, and the token's settling."""

    _config_type: ClassVar[type[Any]] = ClientAuthConfig

    def __init__(
        self,
        *,
        environ: Mapping[str, str] | None = None,
        transport: Any = None,
        retry: Any = True,
        proxy: str | None = None,
        ca_certs: str | None = None,
        deadline: float | None = DEFAULT_DEADLINE,
        max_response_bytes: int | None = DEFAULT_MAX_RESPONSE_BYTES,
        browse: Callable[[Browse], Any] | None = None,
        oauth_url: str | None = None,
        entropy: Callable[[int], str] = secrets.token_urlsafe,
        **options: Any,
    ) -> None:
        environ = os.environ if environ is None else environ
        config = self._config_type(**options)
        log_to(options, config)
        unknown = {k: v for k, v in config.unknown().items() if k not in known_options()}
        if unknown:
            from tether.services.vk.api import _warn_unknown

            _warn_unknown(unknown)
        api_url = options.get("api_url") or API_URL
        sandbox = sandbox_redirect("vk", environ)
        self._sandbox = sandbox.credentials if sandbox is not None else {}
        if sandbox is not None:
            oauth_url = oauth_url or self._sandbox["oauth_url"]
            if not options.get("api_url"):
                api_url = self._sandbox["api_url"]
        oauth_url = oauth_url or OAUTH_URL
        self.config = config
        self.app_id = config.app_id if config.app_id is not None else self._sandbox.get("app_id")
        self.token: str | None = None
        self.scope: int | None = None
        self.user_id: int | None = None
        self._oauth_url = oauth_url if oauth_url.endswith("/") else oauth_url + "/"
        self._api_url = api_url if api_url.endswith("/") else api_url + "/"
        self._entropy = entropy
        self._options = {k: v for k, v in options.items() if k not in _AUTH_ONLY}
        self._environ = environ
        self._transport_arg = transport
        self._start(
            transport=transport,
            timeout=config.timeout,
            retry=retry,
            sandboxed=sandbox is not None,
            environ=environ,
            proxy=proxy,
            ca_certs=ca_certs,
            deadline=deadline,
            max_response_bytes=max_response_bytes,
            browse=browse,
            prompt=prompt_handler(self._asker(), self._sync),
        )

    def __repr__(self) -> str:
        state = "set" if self.token else "none"
        return f"<{type(self).__name__} app_id={self.app_id!r} token={state}>"

    def api(self, **options: Any) -> Any:
        """An ``API`` (``AsyncAPI`` on an ``Async`` auth) with this token and options.

        Raises:
            AuthError: not authorised yet.
        """
        if not self.token:
            raise AuthError(f"{type(self).__name__}: not authorised: call auth() first")
        from tether.services.vk.api import API, AsyncAPI

        cls = API if self._sync else AsyncAPI
        merged = {**self._options, **options}
        merged.setdefault("environ", self._environ)
        if self._transport_arg is not None:
            merged.setdefault("transport", self._transport_arg)
        api = cls(token=self.token, **merged)
        api._renewer = Recovery(self, self._asker(), self._runtime.browse)  # errors 5 and 17
        return api

    def _asker(self) -> Any:
        return _Asker(self.config.input)

    def _client(self, token_url: str, secret: str = "", **params: str) -> oauth2.Client:
        return oauth2.Client(
            str(self.app_id),
            secret,
            token_url=self._oauth_url + token_url,
            authorize_url=self._oauth_url + "authorize",
            basic=False,  # VK reads client_id and client_secret from the form only
            params=(("v", str(self.config.version)), *params.items()),
            label="vk",
        )

    def _exchange(self, build: Callable[[float], Request], label: str) -> Flow[Response]:
        """``oauth2.Exchange``: one retried send; VK's error answers raised as ``AuthError``."""
        try:
            response = yield from self._retrying(build)
        except TransportError as e:
            raise RequestFailed(
                f"Request failed after all attempts: {label}: no answer from VK ({e}); check "
                "the network and oauth_url",
                exc=e,
            ) from e
        _answer_of(response, label)
        return response

    def _settle(self, token: oauth2.Token) -> Flow[None]:
        """Ask VK what ``token`` grants (as PyVK does), then keep it."""
        method = "account.getAppPermissions"
        fields = {"v": str(self.config.version), "access_token": token.access_token}
        request = Request(
            "POST",
            self._api_url + method,
            (("Content-Type", oauth2.FORM),),
            form_body(fields),
            idempotent=True,
            label=f"vk {method}",
        )
        try:
            response = yield from self._retrying(lambda now: request)
        except TransportError as e:
            raise RequestFailed(f"Request failed: {method}: no answer from VK ({e})", exc=e) from e
        answer = decode(response, method)
        granted = answer.get("response") if isinstance(answer, dict) else None
        if type(granted) is not int:
            error = answer.get("error") if isinstance(answer, dict) else None
            raise InvalidToken(
                "Invalid token: VK refused the new token (account.getAppPermissions); "
                "authorise again",
                error=error,
            )
        user_id = token.extra.get("user_id")
        self.token, self.scope = token.access_token, granted
        self.user_id = int(str(user_id)) if str(user_id).isdigit() else None


class _BaseServerAuth(_AuthCore):
    """PyVK's ``ServerAuth(app_id, redirect_uri, **options)``: the authorization-code flow.

    Args:
        app_id: the VK application (with ``TETHER_SANDBOX``: the sandbox's by default).
        redirect_uri: where VK sends the user back with ``?code=…&state=…`` (default VK's
            ``blank.html``, for an app with no server of its own).
        **options: ``ServerAuthConfig`` and ``GlobalConfig`` options (``scope`` a bit mask,
            default ``p_offline``; ``display``; ``state``; ``version``; ``timeout``;
            ``input``) and the API options its ``api()`` passes on; tether's ``oauth_url``,
            ``browse``, ``transport``, ``environ``.
    """

    _config_type = ServerAuthConfig

    def __init__(self, app_id: Any = None, redirect_uri: str | None = None, **options: Any):
        # PyVK requires redirect_uri, yet its docs' options example leaves it out: without one,
        # VK's own landing page (where VK sends the code when an app has no server of its own).
        redirect_uri = redirect_uri or BLANK
        super().__init__(app_id=app_id, redirect_uri=redirect_uri, **options)
        if not self.app_id:
            raise AuthError("ServerAuth needs an app_id: your VK application's id")
        self.redirect_uri = redirect_uri
        state = self.config.state or self._entropy(24)
        self._pending = oauth2.begin_authorization(
            self._client("access_token"),
            redirect_uri,
            str(int(self.config.scope)),
            pkce=False,  # VK knows no PKCE
            extra={"display": str(self.config.display), "v": str(self.config.version)},
            entropy=lambda n: state,
        )

    @property
    def auth_url(self) -> str:
        """The VK page to send the user to (URL-encoded, with ``state``)."""
        return self._pending.url

    @property
    def state(self) -> str:
        """The ``state`` of ``auth_url``: VK sends it back; keep it with the user's session."""
        return self._pending.state

    def auth(self, code: str, client_secret: str) -> Any:
        """Trade ``code`` (from the redirect's query; or the whole redirect URL or query, whose
        ``state`` is then checked) for a token: sets ``token``, ``scope`` and ``user_id``.

        Raises:
            AuthError: VK refused (``error_description`` says why), or the state differs.
            InvalidToken: VK refuses the token it just gave.
        """
        return self._run(self._code_flow(code, client_secret))

    def _code_flow(self, code: str, client_secret: str) -> Flow[None]:
        if not code or not client_secret:
            raise AuthError("auth() needs the code VK sent and the application's client_secret")
        answer: str | dict[str, str] = code
        if "=" not in code:  # a bare code: nothing to check it against
            answer = {"code": code, "state": self.state}
        token = yield from oauth2.authorization_code(
            self._client("access_token", client_secret),
            self._pending,
            answer,
            self._exchange,
            error=_auth_error,
        )
        yield from self._settle(token)


class _BaseImplicitAuth(_AuthCore):
    """The implicit flow (vk.md §2.3): the authorize page opens in a browser (a ``Browse``
    effect), the user signs in and allows, then pastes the address of the ``blank.html`` page
    they land on (a ``Prompt`` of field ``redirect_url``, with the page's ``url``); the token
    comes from its fragment.

    Args:
        app_id: the VK application (with ``TETHER_SANDBOX``: the sandbox's by default).
        **options: ``ClientAuthConfig`` options (``scope``, default ``p_basic``) and
            ``GlobalConfig`` ones; ``display`` (default ``page``); tether's ``browse``.
    """

    def __init__(self, app_id: Any = None, **options: Any) -> None:
        self._display = str(options.pop("display", "page"))
        super().__init__(app_id=app_id, **options)
        if not self.app_id:
            raise AuthError("ImplicitAuth needs an app_id")

    def auth(self) -> Any:
        """Run the flow: sets ``token``, ``scope`` and ``user_id``.

        Raises:
            AuthError: the pasted address is not this login's answer, or the user cancelled.
        """
        return self._run(self._implicit_flow())

    def _implicit_flow(self) -> Flow[None]:
        pending = oauth2.begin_authorization(
            self._client("access_token"),
            BLANK,
            str(int(self.config.scope)),
            response_type="token",
            pkce=False,
            extra={"display": self._display, "v": str(self.config.version)},
            entropy=self._entropy,
        )
        yield Browse(pending.url)
        pasted = yield Prompt(
            "redirect_url",
            "Sign in on the page that opened, allow the application, then paste the address "
            "of the page you land on (…/blank.html#access_token=…)",
            {"url": pending.url},
        )
        url = str(pasted).strip()
        got = dict(parse_qsl(urlsplit(url).fragment, keep_blank_values=True))
        if not hmac.compare_digest(got.get("state", "").encode(), pending.state.encode()):
            raise AuthError("the pasted address is not this login's answer (its state differs)")
        if "error" in got:
            raise _refused(got, "vk authorize")
        now = yield Now()
        yield from self._settle(oauth2.implicit_token(url, pending.state, now, _auth_error))


class _BaseDirectAuth(_AuthCore):
    """Direct authorization (vk.md §2.6): the password grant, for the applications VK allows
    it, with their ``client_secret``. The password (and a 2FA code or a captcha when VK asks)
    is asked through ``input``, and never kept.

    Args:
        app_id, username: the application and the user (``username`` asked when missing).
        client_secret: the application's secret (with ``TETHER_SANDBOX``: the sandbox's).
        **options: ``ClientAuthConfig`` and ``GlobalConfig`` options (``scope``: ``p_basic``).
    """

    def __init__(
        self,
        app_id: Any = None,
        username: str | None = None,
        client_secret: str | None = None,
        **options: Any,
    ) -> None:
        super().__init__(app_id=app_id, username=username, **options)
        self.username = self.config.username
        self._secret = client_secret or self._sandbox.get("client_secret")
        if not self.app_id or not self._secret:
            raise AuthError("DirectAuth needs an app_id and a client_secret")

    def auth(self) -> Any:
        """Run the grant: sets ``token``, ``scope`` and ``user_id``.

        Raises:
            AuthError: a wrong password or code, or VK asks for a check in a browser
                (``need_validation``: its ``redirect_uri`` is in the error's kwargs).
        """
        return self._run(self._password_flow())

    def _password_flow(self) -> Flow[None]:
        username = self.username or str((yield Prompt("username", "VK login", {}))).strip()
        secret = yield Prompt("password", f"VK password for {username}", {})
        extra = {"2fa_supported": "1"}
        for _ in range(MAX_ROUNDS):
            client = self._client("token", self._secret or "", **extra)
            try:
                token = yield from oauth2.password(
                    client, username, str(secret), self._exchange, str(int(self.config.scope))
                )
            except AuthError as e:
                reason = e.kwargs.get("error")
                if reason == "need_captcha" and e.kwargs.get("captcha_sid"):
                    img = str(e.kwargs.get("captcha_img") or "")
                    key = yield Prompt("captcha", f"VK asks for a captcha: {img}", {"img": img})
                    extra.update(captcha_sid=str(e.kwargs["captcha_sid"]), captcha_key=str(key))
                    continue
                if reason == "need_validation" and e.kwargs.get("validation_type"):
                    code = yield Prompt("secret_code", "VK asks for the 2FA code", {})
                    extra["code"] = str(code).strip()
                    continue
                raise
            yield from self._settle(token)
            return
        raise AuthError(f"DirectAuth: VK asked for more than {MAX_ROUNDS} rounds; try again")


class ServerAuth(_BaseServerAuth, SyncFacade):
    """PyVK's ``ServerAuth``: ``auth()`` returns once authorised."""


class AsyncServerAuth(_BaseServerAuth, AsyncFacade):
    """``ServerAuth``'s async twin: ``await auth.auth(code, client_secret)``."""


class ImplicitAuth(_BaseImplicitAuth, SyncFacade):
    """The implicit flow through a browser: ``ImplicitAuth(app_id).auth()``."""


class AsyncImplicitAuth(_BaseImplicitAuth, AsyncFacade):
    """``ImplicitAuth``'s async twin."""


class DirectAuth(_BaseDirectAuth, SyncFacade):
    """The password grant: ``DirectAuth(app_id, username, client_secret).auth()``."""


class AsyncDirectAuth(_BaseDirectAuth, AsyncFacade):
    """``DirectAuth``'s async twin."""
