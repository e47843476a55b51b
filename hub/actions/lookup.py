"""The row a use case acts on, or the `NotFound` its caller is shown (rule 9)."""

from __future__ import annotations

from typing import TypeVar

from hub.models import Base, Contact
from hub.policy import NotFound

from .uow import UnitOfWork

RowT = TypeVar("RowT", bound=Base)


async def row(uow: UnitOfWork, model: type[RowT], row_id: int, what: str) -> RowT:
    """`what` names the row in the error: no-such-team, no-such-user, no-such-lead."""
    found = await uow.session.get(model, row_id)
    if found is None:
        raise NotFound(f"no-such-{what}", f"There is no such {what}.", {"id": row_id})
    return found


async def visible_contact(uow: UnitOfWork, contact_id: int) -> Contact:
    """A contact merged into another one is gone from view: its survivor is shown instead."""
    contact = await uow.session.get(Contact, contact_id)
    if contact is None:
        raise NotFound("no-such-contact", "There is no such contact.", {"contact_id": contact_id})
    if contact.merged_into_id is not None:
        raise NotFound(
            "contact-merged",
            "This contact was merged into another one.",
            {"contact_id": contact_id, "merged_into_id": contact.merged_into_id},
        )
    return contact
