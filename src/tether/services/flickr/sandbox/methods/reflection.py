"""``flickr.reflection.*``: the method list and each method's description, read from the method
table itself (the kit's ``Registry``, passed in by the table's module: its ``names`` and
``describe``), so they can never drift from what is served.

Invariants:
- ``getMethods`` lists exactly the table's names, sorted (Flickr lists them alphabetically).
- ``getMethodInfo`` derives everything from the table line: ``needslogin`` from the
  permission, ``needssigning`` from the envelope's rule (a login, or a ``flickr.auth.*``
  method), ``requiredperms`` as Flickr numbers it (0 none, 1 read, 2 write, 3 delete), the
  arguments (``api_key`` first, then the required, then the optional), the method's own
  errors followed by the envelope's codes the sandbox can answer for it.
- This module imports ``base`` only; the table is an argument, never an import (no circle).
"""

from __future__ import annotations

from typing import Final

from tether.sandbox.kit.rpc import Registry
from tether.services.flickr.sandbox.methods.base import (
    NOT_LOGGED_IN,
    Call,
    Method,
    MethodError,
    Payload,
)
from tether.services.flickr.sandbox.render import Node
from tether.services.flickr.sandbox.state import PERMS

_API_KEY_TEXT: Final = "Your API application key."
#: The envelope's codes (the checks before a handler runs), as Flickr's method pages list them:
#: the signing and login ones only for a method that needs them.
_SIGNED_ERRORS: Final = (
    (96, "Invalid signature"),
    (97, "Missing signature"),
)
_LOGIN_ERRORS: Final = (
    (98, "Login failed / Invalid auth token"),
    (99, NOT_LOGGED_IN),
)
_COMMON_ERRORS: Final = (
    (100, "Invalid API Key"),
    (105, "Service currently unavailable"),
    (111, 'Format "xxx" not found'),
    (112, 'Method "xxx" not found'),
    (116, "Bad URL found"),
)


def needs_signing(name: str, method: Method) -> bool:
    # The envelope's rule (app.py): a token must come signed, and flickr.auth.* always.
    return method.perms != "none" or name.startswith("flickr.auth.")


def m_get_methods(call: Call, table: Registry[Method]) -> Payload:
    methods = Node("methods", arrays=frozenset({"method"}))
    for name in table.names():
        methods.add(Node("method", text=name))
    return [methods]


def m_get_method_info(call: Call, table: Registry[Method]) -> Payload:
    name = call.get("method_name")
    method = table.get(name)
    if method is None:
        # Flickr's code 1 for an unknown (or missing) method_name (not the envelope's 112:
        # the method called, getMethodInfo, exists).
        raise MethodError(1, "Method not found")
    described = table.describe(name)
    login = method.perms != "none"
    signed = needs_signing(name, method)
    info = Node(
        "method",
        {
            "name": name,
            "needslogin": int(login),
            "needssigning": int(signed),
            "requiredperms": PERMS.index(method.perms),
        },
        # The handler's docstring, first paragraph: the only prose the table has.
        children=[Node("description", text=described.summary)],
    )
    arguments = Node("arguments", arrays=frozenset({"argument"}))
    arguments.add(Node("argument", {"name": "api_key", "optional": 0}, text=_API_KEY_TEXT))
    for arg in described.arguments:
        arguments.add(Node("argument", {"name": arg.name, "optional": int(arg.optional)}, text=""))
    errors = Node("errors", arrays=frozenset({"error"}))
    codes = (
        *described.errors,
        *(_SIGNED_ERRORS if signed else ()),
        *(_LOGIN_ERRORS if login else ()),
        *_COMMON_ERRORS,
    )
    for code, message in dict(codes).items():  # a code listed once, the method's own first
        errors.add(Node("error", {"code": code, "message": message}, text=""))
    return [info, arguments, errors]
