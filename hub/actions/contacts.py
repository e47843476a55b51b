"""Writing contacts, leads and identities."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite

from hub.models import Contact, ContactStatus, Identity, IdentityKind, Lead
from hub.text import one_line

from .uow import UnitOfWork


@dataclass(frozen=True)
class NormalisedIdentity:
    kind: IdentityKind
    value: str
    raw: str


async def create_lead(
    uow: UnitOfWork,
    name: str,
    identities: Iterable[NormalisedIdentity],
    source: str,
    source_detail: dict[str, Any],
    title: str = "",
) -> tuple[Contact, Lead]:
    """A new person known only from an inbound request: a lead contact plus its lead record.

    Identities are inserted plainly: if a concurrent request created the same identity first,
    the unique constraint fails this transaction and the caller re-resolves.
    """
    now = uow.now()
    contact = Contact(
        # A sender's name is one line whatever the channel sent (hub/text.py).
        name=one_line(name)[:300],
        status=ContactStatus.lead,
        custom_fields={},
        created_at=now,
        updated_at=now,
    )
    uow.session.add(contact)
    await uow.session.flush()
    uow.session.add_all(
        Identity(contact_id=contact.id, kind=i.kind, value=i.value, raw=i.raw[:320], created_at=now)
        for i in identities
    )
    lead = Lead(
        contact_id=contact.id,
        title=title[:300],
        source=source,
        source_detail=source_detail,
        created_at=now,
    )
    uow.session.add(lead)
    await uow.session.flush()
    return contact, lead


async def replace_stand_in_name(uow: UnitOfWork, contact_id: int, name: str, stand_in: str) -> None:
    """The channel named the sender by a stand-in («VK id 612345678») because their real name
    could not be fetched then; now that a message brings the real one, the contact gets it.
    A name anybody set (an operator, another channel) is never touched."""
    name = name.strip()
    if not name or name == stand_in:
        return
    contact = await uow.session.get_one(Contact, contact_id)
    if contact.name.strip() in ("", stand_in):
        contact.name = name[:300]
        contact.updated_at = uow.now()


async def add_missing_identities(
    uow: UnitOfWork, contact_id: int, identities: Iterable[NormalisedIdentity]
) -> None:
    """Attach identities the contact does not have yet; ones held by others stay theirs."""
    insert = postgresql.insert if uow.hub.db.dialect == "postgresql" else sqlite.insert
    rows = [
        {
            "contact_id": contact_id,
            "kind": i.kind,
            "value": i.value,
            "raw": i.raw[:320],
            "created_at": uow.now(),
        }
        for i in identities
    ]
    if rows:
        await uow.session.execute(
            insert(Identity).values(rows).on_conflict_do_nothing(index_elements=["kind", "value"])
        )


async def set_reachability(
    uow: UnitOfWork, identity: NormalisedIdentity, reachable: bool, reason: str
) -> bool:
    """Mark the client's identity (un)reachable; returns False when Okno does not know it."""
    row = (
        await uow.session.execute(
            select(Identity).where(Identity.kind == identity.kind, Identity.value == identity.value)
        )
    ).scalar_one_or_none()
    if row is None:
        return False
    row.unreachable_at = None if reachable else uow.now()
    row.unreachable_reason = None if reachable else (reason or "unreachable")[:300]
    return True


async def note_unparsed_phones(uow: UnitOfWork, contact_id: int, phones: list[str]) -> None:
    """Keep numbers nobody could parse as text on the contact, for a human to read."""
    if not phones:
        return
    contact = await uow.session.get_one(Contact, contact_id)
    known = list((contact.custom_fields or {}).get("unparsed_phones", []))
    new = [p for p in phones if p not in known]
    if new:
        contact.custom_fields = {**(contact.custom_fields or {}), "unparsed_phones": known + new}
