"""The lists on a contact's card: its phones and e-mails (identities, unique per kind and
value across contacts) and the organisations it works for."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from hub.models import Contact, ContactOrganisation, Identity, IdentityKind, Organisation
from hub.policy import Actor
from hub.queries.crm_access import crm_view

from .uow import UnitOfWork


@dataclass(frozen=True)
class OrganisationLink:
    organisation_id: int
    position: str = ""


def problem(field_name: str, error_type: str, message: str) -> dict[str, str]:
    return {"field": field_name, "location": "body", "type": error_type, "message": message}


async def check_organisations(
    uow: UnitOfWork,
    actor: Actor,
    links: Sequence[OrganisationLink],
    errors: list[dict[str, str]],
    contact_id: int | None,
) -> dict[int, str]:
    """{organisation id: position} as given; each must exist and be in the actor's view,
    unless the contact works there already (its card shows every organisation of it)."""
    ids = sorted({link.organisation_id for link in links})
    view = await crm_view(uow.session, actor)
    rows = await uow.session.execute(
        select(Organisation.id).where(
            Organisation.id.in_(ids), view.where(Organisation.responsible_user_id)
        )
    )
    seen = set(rows.scalars())
    if contact_id is not None:
        linked = await uow.session.execute(
            select(ContactOrganisation.organisation_id).where(
                ContactOrganisation.contact_id == contact_id
            )
        )
        seen |= set(linked.scalars())
    result: dict[int, str] = {}
    for index, link in enumerate(links):
        if link.organisation_id not in seen:
            errors.append(
                problem(
                    f"organisations.{index}.id",
                    "no-such-organisation",
                    "There is no such organisation.",
                )
            )
        result[link.organisation_id] = link.position.strip()
    return result


async def replace_identities(
    uow: UnitOfWork,
    actor: Actor,
    contact: Contact,
    kind: IdentityKind,
    wanted: list[tuple[int, str, str]],
    field_name: str,
    warning: str,
) -> list[dict[str, Any]]:
    """The contact's identities of this kind become `wanted`, but for values another contact
    holds: those stay theirs and come back as warnings."""
    values = [value for _, value, _ in wanted]
    await uow.session.execute(
        delete(Identity).where(
            Identity.contact_id == contact.id,
            Identity.kind == kind,
            Identity.value.not_in(values),
        )
    )
    if wanted:
        insert = postgresql.insert if uow.hub.db.dialect == "postgresql" else sqlite.insert
        rows = [
            {
                "contact_id": contact.id,
                "kind": kind,
                "value": value,
                "raw": raw[:320],
                "created_at": uow.now(),
            }
            for _, value, raw in wanted
        ]
        # Held by someone else (even by a concurrent edit): not attached, reported below.
        await uow.session.execute(
            insert(Identity).values(rows).on_conflict_do_nothing(index_elements=["kind", "value"])
        )
    if not wanted:
        return []
    holders = await uow.session.execute(
        select(Identity.value, Contact.id, Contact.name, Contact.responsible_user_id)
        .join(Contact, Contact.id == Identity.contact_id)
        .where(
            tuple_(Identity.kind, Identity.value).in_([(kind.value, v) for v in values]),
            Identity.contact_id != contact.id,
        )
    )
    view = await crm_view(uow.session, actor)
    index_of = {value: index for index, value, _ in wanted}
    warnings = []
    for value, other_id, other_name, other_owner in holders:
        # Whose it is is said only to those who may see that contact.
        visible = view.sees(other_owner)
        warnings.append(
            {
                "field": f"{field_name}.{index_of[value]}",
                "type": warning,
                "value": value,
                "contact": {"id": other_id, "name": other_name} if visible else None,
            }
        )
    return sorted(warnings, key=lambda w: str(w["field"]))
