"""Set-up for the CRM API tests: contacts, organisations, teams, custom fields and scopes,
written through the actions (or plainly, for definitions other helpers own)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from typing import Any

from hub.actions import contact_edits, crm, crm_visibility, unit_of_work
from hub.actions.contact_edits import ContactEdit
from hub.actions.contact_lists import OrganisationLink
from hub.actions.teams import create_team
from hub.models import ContactStatus, CustomField, Role, VisibilityScope
from hub.policy import SystemActor

from .conftest import Api

SETUP = SystemActor("test set-up")


async def add_contact(
    api: Api,
    name: str,
    *,
    at: datetime | None = None,
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    responsible: str | None = None,
    status: ContactStatus = ContactStatus.client,
    source: str = "",
    next_contact_at: datetime | None = None,
    organisations: Sequence[tuple[int, str]] = (),
    custom_fields: dict[str, Any] | None = None,
) -> int:
    """A contact created as Okno itself would, `at` a given moment (its created_at)."""
    hub = api.hub if at is None else replace(api.hub, clock=lambda: at)
    saved = await contact_edits.create_contact(
        hub,
        SETUP,
        ContactEdit(
            name=name,
            status=status,
            phones=phones,
            emails=emails,
            organisations=[OrganisationLink(org, position) for org, position in organisations],
            responsible_id=api.users[responsible].id if responsible else None,
            source=source,
            next_contact_at=next_contact_at,
            custom_fields=custom_fields or {},
        ),
    )
    assert saved.warnings == []
    return saved.contact_id


async def add_organisation(
    api: Api, name: str, inn: str | None = None, responsible: str | None = None
) -> int:
    async with unit_of_work(api.hub) as uow:
        organisation = await crm.create_organisation(
            uow, name, inn, api.users[responsible].id if responsible else None
        )
        return organisation.id


async def add_custom_field(api: Api, key: str, label: str, kind: str, **extra: Any) -> None:
    async with unit_of_work(api.hub) as uow:
        uow.session.add(CustomField(entity="contact", key=key, label=label, kind=kind, **extra))


async def add_team(api: Api, name: str, *logins: str) -> None:
    await create_team(api.hub, SETUP, name, member_ids=[api.users[x].id for x in logins])


async def set_scope(api: Api, role: Role, scope: VisibilityScope) -> None:
    await crm_visibility.set_visibility(api.hub, SETUP, {role: scope})
