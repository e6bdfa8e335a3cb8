"""PyVK's ``ClientAuth(app_id=None, username=None, **options)`` and its twin
``AsyncClientAuth``: the user gives tether their login and password, and tether drives VK's
mobile sign-in pages as PyVK does (vk.md §2.7): the password form, then as VK asks the 2FA
code, the missing digits of the phone number, a captcha, and the permission dialog, until VK
redirects to ``blank.html#access_token=…``.

Where this does what PyVK's docs promise rather than what its code does: a captcha on the
sign-in form is answered (PyVK cannot); a remembered token is kept only if it grants every
requested bit (a bit test; PyVK compares the masks as numbers); ``scope`` is set after every
login (what VK says the token grants); the remembered token and cookies live in one private
file (0600, replaced whole), not a pickled ``shelve``.

Invariants:
- The password is asked at most once per ``auth()`` (and only if VK shows the password form:
  a remembered session skips it), lives only inside the flow, and is never stored, logged, or
  put in a message or a repr; so are the 2FA code, the digits and the session cookies.
- Every page is fetched by ``Send`` effects: redirects are followed here (a POST's redirect
  becomes a GET, as a browser does), cookies are kept here and sent only to VK's own hosts
  (and the sandbox's), and the walk stops at the first address whose fragment answers
  (``access_token``, ``error``, ``fail``), never fetching it.
- A page is understood as PyVK understands VK's (exactly one form, dispatched on its
  action's ``act``); anything else is an ``AuthError`` naming the page, never a loop:
  at most ``MAX_PAGES`` pages a sign-in.
- Wrong password, wrong code or digits (VK's ``service_msg_warning``), a denied dialog, a
  failed check: ``AuthError`` saying which and what to do.
- The token file is read and written through ``Blocking`` (a worker thread on the async twin);
  ``disable_cache=True`` reads and writes nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from functools import partial
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlencode, urljoin, urlsplit

from tether.core.errors import TransportError
from tether.core.flow import Blocking, Flow, Prompt
from tether.core.messages import Request, Response
from tether.core.params import form_body
from tether.services.kit.client import AsyncFacade, SyncFacade
from tether.services.vk.auth import BLANK, _Asker, _AuthCore
from tether.services.vk.calls import decode
from tether.services.vk.errors import AuthError, RequestFailed
from tether.services.vk.htmlform import LoginPage, read_page
from tether.services.vk.inputs import Input
from tether.services.vk.recovery import landed_token

__all__ = ["AsyncClientAuth", "ClientAuth"]

MAX_PAGES = 20  # pages of one sign-in at most
MAX_REDIRECTS = 10  # redirects after one request at most
_FORM = (("Content-Type", "application/x-www-form-urlencoded"),)
_WRONG = {
    "login": "wrong login or password: check username, and type the password again",
    "captcha": "the code from the picture was wrong: try again",
    "authcheck_code": "the 2FA code was wrong: try again with a fresh code",
    "security_check": "the digits of the phone number were wrong: try again",
}


def _same(request: Request, now: float) -> Request:
    return request  # sign-in pages are not signed: every attempt sends the same request


class _ClientAsker(_Asker):
    """Also answers the permission dialog: PyVK allows without asking, and so does an input
    that does not know the question (``ValueError``, as PyVK's ``Input`` raises); another
    input's answer allows when it reads as yes."""

    def ask(self, field: str, **kw: Any) -> str:
        if field != "grant_access":
            return super().ask(field, **kw)
        if self.source is Input:
            return "allow"
        try:
            answer = str(self.source.ask(field, **kw)).strip().lower()
        except ValueError:
            return "allow"
        return "allow" if answer in ("", "y", "yes", "1", "true", "allow") else "deny"


def default_dir(environ: Mapping[str, str]) -> str:
    """Where remembered tokens go: ``$XDG_CACHE_HOME/tether/vk`` (``~/.cache/tether/vk``)."""
    base = environ.get("XDG_CACHE_HOME") or os.path.join(
        environ.get("HOME") or os.path.expanduser("~"), ".cache"
    )
    return os.path.join(base, "tether", "vk")


class _BaseClientAuth(_AuthCore):
    """PyVK's ``ClientAuth``: sign in with a login and password on VK's pages.

    Args:
        app_id: the VK application (asked through ``input`` when missing; with
            ``TETHER_SANDBOX``: the sandbox's by default).
        username: the VK login: e-mail, phone or name (asked when missing).
        **options: ``ClientAuthConfig`` options (``scope``, default ``p_basic``;
            ``disable_cache``) and ``GlobalConfig`` ones (``input``, ``timeout``, ``version``),
            the API options ``api()`` passes on; tether's ``token_dir`` (where the token file
            goes, default ``default_dir``), ``oauth_url``, ``transport``, ``environ``.
    """

    def __init__(self, app_id: Any = None, username: str | None = None, **options: Any):
        token_dir = options.pop("token_dir", None)
        super().__init__(app_id=app_id, username=username, **options)
        self.username: str | None = self.config.username
        self._cookies: dict[str, str] = {}
        self._dir = None if self.config.disable_cache else (token_dir or default_dir(self._environ))
        self._vk_host = urlsplit(self._oauth_url).netloc

    def _asker(self) -> Any:
        return _ClientAsker(self.config.input)

    def auth(self, state: Any = None, *args: Any) -> Any:
        """Sign in: the remembered token if it still grants every requested bit, else VK's
        pages (with the remembered session, which may skip the password). Sets ``token``,
        ``scope`` and ``user_id``, and remembers the token and cookies (unless
        ``disable_cache``).

        Raises:
            AuthError: wrong password, code or digits; the user denied; an unknown page.
        """
        return self._run(self._client_flow())

    # -- the flow --------------------------------------------------------------------------

    def _client_flow(self) -> Flow[None]:
        if not self.app_id:
            self.app_id = str((yield Prompt("app_id", "VK application id", {}))).strip()
        if not self.username:
            self.username = str((yield Prompt("username", "VK login", {}))).strip()
        if not self.app_id or not self.username:
            raise AuthError("ClientAuth needs an app_id and a username")
        saved = (yield Blocking(self._load)) if self._dir else None
        if saved:
            self._cookies.update(saved.get("cookies") or {})
            token = saved.get("token")
            if isinstance(token, str) and token:
                granted = yield from self._permissions(token)
                wanted = int(self.config.scope)
                if granted is not None and granted & wanted == wanted:
                    self.token, self.scope = token, granted
                    self.user_id = saved.get("user_id")
                    return
        yield from self._sign_in(self._authorize_url())

    def _renew_flow(self) -> Flow[str]:
        """Error 5: sign in again (the session cookies usually spare the password)."""
        yield from self._sign_in(self._authorize_url())
        assert self.token is not None
        return self.token

    def _validate_flow(self, url: str) -> Flow[str]:
        """Error 17: pass VK's check at ``url`` with this session; the new token."""
        yield from self._sign_in(url)
        assert self.token is not None
        return self.token

    def _authorize_url(self) -> str:
        query = urlencode(
            {
                "client_id": str(self.app_id),
                "display": "mobile",
                "redirect_uri": BLANK,
                "scope": str(int(self.config.scope)),
                "response_type": "token",
                "v": str(self.config.version),
            }
        )
        return f"{self._oauth_url}authorize?{query}"

    def _sign_in(self, start: str) -> Flow[None]:
        """Walk VK's pages from ``start`` to the token; then ask what it grants, and keep it."""
        password: str | None = None  # asked once, only if VK shows the password form
        method, url, body, last = "GET", start, b"", ""
        for _ in range(MAX_PAGES):
            landed, response, url = yield from self._fetch(method, url, body)
            if landed is not None:
                token, user_id = landed_token(landed, "vk login")
                granted = yield from self._permissions(token)
                if granted is None:
                    raise AuthError("VK refused the token it just gave; try again")
                self.token, self.scope, self.user_id = token, granted, user_id
                yield from self._save()
                return
            assert response is not None
            page = read_page(response.text(), url)
            if page.warning:
                what = _WRONG.get(last, "VK refused the answer")
                raise AuthError(f"Incorrect information: {what} (VK says: {page.warning})",
                                msg=page.warning)  # fmt: skip
            if page.act is None:
                raise AuthError(
                    f"Unrecognised auth page: VK answered HTTP {response.status} with a page "
                    "tether cannot read (no single form with an act=); try again later"
                )
            fields = dict(page.fields)
            act = page.act
            if act == "login":
                if password is None:
                    password = str((yield Prompt("password", f"VK password for {self.username}")))
                fields.update(email=str(self.username), **{"pass": password})
                if "captcha_sid" in fields:
                    img = page.image or ""
                    key = yield Prompt("captcha", f"VK asks for a captcha: {img}", {"img": img})
                    fields["captcha_key"] = str(key).strip()
                    act = "captcha"
            elif act == "authcheck_code":
                code = yield Prompt("secret_code", "VK asks for the 2FA code", {})
                fields.update(code=str(code).strip(), remember="0")
            elif act == "security_check":
                if len(page.prefixes) != 2:
                    raise AuthError("Unrecognised auth page: a phone check without its digits")
                msg = f"{' '.join(page.rows)}\n{page.prefixes[0]} ... {page.prefixes[1]}: "
                digits = yield Prompt("phone", msg, {"msg": msg})
                fields = {"code": str(digits).strip()}  # the hash travels in the action
            elif act == "grant_access":
                yield from self._decide(page)
                fields = {}
            else:
                raise AuthError(f"Unrecognised auth page: act={act}")
            method, url, body, last = "POST", page.action, form_body(fields), act
        raise AuthError(f"VK showed more than {MAX_PAGES} pages; try again later")

    def _decide(self, page: LoginPage) -> Flow[None]:
        rights = page.text or "access to your account"
        answer = yield Prompt(
            "grant_access", f"Allow application {self.app_id}? {rights}", {"msg": rights}
        )
        if str(answer) == "allow":
            return
        if page.cancel:
            landed, _, _ = yield from self._fetch("GET", page.cancel, b"")
            if landed is not None:
                landed_token(landed, "vk login")  # raises VK's access_denied
        raise AuthError("the user did not allow the application (access_denied)")

    def _fetch(
        self, method: str, url: str, body: bytes
    ) -> Flow[tuple[str | None, Response | None, str]]:
        """One request and its redirects: ``(landed address, None, it)`` once an address's
        fragment answers, else ``(None, the page, the page's address)``: a page's relative
        links resolve against where the redirects led (login.vk.com sends on to m.vk.com)."""
        for _ in range(MAX_REDIRECTS):
            headers = _FORM if method == "POST" else ()
            cookie = self._cookie_header(url)
            if cookie:
                headers = (*headers, ("Cookie", cookie))
            request = Request(method, url.split("#", 1)[0], headers, body,
                              idempotent=method == "GET", label=f"vk login {method}")  # fmt: skip
            try:
                response = yield from self._retrying(partial(_same, request))
            except TransportError as e:
                raise RequestFailed(
                    f"Request failed after all attempts: vk login: no answer from VK ({e}); "
                    "check the network and oauth_url",
                    exc=e,
                ) from e
            self._keep_cookies(response, url)
            location = response.header("Location")
            if not (300 <= response.status < 400 and location):
                return None, response, url
            url = urljoin(url, location)
            if urlsplit(url).fragment:
                return url, None, url
            if response.status != 307:
                method, body = "GET", b""
        raise AuthError(f"VK redirected more than {MAX_REDIRECTS} times; try again later")

    # -- cookies -----------------------------------------------------------------------------

    def _ours(self, url: str) -> bool:
        host = urlsplit(url).netloc.lower()
        bare = host.rsplit("@", 1)[-1].split(":", 1)[0]
        return (
            host == self._vk_host
            or bare in ("vk.com", "vk.ru")
            or bare.endswith((".vk.com", ".vk.ru"))
        )

    def _cookie_header(self, url: str) -> str:
        if not self._cookies or not self._ours(url):
            return ""
        return "; ".join(f"{k}={v}" for k, v in self._cookies.items())

    def _keep_cookies(self, response: Response, url: str) -> None:
        if not self._ours(url):
            return
        for name, value in response.headers:
            if name.lower() != "set-cookie":
                continue
            jar: SimpleCookie = SimpleCookie()
            try:
                jar.load(value)
            except CookieError:
                continue
            for key, morsel in jar.items():
                if morsel["max-age"] == "0" or morsel.value in ("", "DELETED"):
                    self._cookies.pop(key, None)
                else:
                    self._cookies[key] = morsel.value

    # -- what a token grants; the token file ---------------------------------------------------

    def _permissions(self, token: str) -> Flow[int | None]:
        """``account.getAppPermissions`` of ``token``: its bits, or ``None`` if refused."""
        method = "account.getAppPermissions"
        fields = {"v": str(self.config.version), "access_token": token}
        request = Request("POST", self._api_url + method, _FORM, form_body(fields),
                          idempotent=True, label=f"vk {method}")  # fmt: skip
        try:
            response = yield from self._retrying(lambda now: request)
        except TransportError as e:
            raise RequestFailed(f"Request failed: {method}: no answer from VK ({e})", exc=e) from e
        answer = decode(response, method)
        granted = answer.get("response") if isinstance(answer, dict) else None
        return granted if type(granted) is int else None

    def _key(self) -> str:
        who = f"{self._oauth_url}\0{self.app_id}\0{self.username}"
        return "clientauth-" + hashlib.sha1(who.encode()).hexdigest()

    def _load(self) -> dict[str, Any] | None:
        from tether.store import FileTokenStore

        assert self._dir is not None
        text = FileTokenStore(self._dir).get(self._key())
        try:
            saved = json.loads(text) if text else None
        except ValueError:
            return None  # not ours, or an older format: sign in afresh
        return saved if isinstance(saved, dict) else None

    def _save(self) -> Flow[None]:
        if not self._dir:
            return
        from tether.store import FileTokenStore

        text = json.dumps(
            {"token": self.token, "user_id": self.user_id, "cookies": self._cookies},
            separators=(",", ":"),
        )
        store, key = FileTokenStore(self._dir), self._key()
        yield Blocking(lambda: store.set(key, text))

    def forget(self) -> Any:
        """Forget the remembered token and cookies (the file too)."""
        return self._run(self._forget_flow())

    def _forget_flow(self) -> Flow[None]:
        self._cookies.clear()
        if self._dir:
            from tether.store import FileTokenStore

            store, key = FileTokenStore(self._dir), self._key()
            yield Blocking(lambda: store.delete(key))

    def __repr__(self) -> str:
        state = "set" if self.token else "none"
        return f"<{type(self).__name__} app_id={self.app_id!r} username={self.username!r} token={state}>"


class ClientAuth(_BaseClientAuth, SyncFacade):
    """PyVK's ``ClientAuth``: ``auth()`` returns once signed in."""


class AsyncClientAuth(_BaseClientAuth, AsyncFacade):
    """``ClientAuth``'s async twin: ``await auth.auth()``."""
