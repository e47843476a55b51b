"""The organisations registry and an organisation's card.

The registry pages by keyset over the name key or the creation time (hub/queries/keyset), so
the millionth row is as quick as the first. A page costs three queries whatever its size: the
organisations with their responsible managers, then the counts of contacts and of open deals
for all of them at once. Everything is filtered by what the reader may see (`CrmView`): an
organisation outside it is "not found", and so are its hidden contacts and deals on the card.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import Field
from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.custom_values import FieldRule
from hub.models import Contact, ContactOrganisation, Deal, Organisation, Stage, User
from hub.models.crm import search_key
from hub.policy import InvalidInput
from hub.serialize import iso

from .card import NamedRef
from .crm_access import CrmView
from .custom_filters import custom_condition
from .deals import DealCard, card_rows, card_select, cards
from .keyset import Sort, decode_cursor, keyset_page
from .shapes import Shape, Timestamp

_INN_QUERY = re.compile(r"^(\d{10}|\d{12})$")
# Sorts after every character a name key holds: the upper bound of a prefix range.
_LAST_CHAR = "\uffff"

SortName = Literal["name", "created_at"]


class OrganisationRow(Shape):
    id: int
    name: str
    inn: str | None
    kpp: str | None
    responsible: NamedRef | None
    phones: list[str]
    emails: list[str]
    contacts_count: int
    open_deals_count: int
    created_at: Timestamp
    custom_fields: dict[str, Any]
    version: int


class OrganisationPage(Shape):
    items: list[OrganisationRow]
    next_cursor: str | None


class OrganisationContact(Shape):
    id: int
    name: str
    position: str


class OrganisationWarning(Shape):
    """Saved anyway, but worth a look: another organisation has this INN (`organisation` is
    null when the reader may not see it)."""

    field: str
    type: str
    organisation: NamedRef | None


class OrganisationDetail(Shape):
    id: int
    name: str
    inn: str | None
    kpp: str | None
    ogrn: str | None
    legal_address: str
    actual_address: str
    phones: list[str]
    emails: list[str]
    site: str
    responsible: NamedRef | None
    custom_fields: dict[str, Any]
    created_at: Timestamp
    updated_at: Timestamp
    version: int
    contacts: list[OrganisationContact]
    deals: list[DealCard]
    warnings: list[OrganisationWarning] = Field(default_factory=list)


@dataclass(frozen=True)
class OrganisationFilter:
    q: str | None = None
    inn: str | None = None
    responsible_id: int | None = None
    # Cleaned `cf.<key>` filters (hub/queries/custom_filters.clean_filters).
    custom: Sequence[tuple[FieldRule, Any]] = field(default_factory=tuple)


def _ref(row_id: int | None, name: str | None) -> dict[str, Any] | None:
    return None if row_id is None else {"id": row_id, "name": name or ""}


def _sort(sort: SortName, descending: bool) -> Sort:
    column = Organisation.name_key if sort == "name" else Organisation.created_at
    return Sort(column, Organisation.id, descending)


def _cursor(sort: SortName, cursor: str) -> tuple[Any, int]:
    value, row_id = decode_cursor(cursor)
    expected = str if sort == "name" else datetime
    if not isinstance(value, expected):
        # A cursor of another sort: refused like any cursor this list did not give out.
        raise InvalidInput(
            [
                {
                    "field": "cursor",
                    "location": "query",
                    "type": "bad-cursor",
                    "message": "not a cursor of this sort",
                }
            ]
        )
    return value, row_id


def _filtered(stmt: Any, dialect: str, view: CrmView, where: OrganisationFilter) -> Any:
    stmt = stmt.where(view.where(Organisation.responsible_user_id))
    q = (where.q or "").strip()
    if _INN_QUERY.match(q):
        stmt = stmt.where(Organisation.inn == q)
    elif q:
        prefix = search_key(q)
        stmt = stmt.where(
            Organisation.name_key >= prefix, Organisation.name_key < prefix + _LAST_CHAR
        )
    if where.inn is not None:
        stmt = stmt.where(Organisation.inn == where.inn)
    if where.responsible_id is not None:
        stmt = stmt.where(Organisation.responsible_user_id == where.responsible_id)
    for rule, value in where.custom:
        stmt = stmt.where(custom_condition(dialect, Organisation.custom_fields, rule, value))
    return stmt


def open_deals_condition() -> Any:
    return and_(Deal.closed_at.is_(None), Stage.outcome == "open")


async def _counts(
    session: AsyncSession, view: CrmView, ids: list[int]
) -> tuple[dict[int, int], dict[int, int]]:
    """Contacts and open deals of every organisation of a page, in two grouped queries."""
    if not ids:
        return {}, {}
    contacts = await session.execute(
        select(ContactOrganisation.organisation_id, func.count())
        .join(Contact, Contact.id == ContactOrganisation.contact_id)
        .where(
            ContactOrganisation.organisation_id.in_(ids),
            Contact.merged_into_id.is_(None),
            view.where(Contact.responsible_user_id),
        )
        .group_by(ContactOrganisation.organisation_id)
    )
    deals = await session.execute(
        select(Deal.organisation_id, func.count())
        .join(Stage, Stage.id == Deal.stage_id)
        .where(
            Deal.organisation_id.in_(ids),
            open_deals_condition(),
            view.where(Deal.responsible_user_id),
        )
        .group_by(Deal.organisation_id)
    )
    return (
        {org_id: count for org_id, count in contacts},
        {org_id: count for org_id, count in deals if org_id is not None},
    )


async def list_organisations(
    session: AsyncSession,
    view: CrmView,
    *,
    dialect: str,
    where: OrganisationFilter,
    sort: SortName = "name",
    descending: bool = False,
    cursor: str | None = None,
    limit: int = 50,
) -> OrganisationPage:
    order = _sort(sort, descending)
    stmt: Any = select(Organisation, User.id, User.name).outerjoin(
        User, User.id == Organisation.responsible_user_id
    )
    stmt = _filtered(stmt, dialect, view, where)
    if cursor is not None:
        stmt = stmt.where(order.after(_cursor(sort, cursor)))
    rows = (await session.execute(order.order(stmt).limit(limit + 1))).all()
    page, next_cursor = keyset_page(
        [org for org, _, _ in rows],
        limit,
        (lambda o: o.name_key) if sort == "name" else (lambda o: o.created_at),
    )
    responsible = {org.id: _ref(uid, uname) for org, uid, uname in rows}
    contacts, deals = await _counts(session, view, [org.id for org in page])
    items = [
        OrganisationRow.model_validate(
            {
                "id": org.id,
                "name": org.name,
                "inn": org.inn,
                "kpp": org.kpp,
                "responsible": responsible[org.id],
                "phones": list(org.phones or []),
                "emails": list(org.emails or []),
                "contacts_count": contacts.get(org.id, 0),
                "open_deals_count": deals.get(org.id, 0),
                "created_at": iso(org.created_at),
                "custom_fields": org.custom_fields or {},
                "version": org.version,
            }
        )
        for org in page
    ]
    return OrganisationPage(items=items, next_cursor=next_cursor)


async def organisation_deals(
    session: AsyncSession, view: CrmView, organisation: Organisation, now: datetime
) -> list[DealCard]:
    """The organisation's deals the reader may see, newest first, in one query."""
    stmt = (
        card_select()
        .where(Deal.organisation_id == organisation.id, view.where(Deal.responsible_user_id))
        .order_by(Deal.created_at.desc(), Deal.id.desc())
    )
    return cards(await card_rows(session, stmt), now)


