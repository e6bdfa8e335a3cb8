"""Direct authorization in the VK emulator (vk.md §2.6): ``GET|POST /oauth/token`` with
``grant_type=password``, for the applications VK allows it.

Invariants:
- Checks run in this order and the first failure answers; nothing is minted before all
  passed: grant type (400 ``unsupported_grant_type``) -> client id and secret (401
  ``invalid_client``) -> username and password given (400 ``invalid_request``) -> scope ->
  captcha, once a login has met ``CAPTCHA_AFTER`` wrong passwords (401 ``need_captcha``,
  answered with ``captcha_sid``/``captcha_key``; keys from ``GET /_sandbox/vk/captcha/{sid}``)
  -> password (401 ``invalid_client``, ``error_type`` as VK) -> the 2FA code of an account
  that has one (401 ``need_validation``; with ``2fa_supported=1`` its ``validation_type``
  and ``phone_mask``, then ``code=`` is checked: 401 ``wrong_otp``) -> a phone check for the
  account that needs one (401 ``need_validation`` with a ``redirect_uri`` to open) -> mint.
  (The field names of the 2FA and captcha answers are unconfirmed, vk.md §2.6.)
- A right password forgets the login's failures; a reset forgets them all (``OAuthBook``).
- The minted token is the code flow's kind (``VkOAuth.answer``): in the emulator's token
  table, with the bits asked for.
"""

from __future__ import annotations

import hmac
from typing import Any, Final

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tether.services.vk.sandbox.oauth import (
    VkOAuth,
    VkOAuthError,
    account_for,
    mount_of,
    parse_scope,
)

CAPTCHA_AFTER: Final = 3  # wrong passwords for one login before VK asks for a captcha
_CAPTCHA_METHOD: Final = "oauth.token"  # the captchas of the password grant, in ``guards``


def password_route(oauth: VkOAuth) -> Route:
    """``/oauth/token`` on ``oauth``'s emulator."""

    async def token(request: Request) -> Response:
        params = await oauth.params(request)
        mount = mount_of(request)
        try:
            if params.get("grant_type") != "password":
                raise VkOAuthError(400, "unsupported_grant_type", "grant_type must be password")
            oauth.check_client(params)
            return JSONResponse(
                password_answer(oauth, params, mount), headers={"Cache-Control": "no-store"}
            )
        except VkOAuthError as e:
            return e.response()

    return Route("/oauth/token", token, methods=["GET", "POST"])


def password_answer(oauth: VkOAuth, params: dict[str, str], mount: str) -> dict[str, Any]:
    """The token answer for ``params``, or the ``VkOAuthError`` the checks above give."""
    login, password = params.get("username", "").strip(), params.get("password")
    if not login or password is None:
        raise VkOAuthError(400, "invalid_request", "username and password are required")
    scope = parse_scope(params.get("scope"))
    if scope is None:
        raise VkOAuthError(400, "invalid_scope", "scope is a bit mask or right names")
    book, guards = oauth.book, oauth.em.guards
    if book.failures[login] >= CAPTCHA_AFTER:
        sid, key = params.get("captcha_sid", ""), params.get("captcha_key", "")
        if not (sid and guards.captcha_passes(_CAPTCHA_METHOD, sid, key)):
            captcha = guards.new_captcha(_CAPTCHA_METHOD)
            raise VkOAuthError(
                401, "need_captcha", "Enter the code from the picture",
                captcha_sid=captcha.sid,
                captcha_img=f"{mount}/captcha.php?sid={captcha.sid}&s=1",
            )  # fmt: skip
    account = account_for(login, password)
    if account is None:
        book.failures[login] += 1
        raise VkOAuthError(
            401, "invalid_client", "Username or password is incorrect",
            error_type="username_or_password_is_incorrect",
        )  # fmt: skip
    book.failures.pop(login, None)
    hash_ = guards.new_validation_hash()
    if account.code is not None:
        code = params.get("code")
        if code is None:
            extra: dict[str, Any] = {
                "redirect_uri": f"{mount}/login?act=authcheck&api_hash={hash_}"
            }
            said = "please open redirect_uri in browser"
            if params.get("2fa_supported") == "1":
                extra.update(validation_type="2fa_app", phone_mask="+7 *** *** ** 67")
                said = "use app code"
            raise VkOAuthError(401, "need_validation", said, **extra)
        if not hmac.compare_digest(code.encode(), account.code.encode()):
            raise VkOAuthError(401, "invalid_request", "wrong code", error_type="wrong_otp")
    elif account.phone is not None:
        raise VkOAuthError(
            401, "need_validation", "please open redirect_uri in browser",
            redirect_uri=f"{mount}/login?act=security_check&api_hash={hash_}",
        )  # fmt: skip
    return oauth.answer(account.user_id, scope)
