"""The contacts registry: filters, search, sorting and keyset paging over a million rows.

`q` is read the way a manager types it: a phone in any spelling ("8 (916) 555-12-34") is
looked up in the identities index, anything with "@" as an e-mail, 10 or 12 digits as the
INN of an organisation the contact works for (and as a phone, if it is one), anything else
as a name. Names are matched on `name_key` (case-folded, ё as е): by prefix as a range on
its index (`match=prefix`, the fast path), or anywhere in the name (`contains`, the
search the API always had). Every row is assembled set-based: the page, then its identities
and its organisations, one query each, whatever the page size.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal, cast

from sqlalchemy import ColumnElement, Select, and_, exists, func, literal, select, union
from sqlalchemy.ext.asyncio import AsyncSession

from hub.custom_values import FieldRule
from hub.models import (
    Contact,
    ContactOrganisation,
    ContactStatus,
    Identity,
    IdentityKind,
    Organisation,
    User,
)
from hub.models.base import UtcDateTime
from hub.models.crm import search_key
from routing.identity import normalise_email, normalise_phone

from .contacts import contact_rows
from .crm_access import CrmView
from .custom_filters import custom_condition
from .keyset import Sort, decode_cursor, keyset_page
from .shapes import ContactRow

# Contacts without a next-contact date sort after every dated one (and the cursor agrees).
NO_NEXT_CONTACT = datetime(9999, 12, 31, tzinfo=UTC)
_INN = re.compile(r"^(\d{10}|\d{12})$")

SortKey = Literal["name", "created_at", "updated_at", "next_contact_at"]
NameMatch = Literal["contains", "prefix"]


@dataclass(frozen=True)
class ContactFilter:
    q: str | None = None
    match: NameMatch = "contains"
    phone: str | None = None  # normalised
    email: str | None = None  # normalised
    status: ContactStatus | None = None
    responsible_id: int | None = None
    organisation_id: int | None = None
    source: str | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None  # exclusive
    # (rule, clean value) from custom_filters.clean_filters
    custom: Sequence[tuple[FieldRule, Any]] = field(default_factory=tuple)
    before_id: int | None = None  # the old paging: contacts older than this id


def default_descending(sort: SortKey) -> bool:
    """Dates newest first; names and the next-contact date in their natural order."""
    return sort in ("created_at", "updated_at")


def contact_sort(sort: SortKey, descending: bool) -> Sort:
    column: Any
    if sort == "name":
        column = Contact.name_key
    elif sort == "updated_at":
        column = Contact.updated_at
    elif sort == "next_contact_at":
        column = func.coalesce(Contact.next_contact_at, literal(NO_NEXT_CONTACT, UtcDateTime()))
    else:
        column = Contact.created_at
    return Sort(column, Contact.id, descending)


def _sort_value(contact: Contact, sort: SortKey) -> Any:
    if sort == "name":
        return contact.name_key
    if sort == "updated_at":
        return contact.updated_at
    if sort == "next_contact_at":
        return contact.next_contact_at or NO_NEXT_CONTACT
    return contact.created_at


def _key_upper_bound(key: str) -> str | None:
    """The smallest string greater than every string starting with `key` (code-point order,
    as SQLite and PostgreSQL's C collations compare)."""
    last = ord(key[-1])
    if last >= 0x10FFFF:
        return None
    return key[:-1] + chr(last + 1)


def name_condition(needle: str, match: NameMatch) -> ColumnElement[bool] | None:
    key = search_key(needle)
    if not key:
        return None
    if match == "prefix":
        upper = _key_upper_bound(key)
        lower = Contact.name_key >= key
        return lower if upper is None else and_(lower, Contact.name_key < upper)
    return Contact.name_key.contains(key, autoescape=True)


def _holding(kind: IdentityKind, value: str) -> Select[Any]:
    return select(Identity.contact_id).where(Identity.kind == kind, Identity.value == value)


def _of_inn(inn: str) -> Select[Any]:
    return (
        select(ContactOrganisation.contact_id)
        .join(Organisation, Organisation.id == ContactOrganisation.organisation_id)
        .where(Organisation.inn == inn)
    )


def q_condition(q: str, match: NameMatch, region: str) -> ColumnElement[bool] | None:
    """What `q` means (see the module's docstring), as a condition on `Contact`."""
    text = q.strip()
    if not text:
        return None
    if "@" in text:
        email = normalise_email(text) or text.lower()
        return Contact.id.in_(_holding(IdentityKind.email, email))
    phone = normalise_phone(text, region)
    if _INN.match(text):
        ids = _of_inn(text) if phone is None else union(_of_inn(text), _holding_phone(phone))
        return Contact.id.in_(ids)
    if phone is not None:
        return Contact.id.in_(_holding_phone(phone))
    return name_condition(text, match)


def _holding_phone(phone: str) -> Select[Any]:
    return _holding(IdentityKind.phone, phone)


def registry_conditions(
    flt: ContactFilter, view: CrmView, region: str, dialect: str
) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [
        # A contact merged into another is hidden until unmerged.
        Contact.merged_into_id.is_(None),
        view.where(Contact.responsible_user_id),
    ]
    if flt.q is not None:
        found = q_condition(flt.q, flt.match, region)
        if found is not None:
            conditions.append(found)
    if flt.phone is not None:
        conditions.append(Contact.id.in_(_holding_phone(flt.phone)))
    if flt.email is not None:
        conditions.append(Contact.id.in_(_holding(IdentityKind.email, flt.email)))
    if flt.status is not None:
        conditions.append(Contact.status == flt.status)
    if flt.responsible_id is not None:
        conditions.append(Contact.responsible_user_id == flt.responsible_id)
    if flt.organisation_id is not None:
        conditions.append(
            exists().where(
                ContactOrganisation.contact_id == Contact.id,
                ContactOrganisation.organisation_id == flt.organisation_id,
            )
        )
    if flt.source is not None:
        conditions.append(Contact.source == flt.source)
    if flt.created_from is not None:
        conditions.append(Contact.created_at >= flt.created_from)
    if flt.created_to is not None:
        conditions.append(Contact.created_at < flt.created_to)
    conditions += [
        custom_condition(dialect, Contact.custom_fields, rule, value) for rule, value in flt.custom
    ]
    if flt.before_id is not None:
        conditions.append(Contact.id < flt.before_id)
    return conditions


async def list_contacts(
    session: AsyncSession,
    flt: ContactFilter,
    view: CrmView,
    *,
    region: str,
    dialect: str,
    sort: SortKey,
    descending: bool,
    cursor: str | None,
    limit: int,
) -> tuple[list[ContactRow], str | None]:
    """One page of the registry and the cursor of the next (None on the last page)."""
    order = contact_sort(sort, descending)
    stmt = cast(
        "Select[Any]",
        select(Contact, User)
        .outerjoin(User, User.id == Contact.responsible_user_id)
        .where(*registry_conditions(flt, view, region, dialect)),
    )
    if cursor is not None:
        stmt = stmt.where(order.after(decode_cursor(cursor)))
    result = await session.execute(order.order(stmt).limit(limit + 1))
    rows = [(contact, owner) for contact, owner in result]
    page, next_cursor = keyset_page(
        [contact for contact, _ in rows], limit, lambda c: _sort_value(c, sort)
    )
    owners = {contact.id: owner for contact, owner in rows}
    return await contact_rows(session, [(c, owners[c.id]) for c in page]), next_cursor
