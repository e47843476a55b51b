"""Organisations: created and edited by the people who work with them.

Entry points take the actor: `create_organisation`, `update_organisation` (with the version
the edit started from; a stale one is a 409 carrying the current card). Everything given is
checked before anything is written, and every problem is reported at once, per field: the
requisites (hub/requisites), each phone (normalised to E.164 with the default region; one
that does not parse is an error here, an organisation is not a sender to keep raw), each
e-mail (lower-cased), the responsible manager (an active user), the custom fields (by their
definitions). Another organisation with the same INN is a warning in the answer, not an error:
branches and re-registrations share one.

Who may: an organisation outside the actor's view is "not found"; editing needs the
responsible manager, his supervisor or an admin (`ensure_can_edit_record`). Whoever may
edit an organisation may hand it to any active colleague, and whoever creates one may name
its manager: the same rule as for contacts and deals (a manager passes his client on, as in
Bitrix24 and amoCRM), so the three registries never disagree on who may reassign. Each write
emits `organisation.changed` to whoever may see the organisation before and after.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from hub.auth import Principal
from hub.core import Hub
from hub.custom_values import clean_custom_values
from hub.events import Audience, OrganisationChanged
from hub.models import CrmEntity, Organisation, User
from hub.policy import (
    Actor,
    InvalidInput,
    NotFound,
    ensure_can_edit_record,
    stale_version,
    user_id_of,
)
from hub.queries.crm_access import CrmView, crm_audience, crm_view, team_mates
from hub.queries.custom_fields import field_rules
from hub.queries.organisations import organisation_detail, same_inn
from hub.requisites import clean_requisite, requisite_problems
from routing.identity import normalise_email, normalise_phone

from .keep import KEEP, Keep
from .uow import UnitOfWork, unit_of_work

Problem = dict[str, str]


@dataclass(frozen=True)
class SavedOrganisation:
    organisation: Organisation
    # [{"field": "inn", "type": "duplicate-inn", "organisation": {"id", "name"} | None}]
    warnings: list[dict[str, Any]] = field(default_factory=list)


def _problem(field_name: str, error_type: str, message: str) -> Problem:
    return {"field": field_name, "location": "body", "type": error_type, "message": message}


def _phones(raw: Sequence[str], region: str, errors: list[Problem]) -> list[str]:
    found: list[str] = []
    for index, text in enumerate(raw):
        phone = normalise_phone(text, region)
        if phone is None:
            errors.append(
                _problem(f"phones.{index}", "invalid-phone", f"{text!r} is not a phone number")
            )
        elif phone not in found:
            found.append(phone)
    return found


def _emails(raw: Sequence[str], errors: list[Problem]) -> list[str]:
    found: list[str] = []
    for index, text in enumerate(raw):
        email = normalise_email(text)
        if email is None:
            errors.append(
                _problem(f"emails.{index}", "invalid-email", f"{text!r} is not an e-mail address")
            )
        elif email not in found:
            found.append(email)
    return found


async def _check_responsible(uow: UnitOfWork, user_id: int | None, errors: list[Problem]) -> None:
    if user_id is None:
        return
    user = await uow.session.get(User, user_id)
    if user is None or not user.is_active:
        errors.append(_problem("responsible_id", "no-such-user", "There is no such active user."))


async def _mates(uow: UnitOfWork, actor: Actor) -> frozenset[int]:
    if isinstance(actor, Principal):
        return await team_mates(uow.session, actor.user_id)
    return frozenset()


async def _duplicates(
    uow: UnitOfWork, view: CrmView, inn: str | None, organisation_id: int | None
) -> list[dict[str, Any]]:
    if inn is None:
        return []
    return [
        {
            "field": "inn",
            "type": "duplicate-inn",
            # Not named to someone who may not see it: it might as well not exist for them.
            "organisation": {"id": other_id, "name": name} if view.sees(responsible) else None,
        }
        for other_id, name, responsible in await same_inn(uow.session, inn, organisation_id)
    ]


async def _audience(uow: UnitOfWork, *responsible_ids: int | None) -> Audience:
    users: frozenset[int] = frozenset()
    roles: frozenset[Any] = frozenset()
    for responsible in dict.fromkeys(responsible_ids):
        audience = await crm_audience(uow.session, responsible)
        users, roles = users | audience.users, roles | audience.roles
    return Audience(users=users, roles=roles)


@dataclass
class _Changes:
    """The checked values of what an edit gives (KEEP: not given)."""

    values: dict[str, Any]
    errors: list[Problem]


def _check_plain(
    region: str,
    *,
    name: str | Keep,
    inn: str | Keep | None,
    kpp: str | Keep | None,
    ogrn: str | Keep | None,
    legal_address: str | Keep,
    actual_address: str | Keep,
    phones: Sequence[str] | Keep,
    emails: Sequence[str] | Keep,
    site: str | Keep,
) -> _Changes:
    values: dict[str, Any] = {}
    errors: list[Problem] = []
    if name is not KEEP:
        values["name"] = " ".join(name.split())
        if not values["name"]:
            errors.append(_problem("name", "name-blank", "The name must not be blank"))
    requisites = {"inn": inn, "kpp": kpp, "ogrn": ogrn}
    for key, value in requisites.items():
        if value is not KEEP:
            values[key] = clean_requisite(value)
    errors += requisite_problems(
        inn=values.get("inn"), kpp=values.get("kpp"), ogrn=values.get("ogrn")
    )
    for key, text in (
        ("legal_address", legal_address),
        ("actual_address", actual_address),
        ("site", site),
    ):
        if text is not KEEP:
            values[key] = text.strip()
    if phones is not KEEP:
        values["phones"] = _phones(phones, region, errors)
    if emails is not KEEP:
        values["emails"] = _emails(emails, errors)
    return _Changes(values, errors)


async def create_organisation(
    hub: Hub,
    actor: Actor,
    *,
    name: str,
    inn: str | None = None,
    kpp: str | None = None,
    ogrn: str | None = None,
    legal_address: str = "",
    actual_address: str = "",
    phones: Sequence[str] = (),
    emails: Sequence[str] = (),
    site: str = "",
    responsible_id: int | Keep | None = KEEP,
    custom_fields: Mapping[str, Any] | None = None,
) -> SavedOrganisation:
    """A new organisation; without `responsible_id` the person creating it is responsible."""
    responsible = user_id_of(actor) if responsible_id is KEEP else responsible_id
    checked = _check_plain(
        hub.settings.default_region,
        name=name,
        inn=inn,
        kpp=kpp,
        ogrn=ogrn,
        legal_address=legal_address,
        actual_address=actual_address,
        phones=phones,
        emails=emails,
        site=site,
    )
    async with unit_of_work(hub) as uow:
        errors = checked.errors
        await _check_responsible(uow, responsible, errors)
        rules = await field_rules(uow.session, CrmEntity.organisation)
        try:
            custom = clean_custom_values(rules, custom_fields or {}, None)
        except InvalidInput as bad:
            errors += bad.details
        if errors:
            raise InvalidInput(errors)
        now = uow.now()
        organisation = Organisation(
            **checked.values,
            responsible_user_id=responsible,
            custom_fields=custom,
            created_at=now,
            updated_at=now,
            version=1,
        )
        uow.session.add(organisation)
        await uow.session.flush()
        view = await crm_view(uow.session, actor)
        warnings = await _duplicates(uow, view, organisation.inn, organisation.id)
        uow.emit(
            OrganisationChanged(
                audience=await _audience(uow, responsible),
                organisation_id=organisation.id,
                version=organisation.version,
                change="created",
            )
        )
    return SavedOrganisation(organisation, warnings)


async def update_organisation(
    hub: Hub,
    actor: Actor,
    organisation_id: int,
    version: int,
    *,
    name: str | Keep = KEEP,
    inn: str | Keep | None = KEEP,
    kpp: str | Keep | None = KEEP,
    ogrn: str | Keep | None = KEEP,
    legal_address: str | Keep = KEEP,
    actual_address: str | Keep = KEEP,
    phones: Sequence[str] | Keep = KEEP,
    emails: Sequence[str] | Keep = KEEP,
    site: str | Keep = KEEP,
    responsible_id: int | Keep | None = KEEP,
    custom_fields: Mapping[str, Any] | Keep = KEEP,
) -> SavedOrganisation:
    """Changes what is given (phones and e-mails given replace the lists; custom fields given
    are merged into the record's, a blank value removing one)."""
    checked = _check_plain(
        hub.settings.default_region,
        name=name,
        inn=inn,
        kpp=kpp,
        ogrn=ogrn,
        legal_address=legal_address,
        actual_address=actual_address,
        phones=phones,
        emails=emails,
        site=site,
    )
    async with unit_of_work(hub) as uow:
        stmt = select(Organisation).where(Organisation.id == organisation_id)
        if hub.db.dialect == "postgresql":
            stmt = stmt.with_for_update()
        organisation = (await uow.session.execute(stmt)).scalar_one_or_none()
        view = await crm_view(uow.session, actor)
        if organisation is None or not view.sees(organisation.responsible_user_id):
            raise NotFound(
                "no-such-organisation", "There is no such organisation.", {"id": organisation_id}
            )
        mates = await _mates(uow, actor)
        before = organisation.responsible_user_id
        ensure_can_edit_record(actor, before, mates)
        if organisation.version != version:
            current = await organisation_detail(uow.session, view, organisation_id, uow.now())
            raise stale_version(
                "organisation",
                organisation_id,
                organisation.version,
                current.model_dump(mode="json") if current is not None else None,
            )
        errors = checked.errors
        values = dict(checked.values)
        if responsible_id is not KEEP:
            await _check_responsible(uow, responsible_id, errors)
            values["responsible_user_id"] = responsible_id
        if custom_fields is not KEEP:
            rules = await field_rules(uow.session, CrmEntity.organisation)
            try:
                values["custom_fields"] = clean_custom_values(
                    rules, custom_fields, organisation.custom_fields or {}
                )
            except InvalidInput as bad:
                errors += bad.details
        if errors:
            raise InvalidInput(errors)
        for column, value in values.items():
            setattr(organisation, column, value)
        organisation.version = version + 1
        organisation.updated_at = uow.now()
        await uow.session.flush()
        warnings = (
            await _duplicates(uow, view, organisation.inn, organisation.id)
            if "inn" in values
            else []
        )
        uow.emit(
            OrganisationChanged(
                audience=await _audience(uow, before, organisation.responsible_user_id),
                organisation_id=organisation.id,
                version=organisation.version,
                change="updated",
            )
        )
    return SavedOrganisation(organisation, warnings)
