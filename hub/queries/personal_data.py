"""Everything Okno holds about one contact, for a 152-ФЗ request to see it (the ZIP export).

Rows are turned into JSON by their own columns (`_columns`), so a column added later is
exported without this module knowing of it. Each table is read with one query whatever the
number of conversations or messages; file bytes come with the messages that hold them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import inspect, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import (
    Activity,
    Base,
    Call,
    Contact,
    ContactOrganisation,
    Conversation,
    Deal,
    Identity,
    IdentitySuggestion,
    InboundEvent,
    Lead,
    Message,
    MessageFile,
    Organisation,
    StoredFile,
)


def _value(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    if isinstance(value, bytes):
        return None  # bytes travel as files of their own
    return value


def _columns(row: Base) -> dict[str, Any]:
    return {attr.key: _value(getattr(row, attr.key)) for attr in inspect(row).mapper.column_attrs}


@dataclass
class PersonalData:
    contact: dict[str, Any]
    tables: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    # (path in the archive, bytes) of every file the contact's messages hold
    files: list[tuple[str, bytes]] = field(default_factory=list)


async def conversation_ids(session: AsyncSession, contact_id: int) -> list[int]:
    found = await session.scalars(
        select(Conversation.id).where(Conversation.contact_id == contact_id)
    )
    return list(found)


async def collect(session: AsyncSession, contact_id: int) -> PersonalData | None:
    contact = await session.get(Contact, contact_id)
    if contact is None:
        return None
    conversations = await conversation_ids(session, contact_id)
    data = PersonalData(_columns(contact))

    async def table(name: str, model: type[Base], *where: Any) -> None:
        rows = await session.scalars(select(model).where(*where))
        data.tables[name] = [_columns(row) for row in rows]

    await table("identities", Identity, Identity.contact_id == contact_id)
    await table("leads", Lead, Lead.contact_id == contact_id)
    await table(
        "organisations",
        Organisation,
        Organisation.id.in_(
            select(ContactOrganisation.organisation_id).where(
                ContactOrganisation.contact_id == contact_id
            )
        ),
    )
    await table("conversations", Conversation, Conversation.id.in_(conversations))
    await table("messages", Message, Message.conversation_id.in_(conversations))
    await table(
        "calls", Call, or_(Call.contact_id == contact_id, Call.conversation_id.in_(conversations))
    )
    await table("deals", Deal, Deal.contact_id == contact_id)
    await table("activities", Activity, Activity.contact_id == contact_id)
    await table(
        "identity_suggestions", IdentitySuggestion, IdentitySuggestion.contact_id == contact_id
    )
    await table("inbound_events", InboundEvent, InboundEvent.conversation_id.in_(conversations))
    held = await session.execute(
        select(MessageFile.message_id, MessageFile.position, StoredFile)
        .join(StoredFile, StoredFile.id == MessageFile.file_id)
        .join(Message, Message.id == MessageFile.message_id)
        .where(Message.conversation_id.in_(conversations))
        .order_by(MessageFile.message_id, MessageFile.position)
    )
    for message_id, position, stored in held:
        data.files.append((f"files/message-{message_id}-{position}-{stored.id}", stored.data))
    return data
