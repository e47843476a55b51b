"""Read side of contacts: the full card, search and the name match that works for Cyrillic.

Set-based throughout: a card is a fixed handful of queries, a search page two, whatever
the number of identities, organisations, deals or leads involved.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import (
    Contact,
    ContactOrganisation,
    Deal,
    Identity,
    IdentityKind,
    Lead,
    Organisation,
    Pipeline,
    Stage,
    User,
)
from hub.serialize import contact_brief, iso, user_brief

from .schemas import ContactCard, ContactSummary


def name_contains(dialect: str, column: Any, needle: str) -> ColumnElement[bool]:
    """Case-insensitive substring match that does not depend on the database's locale.

    SQLite's lower()/LIKE fold ASCII only, and PostgreSQL's ILIKE folds Cyrillic only under
    a UTF-8 locale. Spelling each letter as a class of its two cases ("[аА][нН]...") in a
    GLOB (SQLite) or a regular expression (PostgreSQL) matches "Анна", "АННА" and "анна"
    alike on both, with the LIMIT still applied in SQL.
    """
    if dialect == "postgresql":
        return column.regexp_match("".join(_regex_part(ch) for ch in needle))  # type: ignore[no-any-return]
    return column.op("GLOB")("*" + "".join(_glob_part(ch) for ch in needle) + "*")  # type: ignore[no-any-return]


def _cases(ch: str) -> str | None:
    lower, upper = ch.lower(), ch.upper()
    if lower != upper and len(lower) == 1 and len(upper) == 1:
        return f"[{lower}{upper}]"
    return None


def _regex_part(ch: str) -> str:
    # In PostgreSQL's regular expressions a backslash before a non-alphanumeric is a literal.
    return _cases(ch) or (ch if ch.isalnum() else "\\" + ch)


def _glob_part(ch: str) -> str:
    if ch in "*?[":
        return f"[{ch}]"
    return _cases(ch) or ch


def _with_identity(kind: IdentityKind, value: str) -> ColumnElement[bool]:
    return exists().where(
        Identity.contact_id == Contact.id, Identity.kind == kind, Identity.value == value
    )


def search_statement(
    dialect: str,
    phone: str | None,
    email: str | None,
    name: str | None,
    before_id: int | None,
    limit: int,
) -> Select[Contact, User]:
    """Contacts matching every filter given, newest first; phone and email already normalised."""
    stmt = (
        select(Contact, User)
        .outerjoin(User, User.id == Contact.responsible_user_id)
        # A contact merged into another is hidden until unmerged.
        .where(Contact.merged_into_id.is_(None))
    )
    if phone is not None:
        stmt = stmt.where(_with_identity(IdentityKind.phone, phone))
    if email is not None:
        stmt = stmt.where(_with_identity(IdentityKind.email, email))
    if name is not None:
        stmt = stmt.where(name_contains(dialect, Contact.name, name))
    if before_id is not None:
        stmt = stmt.where(Contact.id < before_id)
    return stmt.order_by(Contact.id.desc()).limit(limit)


async def merged_into(session: AsyncSession, contact_id: int) -> tuple[bool, int | None]:
    """(whether the contact exists, the contact it was merged into if it was)."""
    row = (
        await session.execute(select(Contact.merged_into_id).where(Contact.id == contact_id))
    ).one_or_none()
    return (False, None) if row is None else (True, row[0])


async def _identities(
    session: AsyncSession, contact_ids: list[int]
) -> dict[int, list[dict[str, Any]]]:
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


def _summary(
    contact: Contact, responsible: User | None, identities: list[dict[str, Any]]
) -> dict[str, Any]:
    return {
        **contact_brief(contact),
        "identities": identities,
        "responsible": user_brief(responsible),
        "created_at": iso(contact.created_at),
    }


async def summaries(
    session: AsyncSession, rows: Sequence[tuple[Contact, User | None]]
) -> list[ContactSummary]:
    identities = await _identities(session, [contact.id for contact, _ in rows]) if rows else {}
    return [
        ContactSummary.model_validate(_summary(contact, responsible, identities[contact.id]))
        for contact, responsible in rows
    ]


def lead_json(lead: Lead, responsible: User | None) -> dict[str, Any]:
    return {
        "id": lead.id,
        "title": lead.title,
        "status": lead.status.value,
        "source": lead.source,
        "source_detail": lead.source_detail or {},
        "responsible": user_brief(responsible),
        "created_at": iso(lead.created_at),
    }


async def contact_card(session: AsyncSession, contact_id: int) -> ContactCard | None:
    head = (
        await session.execute(
            select(Contact, User)
            .outerjoin(User, User.id == Contact.responsible_user_id)
            .where(Contact.id == contact_id)
        )
    ).one_or_none()
    if head is None:
        return None
    contact, responsible = head
    organisations = await session.execute(
        select(Organisation, ContactOrganisation.position)
        .join(ContactOrganisation, ContactOrganisation.organisation_id == Organisation.id)
        .where(ContactOrganisation.contact_id == contact_id)
        .order_by(Organisation.name, Organisation.id)
    )
    deals = await session.execute(
        select(Deal, Pipeline, Stage, User)
        .join(Pipeline, Pipeline.id == Deal.pipeline_id)
        .join(Stage, Stage.id == Deal.stage_id)
        .outerjoin(User, User.id == Deal.responsible_user_id)
        .where(Deal.contact_id == contact_id, Deal.closed_at.is_(None), Stage.outcome == "open")
        .order_by(Deal.id.desc())
    )
    leads = await session.execute(
        select(Lead, User)
        .outerjoin(User, User.id == Lead.responsible_user_id)
        .where(Lead.contact_id == contact_id)
        .order_by(Lead.id.desc())
    )
    identities = await _identities(session, [contact_id])
    return ContactCard.model_validate(
        {
            **_summary(contact, responsible, identities[contact_id]),
            "custom_fields": contact.custom_fields or {},
            "organisations": [
                {"id": org.id, "name": org.name, "inn": org.inn, "position": position}
                for org, position in organisations
            ],
            "open_deals": [
                {
                    "id": deal.id,
                    "title": deal.title,
                    "amount": deal.amount,
                    "currency": deal.currency,
                    "pipeline": {"id": pipeline.id, "name": pipeline.name},
                    "stage": {"id": stage.id, "name": stage.name},
                    "responsible": user_brief(owner),
                    "stage_entered_at": iso(deal.stage_entered_at),
                }
                for deal, pipeline, stage, owner in deals
            ],
            "leads": [lead_json(lead, owner) for lead, owner in leads],
        }
    )
