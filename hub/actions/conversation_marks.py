"""Marks an operator puts on a conversation: tags, and snooze (put aside until a time or
until the client writes, then back in «Мои» of the same operator).

Entry points take the acting principal: `set_tags`, `snooze`, `wake`; `wake_due` (the
sweeper, as the system) brings back those whose time came, and a client's message
(messages.receive) those put aside until he writes. Who may: whoever may write on the conversation.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select

from hub.core import Hub
from hub.models import Conversation, ConversationStatus, ConversationTag, Tag
from hub.models.crm import search_key
from hub.policy import Actor, Conflict, InvalidInput

from .conversation_cases import writing
from .conversations import announce, locked
from .conversations import wake as wake_now
from .uow import UnitOfWork, unit_of_work

MAX_TAGS = 20


async def tag_ids(uow: UnitOfWork, names: Sequence[str]) -> list[int]:
    """The tags of these names (one per case-folded name), created when new."""
    wanted: dict[str, str] = {}
    for name in names:
        clean = " ".join(name.split())
        if clean:
            wanted.setdefault(search_key(clean), clean)
    if not wanted:
        return []
    rows = await uow.session.execute(select(Tag.name_key, Tag.id).where(Tag.name_key.in_(wanted)))
    known: dict[str, int] = {key: tag_id for key, tag_id in rows}
    for key, name in wanted.items():
        if key not in known:
            tag = Tag(name=name, name_key=key, created_at=uow.now())
            uow.session.add(tag)
            await uow.session.flush()
            known[key] = tag.id
    return [known[key] for key in wanted]


async def set_tags(hub: Hub, actor: Actor, conversation_id: int, names: Sequence[str]) -> None:
    """The conversation's tags become exactly these (new names become new tags)."""
    if len(names) > MAX_TAGS:
        raise InvalidInput(
            [{"field": "tags", "location": "body", "type": "too-many", "message": "at most 20"}]
        )
    async with writing(hub, actor, conversation_id) as (uow, conversation):
        ids = await tag_ids(uow, names)
        await uow.session.execute(
            delete(ConversationTag).where(ConversationTag.conversation_id == conversation.id)
        )
        uow.session.add_all(ConversationTag(conversation_id=conversation.id, tag_id=i) for i in ids)
        await announce(uow, conversation, "tagged")


async def snooze(hub: Hub, actor: Actor, conversation_id: int, until: datetime | None) -> None:
    """Out of «Мои» until `until` (None: until the client writes)."""
    async with writing(hub, actor, conversation_id) as (uow, conversation):
        if conversation.status is not ConversationStatus.open:
            raise Conflict("already-closed", "The conversation is closed already.")
        if conversation.assignee_id is None:
            raise Conflict("not-assigned", "Only a conversation someone holds can be snoozed.")
        if until is not None and until <= uow.now():
            raise InvalidInput(
                [
                    {
                        "field": "until",
                        "location": "body",
                        "type": "in-the-past",
                        "message": "must be in the future",
                    }
                ]
            )
        conversation.snoozed, conversation.snoozed_until = True, until
        await announce(uow, conversation, "snoozed")


async def wake(hub: Hub, actor: Actor, conversation_id: int) -> None:
    """Back in «Мои» now (the operator changed his mind)."""
    async with writing(hub, actor, conversation_id) as (uow, conversation):
        if conversation.snoozed:
            await wake_now(uow, conversation)


async def wake_due(hub: Hub) -> int:
    """Wake those whose time has come (set-based scan by index, then one row each)."""
    now = hub.clock()
    async with hub.db.sessions() as session:
        due = list(
            await session.scalars(
                select(Conversation.id).where(
                    Conversation.snoozed_until.is_not(None), Conversation.snoozed_until <= now
                )
            )
        )
    woken = 0
    for conversation_id in due:
        async with unit_of_work(hub) as uow:
            conversation = await locked(uow, conversation_id)
            if conversation.snoozed and conversation.snoozed_until is not None:
                await wake_now(uow, conversation)
                woken += 1
    return woken
