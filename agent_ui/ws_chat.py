"""Operator chat signals over /ws: "typing" (transient) and "read" (durable read state).

{"type":"typing","conversation_id":N}       -> the visitor's widget shows "… is typing"
{"type":"read","conversation_id":N,"up_to":M} -> the client's messages up to M are seen
Both need a conversation the operator may work on: theirs, the shared queue's, or any for
supervisors and admins.
"""

from __future__ import annotations

import time
from typing import Any

from hub.actions.read_state import mark_read
from hub.auth import Principal, has_role
from hub.core import Hub
from hub.events import Audience
from hub.models import Conversation, Role, User
from hub.signals import publish_transient

TYPING_EVERY_S = 2.0


class ChatSignalError(Exception):
    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id
        self.message = message


def _positive_int(value: object, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise ChatSignalError("bad-message", f"{name} must be a positive integer.")
    return value


class ChatSignals:
    """One operator socket's typing throttle and permission checks."""

    def __init__(self, hub: Hub, principal: Principal) -> None:
        self.hub = hub
        self.principal = principal
        self._typing_at: dict[int, float] = {}
        self._name: str | None = None  # the operator's, read once per socket

    async def _conversation(self, message: dict[str, Any]) -> Conversation:
        conversation_id = _positive_int(message.get("conversation_id"), "conversation_id")
        async with self.hub.db.sessions() as session:
            conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise ChatSignalError("no-such-conversation", "There is no such conversation.")
        staff = has_role(self.principal.role, Role.supervisor)
        if not staff and conversation.assignee_id not in (None, self.principal.user_id):
            raise ChatSignalError("not-your-conversation", "This conversation is not yours.")
        return conversation

    async def typing(self, message: dict[str, Any]) -> None:
        conversation = await self._conversation(message)
        now = time.monotonic()
        if now - self._typing_at.get(conversation.id, 0.0) < TYPING_EVERY_S:
            return
        self._typing_at[conversation.id] = now
        if len(self._typing_at) > 100:  # an operator types into a few at most
            self._typing_at = {conversation.id: now}
        if self._name is None:
            async with self.hub.db.sessions() as session:
                self._name = (await session.get_one(User, self.principal.user_id)).name
        # Addressed to no staff member: only the visitor's widget listens for these.
        await publish_transient(
            self.hub,
            "typing",
            {"conversation_id": conversation.id, "by": "agent", "name": self._name},
            Audience(),
        )

    async def read(self, message: dict[str, Any]) -> None:
        conversation = await self._conversation(message)
        up_to = _positive_int(message.get("up_to"), "up_to")
        await mark_read(self.hub, conversation.id, "agent", up_to)
