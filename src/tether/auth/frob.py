"""Frob-style login (Flickr's legacy auth, Ipernity's desktop and web auth), with the
``api_sig`` recipe as data.

The flow: ``getFrob`` (signed, no token) → the user approves the frob on the service's
authorize page (signed URL) → ``getToken(frob)`` → later calls carry ``auth_token`` and are
signed. ``checkToken`` says which permissions a token holds.

Invariants:
- ``api_sig`` is the lowercase hex MD5 of UTF-8 text built from the parameters sorted by name
  (code-point order), each as ``name + value`` with raw, unencoded values, never the
  signature parameter itself, nor the file field of an upload. What differs between services
  is only data (``Recipe``): where the secret goes (Flickr first, Ipernity last) and whether
  the API method's name is appended after the parameters (Ipernity: API calls only, not the
  authorize URL; Flickr's method is an ordinary ``method`` parameter).
- Pure. The login steps are flows over the service's ``call(method, params, with_token)``
  flow, which sends a signed call and decodes the answer into the service's own shape; the
  scheme's readers (``frob_of``, ``token_of``, ``perms_of``) take what they need from it.
  A strategy never decides what an error answer means: ``call`` raises the service's errors.
- Secrets (the secret, frobs' tokens) never reach a repr.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from hashlib import md5
from typing import Any
from urllib.parse import urlencode

from tether.core.errors import ProtocolError
from tether.core.flow import Browse, Flow, Prompt

__all__ = [
    "FLICKR",
    "FLICKR_RECIPE",
    "IPERNITY",
    "IPERNITY_RECIPE",
    "Call",
    "FrobScheme",
    "Recipe",
    "check_token",
    "confirm_login",
    "get_frob",
    "get_token",
]


@dataclass(frozen=True, slots=True)
class Recipe:
    """How a service computes ``api_sig``.

    Attributes:
        secret_first: ``secret + n1v1n2v2…`` (Flickr) or ``n1v1n2v2… [+ method] + secret``
            (Ipernity).
        append_method: the API method's name goes after the parameters (Ipernity); the
            authorize URL is signed without one.
        file_field: left out of the signature on uploads (Flickr ``photo``, Ipernity
            ``file``); on other calls a parameter of that name is signed like any other.
        sig_param: the signature's own parameter, never signed.
    """

    secret_first: bool
    append_method: bool = False
    file_field: str = ""
    sig_param: str = "api_sig"

    def text(
        self,
        secret: str,
        params: Mapping[str, str],
        *,
        method: str | None = None,
        upload: bool = False,
    ) -> str:
        """The string that is hashed (for tests and debugging: it holds the secret)."""
        skip = (self.sig_param, self.file_field) if upload else (self.sig_param,)
        parts = [secret] if self.secret_first else []
        for name in sorted(params):
            if name in skip:
                continue
            parts.append(name)
            parts.append(params[name])
        if self.append_method and method:
            parts.append(method)
        if not self.secret_first:
            parts.append(secret)
        return "".join(parts)

    def signature(
        self,
        secret: str,
        params: Mapping[str, str],
        *,
        method: str | None = None,
        upload: bool = False,
    ) -> str:
        """``api_sig`` for ``params`` (and ``method`` where the recipe appends it)."""
        text = self.text(secret, params, method=method, upload=upload)
        return md5(text.encode("utf-8"), usedforsecurity=False).hexdigest()

    def sign(
        self,
        secret: str,
        params: Mapping[str, str],
        *,
        method: str | None = None,
        upload: bool = False,
    ) -> dict[str, str]:
        """``params`` with the signature added."""
        out = dict(params)
        out[self.sig_param] = self.signature(secret, params, method=method, upload=upload)
        return out


#: flickr.md §5.1.
FLICKR_RECIPE = Recipe(secret_first=True, file_field="photo")
#: ipernity.md §5.1 (the canonical order; the secret-first examples of §5.2 are not followed).
IPERNITY_RECIPE = Recipe(secret_first=False, append_method=True, file_field="file")


def _protocol_error(message: str, method: str = "") -> Exception:
    return ProtocolError(message)


#: ``call(method, params, with_token)``: send the signed API call ``method`` (with the held
#: token when ``with_token``) and return its decoded answer, or raise the service's error.
Call = Callable[[str, dict[str, str], bool], Flow[Any]]


@dataclass(frozen=True, slots=True)
class FrobScheme:
    """A frob-style service as data: its recipe, authorize page, method names and how to read
    the frob, the token and the permissions out of its decoded answers."""

    recipe: Recipe
    get_frob: str
    get_token: str
    check_token: str
    frob_of: Callable[[Any], str | None]
    token_of: Callable[[Any], str | None]
    perms_of: Callable[[Any], str | None]

    def authorize_url(self, base: str, api_key: str, secret: str, params: Mapping[str, str]) -> str:
        """The signed authorize page URL: ``api_key`` plus ``params`` (a frob, the
        permissions), signed with no method name, in sorted order."""
        p = {"api_key": api_key, **params}
        p[self.recipe.sig_param] = self.recipe.signature(secret, p)
        return base + "?" + urlencode(sorted(p.items()))


def _findtext(path: str) -> Callable[[Any], str | None]:
    def read(rsp: Any) -> str | None:
        value = rsp.findtext(path)
        return None if value is None else str(value)

    return read


def _json_at(*keys: str) -> Callable[[Any], str | None]:
    def read(answer: Any) -> str | None:
        for key in keys:
            if not isinstance(answer, Mapping):
                return None
            answer = answer.get(key)
        return answer if isinstance(answer, str) else None

    return read


#: Flickr answers in XML, decoded to an ``Element`` (``<rsp><frob>…</frob></rsp>``).
FLICKR = FrobScheme(
    FLICKR_RECIPE,
    get_frob="flickr.auth.getFrob",
    get_token="flickr.auth.getToken",
    check_token="flickr.auth.checkToken",
    frob_of=_findtext("frob"),
    token_of=_findtext("auth/token"),
    perms_of=_findtext("auth/perms"),
)

#: Ipernity in JSON (ipernity.md §6.2): ``{"auth": {"frob": …}}``, ``{"auth": {"token": …,
#: "permissions": {"doc": "write", …}}}``; its permissions are per target, so ``perms_of``
#: reads the document level, the one uploads need.
IPERNITY = FrobScheme(
    IPERNITY_RECIPE,
    get_frob="auth.getFrob",
    get_token="auth.getToken",
    check_token="auth.checkToken",
    frob_of=_json_at("auth", "frob"),
    token_of=_json_at("auth", "token"),
    perms_of=_json_at("auth", "permissions", "doc"),
)


def check_token(call: Call, scheme: FrobScheme) -> Flow[str | None]:
    """The held token's permissions, as the service reads them (``None``: not said)."""
    answer = yield from call(scheme.check_token, {}, True)
    return scheme.perms_of(answer)