async def organisation_detail(
    session: AsyncSession, view: CrmView, organisation_id: int, now: datetime
) -> OrganisationDetail | None:
    """The card, or None when there is no such organisation or the reader may not see it."""
    head = (
        await session.execute(
            select(Organisation, User.id, User.name)
            .outerjoin(User, User.id == Organisation.responsible_user_id)
            .where(Organisation.id == organisation_id)
        )
    ).one_or_none()
    if head is None:
        return None
    organisation, user_id, user_name = head
    if not view.sees(organisation.responsible_user_id):
        return None
    contacts = await session.execute(
        select(Contact.id, Contact.name, ContactOrganisation.position)
        .join(ContactOrganisation, ContactOrganisation.contact_id == Contact.id)
        .where(
            ContactOrganisation.organisation_id == organisation_id,
            Contact.merged_into_id.is_(None),
            view.where(Contact.responsible_user_id),
        )
        .order_by(Contact.name_key, Contact.id)
    )
    return OrganisationDetail.model_validate(
        {
            "id": organisation.id,
            "name": organisation.name,
            "inn": organisation.inn,
            "kpp": organisation.kpp,
            "ogrn": organisation.ogrn,
            "legal_address": organisation.legal_address,
            "actual_address": organisation.actual_address,
            "phones": list(organisation.phones or []),
            "emails": list(organisation.emails or []),
            "site": organisation.site,
            "responsible": _ref(user_id, user_name),
            "custom_fields": organisation.custom_fields or {},
            "created_at": iso(organisation.created_at),
            "updated_at": iso(organisation.updated_at),
            "version": organisation.version,
            "contacts": [
                {"id": cid, "name": name, "position": position} for cid, name, position in contacts
            ],
            "deals": await organisation_deals(session, view, organisation, now),
        }
    )


async def same_inn(
    session: AsyncSession, inn: str, but_not: int | None = None
) -> list[tuple[int, str, int | None]]:
    """(id, name, responsible) of the organisations holding this INN, oldest first."""
    stmt = select(Organisation.id, Organisation.name, Organisation.responsible_user_id).where(
        Organisation.inn == inn
    )
    if but_not is not None:
        stmt = stmt.where(Organisation.id != but_not)
    rows = await session.execute(stmt.order_by(Organisation.id).limit(5))
    return [(i, n, r) for i, n, r in rows]
