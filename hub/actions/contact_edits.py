"""Creating and editing contacts from the card: checked, versioned, nothing partly written.

An edit names the version it started from; a stale one is a 409 with the current card. Phones
are normalised (one nobody can parse is kept as written and shown as unparsed, never lost),
e-mails checked; a phone or e-mail another contact already holds is not attached, and the
answer warns with that contact (identities are unique per kind and value). Organisations are
replaced as given, with positions; custom values are cleaned against their definitions.
Whatever is wrong is reported per field at once, before anything is written.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from hub.core import Hub
from hub.custom_values import clean_custom_values
from hub.events import Audience, ContactChanged
from hub.models import (
    Contact,
    ContactOrganisation,
    ContactStatus,
    CrmEntity,
    IdentityKind,
    User,
)
from hub.policy import (
    Actor,
    InvalidInput,
    ensure_can_edit_record,
    ensure_contact_in_view,
    ensure_contact_visible,
    stale_version,
    user_id_of,
)
from hub.queries import contact_card
from hub.queries.contacts import SYSTEM_KEYS, UNPARSED_PHONES, public_custom_fields
from hub.queries.crm_access import crm_audience, crm_view, mates_of
from hub.queries.custom_fields import field_rules
from routing.identity import normalise_email, normalise_phone

from . import contact_lists
from .contact_lists import OrganisationLink, problem
from .uow import UnitOfWork, unit_of_work


class Unset(enum.Enum):
    """A field the request did not mention: left as it is."""

    UNSET = "unset"


UNSET = Unset.UNSET


@dataclass(frozen=True, kw_only=True)
class ContactEdit:
    """What a create or an edit sets; UNSET leaves a field alone (a create fills defaults).
    `phones`, `emails` and `organisations`, when given, replace the whole list."""

    name: str | Unset = UNSET
    status: ContactStatus | Unset = UNSET
    phones: Sequence[str] | Unset = UNSET
    emails: Sequence[str] | Unset = UNSET
    organisations: Sequence[OrganisationLink] | Unset = UNSET
    responsible_id: int | Unset | None = UNSET
    source: str | Unset = UNSET
    next_contact_at: datetime | Unset | None = UNSET
    custom_fields: Mapping[str, Any] | Unset = UNSET


@dataclass(frozen=True)
class Saved:
    contact_id: int
    version: int
    # [{field: "phones.0", type: "duplicate-phone", contact: {id, name} | null}]
    warnings: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Clean:
    """The edit checked and normalised, ready to write."""

    phones: list[tuple[int, str, str]] | None  # (index given, E.164, raw)
    unparsed: list[str] | None
    emails: list[tuple[int, str, str]] | None
    organisations: dict[int, str] | None
    custom_fields: dict[str, Any] | None


async def create_contact(hub: Hub, actor: Actor, edit: ContactEdit) -> Saved:
    """A new contact; its responsible manager is the person creating it unless named."""
    async with unit_of_work(hub) as uow:
        if isinstance(edit.responsible_id, Unset):
            edit = replace(edit, responsible_id=user_id_of(actor))
        errors: list[dict[str, str]] = []
        if isinstance(edit.name, Unset) or not edit.name.strip():
            errors.append(problem("name", "missing", "A contact needs a name."))
        clean = await _check(uow, actor, edit, None, errors)
        now = uow.now()
        contact = Contact(
            name="",
            status=ContactStatus.client,
            source="",
            custom_fields={},
            created_at=now,
            updated_at=now,
            version=1,
        )
        _apply(contact, edit, clean)
        uow.session.add(contact)
        await uow.session.flush()
        warnings = await _write_lists(uow, actor, contact, clean)
        await announce_contact(uow, contact, "created", None)
        return Saved(contact.id, contact.version, warnings)


async def update_contact(
    hub: Hub, actor: Actor, contact_id: int, version: int, edit: ContactEdit
) -> Saved:
    async with unit_of_work(hub) as uow:
        contact = await _editable(uow, actor, contact_id)
        if contact.version != version:
            card = await contact_card(uow.session, contact.id)
            raise stale_version(
                "contact",
                contact.id,
                contact.version,
                card.model_dump(mode="json") if card else None,
            )
        errors: list[dict[str, str]] = []
        if isinstance(edit.name, str) and not edit.name.strip():
            errors.append(problem("name", "missing", "A contact needs a name."))
        clean = await _check(uow, actor, edit, contact, errors)
        before = contact.responsible_user_id
        _apply(contact, edit, clean)
        warnings = await _write_lists(uow, actor, contact, clean)
        contact.version += 1
        contact.updated_at = uow.now()
        await uow.session.flush()
        await announce_contact(uow, contact, "updated", before)
        return Saved(contact.id, contact.version, warnings)


def _apply(contact: Contact, edit: ContactEdit, clean: _Clean) -> None:
    """The plain fields of the edit onto the row (the lists are written by `_write_lists`)."""
    if isinstance(edit.name, str):
        contact.name = edit.name.strip()
    if not isinstance(edit.status, Unset):
        contact.status = edit.status
    if not isinstance(edit.responsible_id, Unset):
        contact.responsible_user_id = edit.responsible_id
    if not isinstance(edit.source, Unset):
        contact.source = edit.source.strip()
    if not isinstance(edit.next_contact_at, Unset):
        contact.next_contact_at = edit.next_contact_at
    if clean.custom_fields is not None:
        contact.custom_fields = clean.custom_fields


async def _editable(uow: UnitOfWork, actor: Actor, contact_id: int) -> Contact:
    """The contact, locked: 404 when missing, merged away or outside the actor's view,
    403 when the actor may see but not change it."""
    contact = (
        await uow.session.execute(select(Contact).where(Contact.id == contact_id).with_for_update())
    ).scalar_one_or_none()
    ensure_contact_visible(
        contact_id, contact is not None, None if contact is None else contact.merged_into_id
    )
    assert contact is not None
    view = await crm_view(uow.session, actor)
    ensure_contact_in_view(contact_id, view.sees(contact.responsible_user_id))
    mates = await mates_of(uow.session, actor)
    ensure_can_edit_record(actor, contact.responsible_user_id, mates)
    return contact


async def _check(
    uow: UnitOfWork,
    actor: Actor,
    edit: ContactEdit,
    contact: Contact | None,
    errors: list[dict[str, str]],
) -> _Clean:
    """Every field checked and normalised; raises InvalidInput listing all that is wrong."""
    region = uow.hub.settings.default_region
    phones: list[tuple[int, str, str]] | None = None
    unparsed: list[str] | None = None
    emails: list[tuple[int, str, str]] | None = None
    if not isinstance(edit.phones, Unset):
        phones, unparsed = [], []
        for index, raw in enumerate(edit.phones):
            text = raw.strip()
            if not text:
                continue
            value = normalise_phone(text, region)
            if value is None:
                if text not in unparsed:
                    unparsed.append(text)
            elif all(value != known for _, known, _ in phones):
                phones.append((index, value, text))
    if not isinstance(edit.emails, Unset):
        emails = []
        for index, raw in enumerate(edit.emails):
            if not raw.strip():
                continue
            value = normalise_email(raw)
            if value is None:
                errors.append(
                    problem(f"emails.{index}", "invalid-email", "This is not an e-mail address.")
                )
            elif all(value != known for _, known, _ in emails):
                emails.append((index, value, raw.strip()))
    organisations = None
    if not isinstance(edit.organisations, Unset):
        organisations = await contact_lists.check_organisations(
            uow, actor, edit.organisations, errors, None if contact is None else contact.id
        )
    if isinstance(edit.responsible_id, int):
        user = await uow.session.get(User, edit.responsible_id)
        if user is None or not user.is_active:
            errors.append(
                problem("responsible_id", "no-such-user", "There is no such active user.")
            )
    custom = None
    if not isinstance(edit.custom_fields, Unset) or contact is None:
        given = {} if isinstance(edit.custom_fields, Unset) else dict(edit.custom_fields)
        current = None if contact is None else public_custom_fields(contact.custom_fields)
        rules = await field_rules(uow.session, CrmEntity.contact)
        try:
            cleaned = clean_custom_values(rules, given, current)
        except InvalidInput as bad:
            errors += bad.details
            cleaned = {}
        kept = (contact.custom_fields or {}) if contact is not None else {}
        custom = {**{k: v for k, v in kept.items() if k in SYSTEM_KEYS}, **cleaned}
    if errors:
        raise InvalidInput(errors)
    return _Clean(phones, unparsed, emails, organisations, custom)


async def _write_lists(
    uow: UnitOfWork, actor: Actor, contact: Contact, clean: _Clean
) -> list[dict[str, Any]]:
    warnings: list[dict[str, Any]] = []
    if clean.phones is not None:
        warnings += await contact_lists.replace_identities(
            uow, actor, contact, IdentityKind.phone, clean.phones, "phones", "duplicate-phone"
        )
        fields = dict(contact.custom_fields or {})
        fields.pop(UNPARSED_PHONES, None)
        if clean.unparsed:
            fields[UNPARSED_PHONES] = clean.unparsed
        contact.custom_fields = fields
    if clean.emails is not None:
        warnings += await contact_lists.replace_identities(
            uow, actor, contact, IdentityKind.email, clean.emails, "emails", "duplicate-email"
        )
    if clean.organisations is not None:
        await uow.session.execute(
            delete(ContactOrganisation).where(ContactOrganisation.contact_id == contact.id)
        )
        uow.session.add_all(
            ContactOrganisation(contact_id=contact.id, organisation_id=org_id, position=position)
            for org_id, position in clean.organisations.items()
        )
    await uow.session.flush()
    return warnings


async def announce_contact(
    uow: UnitOfWork, contact: Contact, change: str, before: int | None
) -> None:
    """Tell whoever may see the contact now, and those who saw it before a hand-over."""
    audience = await crm_audience(uow.session, contact.responsible_user_id)
    if before != contact.responsible_user_id and before is not None:
        old = await crm_audience(uow.session, before)
        audience = Audience(users=audience.users | old.users, roles=audience.roles | old.roles)
    uow.emit(
        ContactChanged(
            audience=audience, contact_id=contact.id, version=contact.version, change=change
        )
    )
