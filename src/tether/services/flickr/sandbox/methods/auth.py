"""``flickr.test.*`` and ``flickr.auth.*``: echo, login check, frobs, legacy and OAuth tokens.

Invariants:
- A frob is a ``kit.grants.Grant``: ``getToken`` spends it once, and every refusal (unknown,
  not yet approved, refused, used, expired, another key's) is the same ``108 Invalid frob``.
- Token values and secrets appear only in the answers that hand them out.
"""

from __future__ import annotations

from collections.abc import Mapping

from tether.sandbox.kit.grants import GrantRefused
from tether.services.flickr.sandbox.methods.base import (
    Call,
    MethodError,
    Payload,
    user_of,
)
from tether.services.flickr.sandbox.render import Node, is_xml_name
from tether.services.flickr.sandbox.state import (
    USER_NSID,
    Token,
    User,
)

# -- test and auth -----------------------------------------------------------------------------


def m_echo(call: Call) -> Payload:
    # Flickr echoes each parameter as an element named after it. Unconfirmed what it does with
    # a name that cannot be an XML tag (``a<b``, ``1x``, ``a b``): such a parameter is left out
    # here, of every format alike, so the answer stays well-formed.
    return [Node(name, text=value) for name, value in call.params.items() if is_xml_name(name)]


def m_login(call: Call) -> Payload:
    user = user_of(call.state.users, call.caller.nsid or "")
    return [
        Node(
            "user",
            {"id": user.nsid, "path_alias": user.path_alias},
            children=[Node("username", text=user.username)],
        )
    ]


def m_get_frob(call: Call) -> Payload:
    return [Node("frob", text=call.state.new_frob(call.caller.api_key, call.now).value)]


def _auth(tag: str, token: Token, users: Mapping[str, User]) -> Node:
    user = user_of(users, token.nsid)
    return Node(
        tag,
        children=[
            Node("token", text=token.value),
            Node("perms", text=token.perms),
            Node(
                "user",
                {"nsid": user.nsid, "username": user.username, "fullname": user.realname},
            ),
        ],
    )


def m_get_token(call: Call) -> Payload:
    state = call.state
    frob = state.frobs.get(call.get("frob"))
    # Unknown, not yet approved, refused, used, expired or another key's: all "Invalid frob".
    if frob is None:
        raise MethodError(108, "Invalid frob")
    try:
        frob.use(call.now, api_key=call.caller.api_key)
    except GrantRefused:
        raise MethodError(108, "Invalid frob") from None
    del state.frobs[frob.value]  # spent: single use
    token = Token(state.new_token_value(), "legacy", frob.api_key, USER_NSID, frob.perms or "read")
    state.tokens[token.value] = token
    return [_auth("auth", token, state.users)]


def m_check_token(call: Call) -> Payload:
    token = call.state.tokens.get(call.get("auth_token"))
    if token is None or token.kind != "legacy" or token.api_key != call.caller.api_key:
        raise MethodError(98, "Invalid auth token")
    return [_auth("auth", token, call.state.users)]


def m_oauth_check_token(call: Call) -> Payload:
    # The token to check is an argument: without it live Flickr answers 98 "Invalid token"
    # (flickr.md §6.4, sybrenstuvel/flickrapi#123).
    token = call.state.tokens.get(call.get("oauth_token"))
    if token is None or token.kind != "oauth" or token.api_key != call.caller.api_key:
        raise MethodError(98, "Invalid token")
    return [_auth("oauth", token, call.state.users)]


def m_oauth_get_access_token(call: Call) -> Payload:
    """Trade the legacy token of this call for an OAuth pair (the legacy token is deleted)."""
    legacy = call.caller.token
    if legacy is None or legacy.kind != "legacy":
        raise MethodError(98, "Invalid auth token")
    state = call.state
    del state.tokens[legacy.value]
    token = Token(
        state.new_token_value(),
        "oauth",
        legacy.api_key,
        legacy.nsid,
        legacy.perms,
        state.new_secret(),
    )
    state.tokens[token.value] = token
    access = Node("access_token", {"oauth_token": token.value, "oauth_token_secret": token.secret})
    return [Node("auth", children=[access])]
