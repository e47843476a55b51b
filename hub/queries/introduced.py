"""Names visitors typed into web forms that are not the client's own name.

A form request is matched by phone or e-mail, so a colleague, a spouse or a new employee
writing from the company's number lands on the client known under another name. The name
they typed (`visitor_name` in the message meta, set by the web-form connector) is shown on
the card as «представился как …», with the contact person of the client's organisation
who already bears it, if any: the card then links them instead of offering to add them.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Channel, Contact, ContactOrganisation, Conversation, Direction, Message
from hub.models.crm import search_key
from hub.serialize import iso

from .shapes import Shape, Timestamp

# Requests looked at: the latest few are what an operator acts on; older names were seen.
RECENT_REQUESTS = 50
NAMES_SHOWN = 5


class IntroducedName(Shape):
    """A name typed in a form request of this client that is not the client's name."""

    name: str
    message_id: int
    conversation_id: int
    created_at: Timestamp
    # A contact person of the client's organisations already named so (then: a link).
    contact_person_id: int | None


async def introduced_names(
    session: AsyncSession, contact: Contact, organisation_ids: Iterable[int]
) -> list[IntroducedName]:
    """The latest distinct other names, newest first; two queries, bounded."""
    rows = await session.execute(
        select(Message.id, Message.conversation_id, Message.created_at, Message.meta)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(
            Conversation.contact_id == contact.id,
            Channel.kind == "webform",
            Message.direction == Direction.inbound,
        )
        .order_by(Message.id.desc())
        .limit(RECENT_REQUESTS)
    )
    own = search_key(contact.name)
    found: dict[str, tuple[str, int, int, datetime]] = {}
    for message_id, conversation_id, created_at, meta in rows:
        name = (meta or {}).get("visitor_name")
        if not isinstance(name, str) or not name.strip():
            continue
        key = search_key(name)
        if key != own and key not in found and len(found) < NAMES_SHOWN:
            found[key] = (" ".join(name.split()), message_id, conversation_id, created_at)
    if not found:
        return []
    persons = await _persons_by_name(session, contact.id, list(organisation_ids), set(found))
    return [
        IntroducedName.model_validate(
            {
                "name": name,
                "message_id": message_id,
                "conversation_id": conversation_id,
                "created_at": iso(created_at),
                "contact_person_id": persons.get(key),
            }
        )
        for key, (name, message_id, conversation_id, created_at) in found.items()
    ]


async def _persons_by_name(
    session: AsyncSession, contact_id: int, organisation_ids: list[int], keys: set[str]
) -> dict[str, int]:
    if not organisation_ids:
        return {}
    rows = await session.execute(
        select(Contact.name_key, Contact.id)
        .join(ContactOrganisation, ContactOrganisation.contact_id == Contact.id)
        .where(
            ContactOrganisation.organisation_id.in_(organisation_ids),
            Contact.name_key.in_(keys),
            Contact.id != contact_id,
            Contact.merged_into_id.is_(None),
        )
        .order_by(Contact.id)
    )
    persons: dict[str, int] = {}
    for key, person_id in rows:
        persons.setdefault(key, int(person_id))
    return persons
