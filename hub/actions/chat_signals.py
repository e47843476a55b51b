"""An operator's chat signals to the client: "typing" (transient) and "read" (durable).

Both are for a conversation the operator may work on (`policy.ensure_can_write`): theirs, the
shared queue's, or any for supervisors and admins. Both are a person's: a robot neither types
nor reads (403 `needs-a-person`).
"""

from __future__ import annotations

from hub.core import Hub
from hub.events import Audience
from hub.models import Conversation
from hub.policy import Actor, ensure_can_write, person_of
from hub.signals import publish_transient

from . import read_state
from .conversation_cases import writing
from .conversations import no_such_conversation


async def typing(hub: Hub, actor: Actor, conversation_id: int) -> None:
    """Tell the visitor's widget the operator is typing; never logged, nothing is written."""
    person = person_of(actor, "type in a conversation")
    async with hub.db.sessions() as session:
        conversation = await session.get(Conversation, conversation_id)
    if conversation is None:
        raise no_such_conversation(conversation_id)
    ensure_can_write(person, conversation)
    # Addressed to no staff member: only the visitor's widget listens for these.
    await publish_transient(
        hub,
        "typing",
        {"conversation_id": conversation.id, "by": "agent", "name": person.name},
        Audience(),
    )


async def mark_read(hub: Hub, actor: Actor, conversation_id: int, up_to: int) -> int | None:
    """The operators have seen the client's messages up to `up_to`; the new marker, or None
    when it did not move (see `read_state.advance`)."""
    person = person_of(actor, "mark a conversation read")
    async with writing(hub, person, conversation_id) as (uow, conversation):
        return await read_state.advance(uow, conversation, "agent", up_to)
