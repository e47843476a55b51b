"""Merging two contacts into one, and undoing it exactly.

Everything that moves is listed in the merge record (ids per table, custom-field keys
filled in), so an unmerge moves precisely those rows back and nothing else. People (and
robots) call `merge_contacts` and `unmerge_contact`; ingest merges a lead into the client it
turns out to be with `merge` itself.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table, select, update

from hub.core import Hub
from hub.models import (
    Activity,
    ActivityParticipant,
    Call,
    Contact,
    ContactMerge,
    ContactOrganisation,
    Conversation,
    Deal,
    Identity,
    Lead,
)
from hub.policy import Actor, Conflict, NotFound, ensure_can_merge_contacts, user_id_of

from . import lookup
from .uow import UnitOfWork, unit_of_work

# Tables whose rows belong to a contact through a plain contact_id column.
_OWNED: dict[str, Table] = {
    table.name: table
    for table in (
        Identity.__table__,
        Conversation.__table__,
        Deal.__table__,
        Activity.__table__,
        ActivityParticipant.__table__,
        Lead.__table__,
        Call.__table__,
    )
    if isinstance(table, Table)
}


class MergeError(Conflict):
    """The two contacts cannot be merged (or the merge undone) as they are."""


async def merge_contacts(hub: Hub, actor: Actor, survivor_id: int, merged_id: int) -> ContactMerge:
    """Merge the contact `merged_id` into `survivor_id`; both must be in view."""
    ensure_can_merge_contacts(actor)
    async with unit_of_work(hub) as uow:
        survivor = await lookup.visible_contact(uow, survivor_id)
        merged = await lookup.visible_contact(uow, merged_id)
        record = await merge(uow, survivor, merged, by_user_id=user_id_of(actor))
    return record


async def unmerge_contact(
    hub: Hub, actor: Actor, survivor_id: int, merge_record_id: int | None = None
) -> ContactMerge:
    """Undo the merge `merge_record_id` into the survivor; by default its latest one."""
    ensure_can_merge_contacts(actor)
    async with unit_of_work(hub) as uow:
        stmt = select(ContactMerge).where(ContactMerge.survivor_id == survivor_id)
        if merge_record_id is not None:
            stmt = stmt.where(ContactMerge.id == merge_record_id)
        else:
            stmt = stmt.where(ContactMerge.undone_at.is_(None))
        record = (
            await uow.session.execute(stmt.order_by(ContactMerge.id.desc()).limit(1))
        ).scalar_one_or_none()
        if record is None:
            raise NotFound("no-such-merge", "Nothing was merged into this contact.")
        await unmerge(uow, record)
    return record


async def merge(
    uow: UnitOfWork, survivor: Contact, merged: Contact, by_user_id: int | None
) -> ContactMerge:
    if survivor.id == merged.id:
        raise MergeError("same-contact", "a contact cannot be merged into itself")
    if survivor.merged_into_id is not None or merged.merged_into_id is not None:
        raise MergeError("already-merged", "one of the contacts was merged already")
    moved: dict[str, Any] = {}
    for name, table in _OWNED.items():
        ids = list(
            (
                await uow.session.execute(select(table.c.id).where(table.c.contact_id == merged.id))
            ).scalars()
        )
        if ids:
            await uow.session.execute(
                update(table).where(table.c.id.in_(ids)).values(contact_id=survivor.id)
            )
        moved[name] = ids
    moved["organisations"] = await _move_memberships(uow, merged.id, survivor.id)
    added = {
        k: v
        for k, v in (merged.custom_fields or {}).items()
        if k not in (survivor.custom_fields or {})
    }
    survivor.custom_fields = {**(survivor.custom_fields or {}), **added}
    moved["custom_field_keys"] = sorted(added)
    moved["survivor_was"] = {
        "status": survivor.status.value,
        "responsible_user_id": survivor.responsible_user_id,
    }
    # A lead merged into a client makes no client a lead; a client merged in wins.
    if merged.status.value == "client":
        survivor.status = merged.status
    if survivor.responsible_user_id is None:
        survivor.responsible_user_id = merged.responsible_user_id
    merged.merged_into_id = survivor.id
    record = ContactMerge(
        survivor_id=survivor.id,
        merged_id=merged.id,
        moved=moved,
        by_user_id=by_user_id,
        created_at=uow.now(),
    )
    uow.session.add(record)
    await uow.session.flush()
    return record


async def _move_memberships(uow: UnitOfWork, from_id: int, to_id: int) -> list[dict[str, Any]]:
    rows = (
        (
            await uow.session.execute(
                select(ContactOrganisation).where(ContactOrganisation.contact_id == from_id)
            )
        )
        .scalars()
        .all()
    )
    existing = set(
        (
            await uow.session.execute(
                select(ContactOrganisation.organisation_id).where(
                    ContactOrganisation.contact_id == to_id
                )
            )
        ).scalars()
    )
    moved = []
    for row in rows:
        moved.append(
            {
                "organisation_id": row.organisation_id,
                "position": row.position,
                "survivor_had_it": row.organisation_id in existing,
            }
        )
        await uow.session.delete(row)
        if row.organisation_id not in existing:
            uow.session.add(
                ContactOrganisation(
                    contact_id=to_id, organisation_id=row.organisation_id, position=row.position
                )
            )
    return moved


async def unmerge(uow: UnitOfWork, record: ContactMerge) -> None:
    if record.undone_at is not None:
        raise MergeError("already-undone", "this merge was undone already")
    survivor = await uow.session.get_one(Contact, record.survivor_id)
    merged = await uow.session.get_one(Contact, record.merged_id)
    moved = record.moved
    for name, table in _OWNED.items():
        ids = moved.get(name, [])
        if ids:
            await uow.session.execute(
                update(table).where(table.c.id.in_(ids)).values(contact_id=merged.id)
            )
    for membership in moved.get("organisations", []):
        if not membership["survivor_had_it"]:
            row = await uow.session.get(
                ContactOrganisation, (survivor.id, membership["organisation_id"])
            )
            if row is not None:
                await uow.session.delete(row)
        uow.session.add(
            ContactOrganisation(
                contact_id=merged.id,
                organisation_id=membership["organisation_id"],
                position=membership["position"],
            )
        )
    survivor.custom_fields = {
        k: v
        for k, v in (survivor.custom_fields or {}).items()
        if k not in set(moved.get("custom_field_keys", []))
    }
    was = moved.get("survivor_was", {})
    if "status" in was:
        survivor.status = type(survivor.status)(was["status"])
        survivor.responsible_user_id = was.get("responsible_user_id")
    merged.merged_into_id = None
    record.undone_at = uow.now()
    await uow.session.flush()
