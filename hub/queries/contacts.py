"""A contact's parts the registry, the card and the summaries share, read set-based: the
identities and the organisations of a whole page in one query each."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Contact, ContactOrganisation, Identity, IdentityKind, Organisation, User
from hub.serialize import contact_brief, iso, user_brief

from .shapes import ContactRow

# Kept on the contact beside the administrator's custom values (hub.actions.contacts
# note_unparsed_phones): phones nobody could parse, shown raw and marked, never lost.
UNPARSED_PHONES = "unparsed_phones"
SYSTEM_KEYS = frozenset({UNPARSED_PHONES})


async def merged_into(session: AsyncSession, contact_id: int) -> tuple[bool, int | None]:
    """(whether the contact exists, the contact it was merged into if it was)."""
    row = (
        await session.execute(select(Contact.merged_into_id).where(Contact.id == contact_id))
    ).one_or_none()
    return (False, None) if row is None else (True, row[0])


async def identities_of(
    session: AsyncSession, contact_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """Every identity of these contacts (one query), in the order they were added."""
    rows = await session.execute(
        select(Identity).where(Identity.contact_id.in_(contact_ids)).order_by(Identity.id)
    )
    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for identity in rows.scalars():
        result[identity.contact_id].append(
            {
                "kind": identity.kind.value,
                "value": identity.value,
                "raw": identity.raw,
                "unreachable_at": iso(identity.unreachable_at),
            }
        )
    return result


def summary_json(
    contact: Contact, responsible: User | None, identities: list[dict[str, Any]]
) -> dict[str, Any]:
    """A contact as a `ContactSummary`: the part every card and search row shares."""
    return {
        **contact_brief(contact),
        "identities": identities,
        "responsible": user_brief(responsible),
        "created_at": iso(contact.created_at),
    }


async def organisations_of(
    session: AsyncSession, contact_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
    """The organisations of these contacts with the position in each (one query)."""
    result: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not contact_ids:
        return result
    rows = await session.execute(
        select(ContactOrganisation.contact_id, Organisation, ContactOrganisation.position)
        .join(Organisation, Organisation.id == ContactOrganisation.organisation_id)
        .where(ContactOrganisation.contact_id.in_(contact_ids))
        .order_by(Organisation.name, Organisation.id)
    )
    for contact_id, organisation, position in rows:
        result[contact_id].append(
            {
                "id": organisation.id,
                "name": organisation.name,
                "inn": organisation.inn,
                "position": position,
            }
        )
    return result


async def contact_rows(
    session: AsyncSession, rows: Sequence[tuple[Contact, User | None]]
) -> list[ContactRow]:
    ids = [contact.id for contact, _ in rows]
    identities = await identities_of(session, ids) if ids else {}
    organisations = await organisations_of(session, ids)
    return [
        ContactRow.model_validate(
            row_json(contact, owner, identities.get(contact.id, []), organisations[contact.id])
        )
        for contact, owner in rows
    ]


def unparsed_of(contact: Contact) -> list[str]:
    return [str(p) for p in (contact.custom_fields or {}).get(UNPARSED_PHONES, [])]


def public_custom_fields(values: Mapping[str, Any] | None) -> dict[str, Any]:
    """The administrator's custom values, without what Okno keeps there for itself."""
    return {k: v for k, v in (values or {}).items() if k not in SYSTEM_KEYS}


def row_json(
    contact: Contact,
    responsible: User | None,
    identities: list[dict[str, Any]],
    organisations: list[dict[str, Any]],
) -> dict[str, Any]:
    """A contact as a `ContactRow`: the part the registry and the card share."""
    phones = [
        {"value": i["value"], "raw": i["raw"], "unparsed": False}
        for i in identities
        if i["kind"] == IdentityKind.phone.value
    ]
    phones += [{"value": raw, "raw": raw, "unparsed": True} for raw in unparsed_of(contact)]
    return {
        **summary_json(contact, responsible, identities),
        "organisations": organisations,
        "phones": phones,
        "emails": [i["value"] for i in identities if i["kind"] == IdentityKind.email.value],
        "source": contact.source or "",
        "next_contact_at": iso(contact.next_contact_at),
        "updated_at": iso(contact.updated_at),
        "custom_fields": public_custom_fields(contact.custom_fields),
        "version": contact.version,
    }


async def contact_access(
    session: AsyncSession, contact_id: int
) -> tuple[bool, int | None, int | None]:
    """(whether the contact exists, what it was merged into, its responsible manager)."""
    row = (
        await session.execute(
            select(Contact.merged_into_id, Contact.responsible_user_id).where(
                Contact.id == contact_id
            )
        )
    ).one_or_none()
    return (False, None, None) if row is None else (True, row[0], row[1])
