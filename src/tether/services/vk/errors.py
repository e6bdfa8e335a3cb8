"""PyVK's exception names (``tether.vk.exceptions``), each also in tether's error tree.

::

    PyVKError                                   keeps args and kwargs (read as attributes)
    ├── AuthError        (core.AuthError)       authorisation failed
    │   └── InvalidToken                        the token is refused
    ├── ReqError         (core.ProtocolError)   not JSON, no envelope, or attempts spent
    │   └── RequestFailed (core.TransportError) no answer came, after all attempts
    └── APIError         (core.APIError)        VK's ``{"error": {...}}``
        ├── AuthorizationFailed (InvalidToken)  5, 16, 27, 28
        ├── AccessDenied (core.PermissionDenied) 7, 15, 30, 200-204
        ├── TooManyRequests (core.RateLimited)  6, 9, 29
        ├── ServerFailure (core.ServerError)    1, 10
        └── NotFound (core.NotFound)            3, 18, 113

Invariants:
- ``error.name`` reads ``error.kwargs["name"]`` (and ``error["name"]`` too), as in PyVK; a
  missing name raises an error that is both ``KeyError`` (PyVK raises that) and
  ``AttributeError`` (so ``hasattr``, ``getattr(e, n, default)``, ``copy`` and ``pickle``
  behave).
- An ``APIError`` carries every key of VK's error object as a kwarg: ``error_code``,
  ``error_msg``, ``request_params``, ``captcha_sid`` … and ``method``.
- No secret in any message or repr: ``request_params`` entries naming a secret
  (``access_token`` …, old VK echoed it) are kept with the value ``***``.
"""

from __future__ import annotations

from typing import Any

from tether.core import errors as core
from tether.core.redact import REDACTED, is_secret


class _Missing(AttributeError, KeyError):
    """No such attribute: ``except KeyError`` (PyVK) and ``hasattr`` both work."""

    def __str__(self) -> str:
        return AttributeError.__str__(self)


class PyVKError(core.TetherError):
    """Base of PyVK's errors: ``args`` as given, keyword details in ``kwargs``.

    Args:
        message: what went wrong and what to do.
        *args: further positional details (kept in ``args``).
        **kwargs: named details, also readable as attributes and items.
    """

    def __init__(self, message: str = "", *args: Any, **kwargs: Any) -> None:
        Exception.__init__(self, message, *args)
        self.kwargs = kwargs
        if isinstance(self, core.APIError):
            # core.APIError's fields, set here: its __init__ takes only keyword details.
            self.__dict__.update(
                message=message,
                service="vk",
                status=None,
                code=kwargs.get("error_code"),
                retry_after=None,
            )

    def __getattr__(self, name: str) -> Any:
        # Only reached for names not set normally; dunder lookups are never kwargs.
        if name.startswith("__") or name == "kwargs":
            raise AttributeError(name)
        try:
            return self.__dict__["kwargs"][name]
        except KeyError:
            raise _Missing(name) from None

    def __getitem__(self, name: str) -> Any:
        try:
            return self.kwargs[name]
        except KeyError:
            raise _Missing(name) from None

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class AuthError(PyVKError, core.AuthError):
    """Authorisation did not succeed (wrong password, denied dialog, OAuth error answer)."""


class InvalidToken(AuthError):
    """The access token is refused (invalid, expired or revoked)."""


class ReqError(PyVKError, core.ProtocolError):
    """The answer is not VK's (not JSON, no ``response`` nor ``error``), or a call used up its
    ``max_attempts``."""


class RequestFailed(ReqError, core.TransportError):
    """No usable answer came after all attempts (the network or VK failed); ``exc`` holds the
    last transport error."""


class APIError(PyVKError, core.APIError):
    """VK answered with an error object; every key of it is an attribute (``error_code``,
    ``error_msg``, ``request_params``, ``captcha_sid`` …)."""


class AuthorizationFailed(APIError, InvalidToken):
    """Errors 5, 16, 27, 28: the token is invalid or expired."""


class AccessDenied(APIError, core.PermissionDenied):
    """Errors 7, 15, 30, 200-204: the token lacks a right, or the object is private."""


class TooManyRequests(APIError, core.RateLimited):
    """Errors 6, 9, 29: too many requests, flood control, or a method's quota."""


class ServerFailure(APIError, core.ServerError):
    """Errors 1 and 10: VK failed on its side."""


class NotFound(APIError, core.NotFound):
    """Errors 3, 18, 113: unknown method, deleted user, invalid user id."""


_CLASSES: dict[int, type[APIError]] = {
    **dict.fromkeys((5, 16, 27, 28), AuthorizationFailed),
    **dict.fromkeys((7, 15, 30, 200, 201, 203, 204), AccessDenied),
    **dict.fromkeys((6, 9, 29), TooManyRequests),
    **dict.fromkeys((1, 10), ServerFailure),
    **dict.fromkeys((3, 18, 113), NotFound),
}

#: What to do, per code (vk.md §3.1).
_HINTS: dict[int, str] = {
    1: "VK failed: retry later",
    3: "no such method: check its name (case matters: wall.getById)",
    5: "the token is invalid or expired: authorise again and use the new token",
    6: "too many requests per second: slow down (rate_limit=), or keep auto_delay on",
    7: "the token lacks the right for this action: authorise with a wider scope",
    8: "the request is invalid (a version below 5.81?): check version= and the parameters",
    9: "flood control: too many similar actions; wait before doing this again",
    10: "VK failed internally: retry later",
    14: "VK asks for a captcha: keep validation on and answer it through the input",
    15: "access denied: the token lacks the right, or the object is not accessible",
    17: "VK requires validation: open redirect_uri in a browser, then authorise again",
    18: "the user was deleted or banned",
    29: "the method's quota is spent: wait (hours) before calling it again",
    30: "the profile is private",
    100: "a parameter is missing or invalid: check the method's documentation",
    113: "invalid user id: check it",
}


def _safe_params(params: Any) -> Any:
    """``request_params`` with secret values (an echoed ``access_token``) as ``***``."""
    if not isinstance(params, list):
        return params
    out = []
    for p in params:
        if isinstance(p, dict) and isinstance(p.get("key"), str) and is_secret(p["key"]):
            p = {**p, "value": REDACTED}
        out.append(p)
    return out


def api_error(error: dict[str, Any], method: str) -> APIError:
    """The ``APIError`` (of the class its code maps to) for VK's error object."""
    kwargs = {str(k): v for k, v in error.items()}
    if "request_params" in kwargs:
        kwargs["request_params"] = _safe_params(kwargs["request_params"])
    kwargs.setdefault("method", method)
    code = kwargs.get("error_code")
    if not isinstance(code, int) or isinstance(code, bool):
        code = -1
    msg = kwargs.get("error_msg")
    msg = msg if isinstance(msg, str) else "(no message)"
    hint = _HINTS.get(code, "see VK's documentation of this error code")
    cls = _CLASSES.get(code, APIError)
    return cls(f"VK error {code}: {msg} ({method}: {hint})", **kwargs)