def get_frob(
    call: Call, scheme: FrobScheme, error: Callable[..., Exception] = _protocol_error
) -> Flow[str]:
    """A new frob (the call is made without the held token)."""
    answer = yield from call(scheme.get_frob, {}, False)
    frob = scheme.frob_of(answer)
    if frob is None:
        raise error(
            f"{scheme.get_frob} answered without a frob; start the login again",
            method=scheme.get_frob,
        )
    return frob


def get_token(
    call: Call, scheme: FrobScheme, frob: str, error: Callable[..., Exception] = _protocol_error
) -> Flow[str]:
    """Trade an approved frob for a token.

    Raises:
        error: the answer holds no token (``error(message, method=...)``, the service's class).
    """
    answer = yield from call(scheme.get_token, {"frob": frob}, False)
    token = scheme.token_of(answer)
    if not token:
        raise error(
            f"{scheme.get_token} answered without a token; start the login again",
            method=scheme.get_token,
        )
    return token


def confirm_login(
    call: Call,
    scheme: FrobScheme,
    login_url: Callable[[str], str],
    error: Callable[..., Exception] = _protocol_error,
) -> Flow[str]:
    """The desktop flow end to end: a frob, its page shown (``Browse(login_url(frob))``), the
    user's confirmation (``Prompt("confirm")``), then the token."""
    frob = yield from get_frob(call, scheme, error)
    yield Browse(login_url(frob))
    yield Prompt("confirm", "Press ENTER after you authorized this program")
    return (yield from get_token(call, scheme, frob, error))
