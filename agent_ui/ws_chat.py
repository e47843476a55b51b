"""Operator chat signals over /ws: "typing" (transient) and "read" (durable read state).

{"type":"typing","conversation_id":N}       -> the visitor's widget shows "… is typing"
{"type":"read","conversation_id":N,"up_to":M} -> the client's messages up to M are seen
Each frame is parsed here and handed to `hub.actions.chat_signals`, which checks who may; a
refusal is a `DomainError` that the socket (ws.py) renders as an error frame.
"""

from __future__ import annotations

import time
from typing import Any

from hub.actions import chat_signals
from hub.auth import Principal
from hub.core import Hub
from hub.policy import DomainError

TYPING_EVERY_S = 2.0


def _positive_int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise DomainError("bad-message", 400, f"{name} must be a positive integer.")
    return value


class ChatSignals:
    """One operator socket's chat signals, with its typing throttle."""

    def __init__(self, hub: Hub, principal: Principal) -> None:
        self.hub = hub
        self.principal = principal
        self._typing_at: dict[int, float] = {}

    async def typing(self, message: dict[str, Any]) -> None:
        conversation_id = _positive_int(message.get("conversation_id"), "conversation_id")
        now = time.monotonic()
        if now - self._typing_at.get(conversation_id, 0.0) < TYPING_EVERY_S:
            return
        await chat_signals.typing(self.hub, self.principal, conversation_id)
        self._typing_at[conversation_id] = now
        if len(self._typing_at) > 100:  # an operator types into a few at most
            self._typing_at = {conversation_id: now}

    async def read(self, message: dict[str, Any]) -> None:
        conversation_id = _positive_int(message.get("conversation_id"), "conversation_id")
        up_to = _positive_int(message.get("up_to"), "up_to")
        await chat_signals.mark_read(self.hub, self.principal, conversation_id, up_to)
