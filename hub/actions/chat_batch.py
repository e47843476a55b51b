"""Writing a batch of chat messages into their senders' open conversations at once: what
`conversations.touch_open` and `messages.receive(touched=True)` write for one message, for a
group commit's batch, one statement each on PostgreSQL.

Only the steady state is taken: a conversation that is open, not put aside (snoozed) and held
or queued, so that nothing but its last message and the client's wait change; any other is
left untouched, for the one-by-one path (`handlers.apply_message`) to wake or route.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, or_, text, update

from hub.events import MessageCreated, conversation_audience
from hub.models import Conversation, ConversationStatus, Direction, Message
from hub.models.base import UtcDateTime
from hub.serialize import message_json

from .bulk_insert import insert_returning_ids
from .conversations import LATEST_BY_IDENTITY
from .uow import UnitOfWork

# A sender on a channel: his only identity's kind and value, and the channel's id.
Sender = tuple[str, str, int]


@dataclass(frozen=True)
class Joined:
    """The sender's open conversation, written to: its id and who holds it (None: queued)."""

    conversation_id: int
    assignee_id: int | None


@dataclass(frozen=True)
class ChatMessage:
    """A client's message into his open conversation, as `messages.receive` stores it."""

    conversation: Joined
    text: str
    meta: dict[str, Any]
    external_id: str | None


# PostgreSQL: each sender's latest conversation on the channel, by the owner of his identity
# (what `conversations.touch_open` finds), written to when in the steady state; one statement
# for the whole batch, the senders as arrays unnested side by side. The conversations are
# locked first, in id order, so that two nodes' batches sharing some wait for each other
# instead of deadlocking; each is written once, and every sender whose latest it is (two
# identities of one client) is answered with it.
_TOUCH_MANY_PG = text(
    "WITH v AS (SELECT s.kind, s.value, s.channel_id, (SELECT l.id FROM conversations AS l"
    "   JOIN identities AS i ON i.contact_id = l.contact_id"
    "   WHERE i.kind = s.kind AND i.value = s.value AND l.channel_id = s.channel_id"
    "   ORDER BY l.id DESC LIMIT 1) AS id"
    " FROM unnest(CAST(:kinds AS text[]), CAST(:values AS text[]), CAST(:channels AS bigint[]))"
    "   AS s(kind, value, channel_id)),"
    " locked AS (SELECT c.id FROM conversations AS c WHERE c.id IN (SELECT v.id FROM v)"
    "   ORDER BY c.id FOR UPDATE),"
    " touched AS (UPDATE conversations AS c SET last_message_at = :now,"
    "   waiting_since = COALESCE(c.waiting_since, :now)"
    "   WHERE c.id IN (SELECT locked.id FROM locked) AND c.status = 'open' AND NOT c.snoozed"
    "   AND (c.assignee_id IS NOT NULL OR c.queued_at IS NOT NULL)"
    "   RETURNING c.id, c.assignee_id)"
    " SELECT v.kind, v.value, v.channel_id, t.id, t.assignee_id FROM v JOIN touched AS t"
    "   ON t.id = v.id"
).bindparams(bindparam("now", type_=UtcDateTime()))

# SQLite (in process, no round trips): the same, one sender at a time.
_conversations = cast(Table, Conversation.__table__)
_TOUCH_ONE = (
    update(_conversations)
    .where(
        _conversations.c.id == LATEST_BY_IDENTITY,
        _conversations.c.status == ConversationStatus.open,
        ~_conversations.c.snoozed,
        or_(_conversations.c.assignee_id.is_not(None), _conversations.c.queued_at.is_not(None)),
    )
    .values(
        last_message_at=bindparam("now", type_=UtcDateTime()),
        waiting_since=func.coalesce(
            _conversations.c.waiting_since, bindparam("now", type_=UtcDateTime())
        ),
    )
    .returning(_conversations.c.id, _conversations.c.assignee_id)
)
_messages = cast(Table, Message.__table__)


async def touch_open_many(
    uow: UnitOfWork, senders: Sequence[Sender], now: datetime
) -> dict[Sender, Joined]:
    """Each sender's open conversation in the steady state, its last message now; the
    senders with none such are not in the answer, and nothing of theirs was written."""
    if not senders:
        return {}
    connection = await uow.session.connection()
    if uow.hub.db.dialect == "postgresql":
        rows = await connection.execute(
            _TOUCH_MANY_PG,
            {
                "now": now,
                "kinds": [s[0] for s in senders],
                "values": [s[1] for s in senders],
                "channels": [s[2] for s in senders],
            },
        )
        return {(k, v, ch): Joined(c, a) for k, v, ch, c, a in rows}
    joined: dict[Sender, Joined] = {}
    for sender in senders:
        params = {
            "sender_kind": sender[0],
            "sender_value": sender[1],
            "on_channel": sender[2],
            "now": now,
        }
        row = (await connection.execute(_TOUCH_ONE, params)).first()
        if row is not None:
            joined[sender] = Joined(row[0], row[1])
    return joined


async def receive_many(
    uow: UnitOfWork, messages: Sequence[ChatMessage], now: datetime
) -> list[int]:
    """Store the clients' messages in order, written at `now` (their conversations' touch),
    and queue each one's `message.created` for whoever holds the conversation."""
    if not messages:
        return []
    rows = [
        {
            "conversation_id": m.conversation.conversation_id,
            "direction": Direction.inbound,
            "text": m.text,
            "meta": m.meta,
            "external_id": m.external_id,
            "created_at": now,
        }
        for m in messages
    ]
    ids = await insert_returning_ids(uow, _messages, rows)
    for m, row, message_id in zip(messages, rows, ids, strict=True):
        uow.emit(
            MessageCreated(
                audience=conversation_audience(m.conversation.assignee_id),
                conversation_id=m.conversation.conversation_id,
                message=message_json(Message(id=message_id, **row), None),
            )
        )
    return ids
