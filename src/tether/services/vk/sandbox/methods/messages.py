"""``messages.send``.

Invariants:
- Messages are stored through ``VkState.send_message`` only, which drops a resend: the same
  sender and non-zero ``random_id`` within the window answer the first message's id.
- ``random_id`` is required, as VK requires it from version 5.90 on (the sandbox asks it of
  every version: the floor is 5.81 and no client sends an older one on purpose).
"""

from __future__ import annotations

from typing import Any, Final

from tether.services.vk.sandbox.methods.base import Call, check_live_owner, invalid
from tether.services.vk.sandbox.model import people
from tether.services.vk.sandbox.model.auth import Kind

MAX_MESSAGE: Final = 4096  # characters VK takes in one message


def m_messages_send(call: Call) -> Any:
    """Send ``message`` to ``user_id``, ``peer_id`` or ``domain``; the message id."""
    token = call.token
    assert token is not None  # the line admits user and community tokens only
    sender = token.owner if token.kind is Kind.USER else -token.owner
    peer = call.integer("peer_id")
    if peer is None:
        peer = call.integer("user_id")
    if peer is None and call.get("domain"):
        peer = people.resolve_user(call.get("domain"))
        if peer is None:
            raise invalid("domain is invalid")
    if peer is None:
        raise invalid("peer_id is undefined")
    if peer < 2_000_000_000:  # peers above it are chats: not modelled, always accepted
        check_live_owner(peer)
    random_id = call.integer("random_id")
    if random_id is None:
        raise invalid("random_id is a required parameter")
    text = call.get("message")
    attachments = tuple(call.words("attachment"))
    if not text.strip() and not attachments:
        raise invalid("message is empty or invalid")
    if len(text) > MAX_MESSAGE:
        raise invalid("message is too long")
    return call.state.send_message(sender, peer, text, attachments, random_id, call.now)
