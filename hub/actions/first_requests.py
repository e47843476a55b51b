"""Writing a batch of first requests at once: senders nobody knows yet, each becoming a lead
contact with its identities, a lead, a new conversation and the message that opened it.

For one such request `contacts.create_lead`, `contacts.note_unparsed_phones`,
`conversations.open_conversation` and `messages.receive` write these rows one by one, through
the ORM; here each kind of row is one statement for the whole batch (a group commit's,
routing/first_requests.py), built once and run on the connection. The rows and the
`message.created` events end as those one-by-one calls would leave them; routing follows
(routing/first_requests.py), as it follows `messages.receive` there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table

from hub.events import MessageCreated, conversation_audience
from hub.models import (
    Channel,
    Contact,
    ContactStatus,
    Conversation,
    ConversationStatus,
    Direction,
    Identity,
    Lead,
    Message,
)
from hub.models.crm import search_key
from hub.serialize import message_json
from hub.text import one_line

from .chained_insert import Step, insert_chain
from .contacts import NormalisedIdentity
from .uow import UnitOfWork


@dataclass(frozen=True)
class FirstRequest:
    """What a new sender's first message brings: who he says he is and what he wrote."""

    event_id: int
    channel: Channel
    sender_name: str
    identities: Sequence[NormalisedIdentity]
    # Numbers nobody could parse: kept as text on the contact (`note_unparsed_phones`).
    unparsed_phones: Sequence[str]
    lead_source_detail: dict[str, Any]
    lead_title: str
    subject: str
    text: str
    meta: dict[str, Any]
    message_ref: str | None
    weight: float


@dataclass(frozen=True)
class Opened:
    """A first request written: its new conversation (still unassigned) and message."""

    request: FirstRequest
    contact_id: int
    lead_id: int
    conversation_id: int
    message_id: int
    # The moment written as its creation, first and last message.
    at: datetime


def contact_name(request: FirstRequest) -> str:
    # A sender's name is one line whatever the channel sent (hub/text.py).
    return one_line(request.sender_name)[:300]


def conversation_subject(request: FirstRequest) -> str:
    return request.subject[:500]


def _table(model: type[object]) -> Table:
    return cast(Table, model.__table__)  # type: ignore[attr-defined]


_CONTACTS, _IDENTITIES, _LEADS = _table(Contact), _table(Identity), _table(Lead)
_CONVERSATIONS, _MESSAGES = _table(Conversation), _table(Message)


async def open_first_requests(uow: UnitOfWork, requests: Sequence[FirstRequest]) -> list[Opened]:
    """Write every request's contact, identities, lead, conversation and message, and queue
    each message's `message.created`, in the requests' order."""
    if not requests:
        return []
    now = uow.now()
    contacts = []
    for r in requests:
        name = contact_name(r)
        unparsed = {"unparsed_phones": list(r.unparsed_phones)} if r.unparsed_phones else {}
        contacts.append(
            {
                "name": name,
                "name_key": search_key(name),
                "status": ContactStatus.lead,
                "custom_fields": unparsed,
                "created_at": now,
                "updated_at": now,
            }
        )
    # Each request's rows point at its own contact, lead and conversation: row `n` (1-based,
    # the request's place) of the earlier step (hub/actions/chained_insert.py).
    numbers = range(1, len(requests) + 1)
    identities = [
        {"contact_id": n, "kind": i.kind, "value": i.value, "raw": i.raw[:320], "created_at": now}
        for n, r in zip(numbers, requests, strict=True)
        for i in r.identities
    ]
    leads = [
        {
            "contact_id": n,
            "title": r.lead_title[:300],
            "source": r.channel.kind,
            "source_detail": r.lead_source_detail,
            "created_at": now,
        }
        for n, r in zip(numbers, requests, strict=True)
    ]
    conversations = [
        {
            "contact_id": n,
            "channel_id": r.channel.id,
            "team_id": r.channel.team_id,
            "required_skill": r.channel.required_skill,
            "weight": r.weight,
            "lead_id": n,
            "subject": conversation_subject(r),
            "status": ConversationStatus.open,
            "created_at": now,
            # Its first message is the client's: he waits for an answer from now.
            "last_message_at": now,
            "waiting_since": now,
        }
        for n, r in zip(numbers, requests, strict=True)
    ]
    messages = [
        {
            "conversation_id": n,
            "direction": Direction.inbound,
            "text": r.text,
            "meta": r.meta,
            "external_id": r.message_ref,
            "created_at": now,
        }
        for n, r in zip(numbers, requests, strict=True)
    ]
    contact_ids, _, lead_ids, conversation_ids, message_ids = await insert_chain(
        uow,
        [
            Step(_CONTACTS, contacts),
            Step(_IDENTITIES, identities, {"contact_id": 0}),
            Step(_LEADS, leads, {"contact_id": 0}),
            Step(_CONVERSATIONS, conversations, {"contact_id": 0, "lead_id": 2}),
            Step(_MESSAGES, messages, {"conversation_id": 3}),
        ],
    )
    for row, conversation_id in zip(messages, conversation_ids, strict=True):
        row["conversation_id"] = conversation_id
    uow.opened.update(conversation_ids)
    # Nobody holds a new conversation yet: its first message goes to every operator's queue.
    audience = conversation_audience(None)
    for row, conversation_id, message_id in zip(
        messages, conversation_ids, message_ids, strict=True
    ):
        message = Message(id=message_id, **row)
        uow.emit(
            MessageCreated(
                audience=audience,
                conversation_id=conversation_id,
                message=message_json(message, None),
            )
        )
    return [
        Opened(r, contact_id, lead_id, conversation_id, message_id, now)
        for r, contact_id, lead_id, conversation_id, message_id in zip(
            requests, contact_ids, lead_ids, conversation_ids, message_ids, strict=True
        )
    ]
