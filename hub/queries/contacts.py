"""Finding contacts: search by phone, e-mail or part of the name (Cyrillic too), summaries.

Set-based: a search page is two queries (the contacts, then all their identities), whatever
the number of contacts on it.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import ColumnElement, exists, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Contact, Identity, IdentityKind, User
from hub.serialize import contact_brief, iso, user_brief

from .shapes import ContactSummary


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


async def search_contacts(
    session: AsyncSession,
    *,
    dialect: str,
    phone: str | None,
    email: str | None,
    name: str | None,
    before_id: int | None,
    limit: int,
) -> list[ContactSummary]:
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
    result = await session.execute(stmt.order_by(Contact.id.desc()).limit(limit))
    rows = [(contact, responsible) for contact, responsible in result]
    identities = await identities_of(session, [contact.id for contact, _ in rows]) if rows else {}
    return [
        ContactSummary.model_validate(summary_json(contact, responsible, identities[contact.id]))
        for contact, responsible in rows
    ]


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
