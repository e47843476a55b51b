"""A person's 152-ФЗ requests: what Okno holds about them (export), and forgetting it (erase).

Both are an administrator's and both leave an audit record: a `personal_data.handled` event,
which the event log keeps for good, saying who did it, when, and how much.

Erasing keeps the shape and drops the person: the contact stays (so deals, calls and the
statistics of who answered what and how fast still add up) as «Данные удалены», without
identities, companies, custom fields or leads' sources; every message keeps its direction,
author and times but loses its text, subject and files (files no other message holds are
deleted); the raw inbound events and the event log's copies of those messages are emptied
too, since they carry the same text. It is one transaction: all of it or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, delete, exists, func, or_, select, update
from sqlalchemy.orm import aliased

from hub.core import Hub
from hub.events import Audience, PersonalDataHandled
from hub.models import (
    Call,
    Contact,
    ContactOrganisation,
    Conversation,
    EventLog,
    Identity,
    IdentitySuggestion,
    InboundEvent,
    Lead,
    Message,
    MessageFile,
    Role,
    StoredFile,
)
from hub.policy import (
    Actor,
    InvalidInput,
    ensure_can_handle_personal_data,
    user_id_of,
)

from . import lookup
from .uow import UnitOfWork, unit_of_work

ERASED_NAME = "Данные удалены"
_ADMINS = Audience(roles=frozenset({Role.admin}))


@dataclass(frozen=True)
class Erased:
    contact_id: int
    counts: dict[str, int]


async def record_export(hub: Hub, actor: Actor, contact_id: int, counts: dict[str, int]) -> None:
    """The audit record of an export (the export itself only reads)."""
    ensure_can_handle_personal_data(actor)
    async with unit_of_work(hub) as uow:
        uow.emit(_handled(actor, contact_id, "exported", counts))


def _handled(actor: Actor, contact_id: int, action: str, counts: dict[str, int]) -> Any:
    return PersonalDataHandled(
        audience=_ADMINS,
        contact_id=contact_id,
        action=action,
        by_user_id=user_id_of(actor),
        counts=counts,
    )


async def erase_contact(hub: Hub, actor: Actor, contact_id: int, confirm_name: str) -> Erased:
    """`confirm_name` must repeat the contact's name, as a guard against the wrong card."""
    ensure_can_handle_personal_data(actor)
    async with unit_of_work(hub) as uow:
        contact = await lookup.visible_contact(uow, contact_id)
        if confirm_name.strip() != contact.name.strip():
            raise InvalidInput(
                [
                    {
                        "field": "confirm_name",
                        "location": "body",
                        "type": "name-mismatch",
                        "message": "Type the contact's name exactly as the card shows it.",
                    }
                ]
            )
        conversations = select(Conversation.id).where(Conversation.contact_id == contact_id)
        counts = {
            "identities": await _count(uow, Identity, Identity.contact_id == contact_id),
            "messages": await _count(uow, Message, Message.conversation_id.in_(conversations)),
            "files": await _erase_files(uow, conversations),
        }
        await _erase_texts(uow, conversations, contact_id)
        await _erase_contact_row(uow, contact)
        uow.emit(_handled(actor, contact_id, "erased", counts))
        return Erased(contact_id, counts)


async def _count(uow: UnitOfWork, model: Any, *where: Any) -> int:

    return int(
        (
            await uow.session.execute(select(func.count()).select_from(model).where(*where))
        ).scalar_one()
    )


async def _erase_files(uow: UnitOfWork, conversations: Any) -> int:
    """Unlink the messages' files; delete the stored bytes no other message holds."""
    mine = select(Message.id).where(Message.conversation_id.in_(conversations))
    other = aliased(MessageFile)
    orphans = list(
        await uow.session.scalars(
            select(MessageFile.file_id)
            .where(MessageFile.message_id.in_(mine))
            .where(
                ~exists().where(
                    and_(other.file_id == MessageFile.file_id, other.message_id.not_in(mine))
                )
            )
            .distinct()
        )
    )
    await uow.session.execute(delete(MessageFile).where(MessageFile.message_id.in_(mine)))
    if orphans:
        await uow.session.execute(delete(StoredFile).where(StoredFile.id.in_(orphans)))
    return len(orphans)


async def _erase_texts(uow: UnitOfWork, conversations: Any, contact_id: int) -> None:
    erased = {"erased": True}
    await uow.session.execute(
        update(Message)
        .where(Message.conversation_id.in_(conversations))
        .values(text="", meta=erased)
    )
    await uow.session.execute(
        update(Conversation).where(Conversation.contact_id == contact_id).values(subject="")
    )
    await uow.session.execute(
        update(InboundEvent)
        .where(InboundEvent.conversation_id.in_(conversations))
        .values(payload=erased)
    )
    await uow.session.execute(
        update(Call)
        .where(Call.contact_id == contact_id)
        .values(caller=None, client_number=None, recording=None, recording_url=None)
    )
    # The event log holds copies of the messages and cards it announced.
    conversation_ids = list(await uow.session.scalars(conversations))
    # Where the events keep them: a conversation's id at the top or in its summary, the
    # contact's at the top, in a screen-pop's card or in a call.
    mentioned = or_(
        EventLog.payload["conversation_id"].as_integer().in_(conversation_ids),
        EventLog.payload[("conversation", "id")].as_integer().in_(conversation_ids),
        EventLog.payload["contact_id"].as_integer() == contact_id,
        EventLog.payload[("card", "id")].as_integer() == contact_id,
        EventLog.payload[("call", "contact", "id")].as_integer() == contact_id,
    )
    await uow.session.execute(
        update(EventLog)
        .where(mentioned)
        .where(EventLog.kind != PersonalDataHandled.kind)
        .values(payload=erased)
    )


async def _erase_contact_row(uow: UnitOfWork, contact: Contact) -> None:
    contact_id = contact.id
    await uow.session.execute(delete(Identity).where(Identity.contact_id == contact_id))
    await uow.session.execute(
        delete(IdentitySuggestion).where(IdentitySuggestion.contact_id == contact_id)
    )
    await uow.session.execute(
        delete(ContactOrganisation).where(ContactOrganisation.contact_id == contact_id)
    )
    await uow.session.execute(
        update(Lead).where(Lead.contact_id == contact_id).values(title="", source_detail={})
    )
    contact.name = ERASED_NAME
    contact.custom_fields = {}
    contact.next_contact_at = None
    contact.version += 1
    contact.updated_at = uow.now()
