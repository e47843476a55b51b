"""The row a use case acts on, or the `NotFound` its caller is shown (rule 9)."""

from __future__ import annotations

from typing import TypeVar

from hub.models import Base, Contact
from hub.policy import NotFound, ensure_contact_visible

from .uow import UnitOfWork

RowT = TypeVar("RowT", bound=Base)


async def row(uow: UnitOfWork, model: type[RowT], row_id: int, what: str) -> RowT:
    """`what` names the row in the error: no-such-team, no-such-user, no-such-lead."""
    found = await uow.session.get(model, row_id)
    if found is None:
        raise NotFound(f"no-such-{what}", f"There is no such {what}.", {"id": row_id})
    return found


async def visible_contact(uow: UnitOfWork, contact_id: int) -> Contact:
    """The contact, unless it is missing or merged away (`ensure_contact_visible`)."""
    contact = await uow.session.get(Contact, contact_id)
    ensure_contact_visible(
        contact_id, contact is not None, None if contact is None else contact.merged_into_id
    )
    assert contact is not None  # ensure_contact_visible raised otherwise
    return contact
