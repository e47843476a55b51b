"""One row of an import through the use case a person would use (create_contact,
create_organisation, create_deal): a row with any bad field is skipped whole and reported by
row, column and reason; a duplicate is reported, not created. The job around it is
hub/actions/imports.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from hub.core import Hub
from hub.crm_io import rows as cells_of
from hub.crm_io.fields import (
    normalise,
)
from hub.crm_io.rows import Directory, Record
from hub.custom_values import clean_custom_values
from hub.models import CrmEntity, IdentityKind
from hub.policy import (
    Actor,
    DomainError,
    InvalidInput,
)
from hub.queries import imports as queries
from hub.queries.custom_fields import field_rules
from hub.requisites import clean_requisite
from routing.identity import find_contact

from . import contact_edits, deals
from . import organisations as organisation_actions
from .contact_lists import OrganisationLink
from .contacts import NormalisedIdentity
from .keep import KEEP

# A lost deal needs a reason; an old CRM's export often has none.
DEFAULT_LOSS_REASON = "Импорт: сделка проиграна в прежней CRM"


@dataclass
class Tally:
    created: int = 0
    duplicates: int = 0
    errors: int = 0
    lines: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class _Row:
    hub: Hub
    actor: Actor
    directory: Directory
    headers: Sequence[str]
    number: int
    record: Record

    def header(self, column: int | None) -> str:
        return self.headers[column] if column is not None and column < len(self.headers) else ""


class _Skip(Exception):
    """The row is skipped: its report lines are in `lines`."""

    def __init__(self, lines: list[dict[str, Any]], duplicate: bool = False) -> None:
        super().__init__("skipped")
        self.lines = lines
        self.duplicate = duplicate


def _problems(row: _Row) -> None:
    if row.record.problems:
        raise _Skip(
            [
                queries.report_line(row.number, row.header(p.column), p.reason, p.error_type)
                for p in row.record.problems
            ]
        )


def _refused(row: _Row, error: DomainError, fallback: str | None = None) -> _Skip:
    """A use case's refusal as report lines, each on the column it is about; a refusal
    naming no field (a 403: the responsible manager is outside the importer's teams) goes on
    the `fallback` column."""
    if isinstance(error, InvalidInput) and isinstance(error.details, list):
        return _Skip(
            [
                queries.report_line(
                    row.number,
                    row.header(
                        cells_of.column_of(row.record, str(d.get("field", "")))
                        if d.get("field")
                        else None
                    )
                    or (row.header(row.record.columns.get(fallback)) if fallback else ""),
                    str(d.get("message", "")),
                    str(d.get("type", "invalid")),
                )
                for d in error.details
            ]
        )
    column = row.record.columns.get(fallback) if fallback else None
    return _Skip(
        [queries.report_line(row.number, row.header(column), error.message, error.error_id)]
    )


def _duplicate(row: _Row, key: str, reason: str) -> _Skip:
    line = queries.report_line(
        row.number, row.header(row.record.columns.get(key)), reason, "duplicate"
    )
    return _Skip([line], duplicate=True)


async def _import_contact(row: _Row) -> None:
    record, region = row.record, row.directory.region
    name = cells_of.person_name(record)
    phones = cells_of.phones(record, region)
    emails = cells_of.emails(record)
    responsible = cells_of.responsible(record, row.directory)
    if not name:
        record.bad("name", "missing", "нет имени контакта")
    inn = clean_requisite(record.values.get("inn")) if record.values.get("inn") else None
    _problems(row)
    identities = [NormalisedIdentity(IdentityKind.phone, p, p) for p in phones]
    identities += [NormalisedIdentity(IdentityKind.email, e, e) for e in emails]
    async with row.hub.db.sessions() as session:
        known = await find_contact(session, identities)
        organisation = None
        org_name = str(record.values.get("organisation", ""))
        if inn:
            organisation = await queries.organisation_by_inn(session, inn)
        if organisation is None and org_name:
            organisation = await queries.organisation_by_name(session, org_name)
    if known is not None:
        key = "phone" if phones else "email"
        raise _duplicate(row, key, f"уже есть контакт №{known} с этим телефоном или e-mail")
    organisation_id = organisation.id if organisation is not None else None
    if organisation_id is None and org_name:
        # The contact's own values are checked first, so a bad one leaves no organisation
        # behind; the new organisation gets the contact's responsible manager.
        try:
            async with row.hub.db.sessions() as session:
                rules = await field_rules(session, CrmEntity.contact)
            clean_custom_values(rules, record.custom, None)
            saved_org = await organisation_actions.create_organisation(
                row.hub,
                row.actor,
                name=org_name,
                inn=inn,
                responsible_id=responsible if responsible is not None else KEEP,
            )
        except DomainError as error:
            raise _refused(row, error, "organisation") from None
        organisation_id = saved_org.organisation.id
    position = str(record.values.get("position", ""))
    edit = contact_edits.ContactEdit(
        name=name,
        phones=phones,
        emails=emails,
        organisations=[OrganisationLink(organisation_id, position)] if organisation_id else [],
        responsible_id=responsible if responsible is not None else contact_edits.UNSET,
        source=str(record.values.get("source", "")) or "import",
        custom_fields=record.custom,
    )
    try:
        await contact_edits.create_contact(row.hub, row.actor, edit)
    except DomainError as error:
        raise _refused(row, error, "responsible") from None


async def _import_organisation(row: _Row) -> None:
    record, values = row.record, row.record.values
    phones = cells_of.phones(record, row.directory.region)
    emails = cells_of.emails(record)
    responsible = cells_of.responsible(record, row.directory)
    name = " ".join(str(values.get("name", "")).split())
    if not name:
        record.bad("name", "missing", "нет названия организации")
    _problems(row)
    inn = clean_requisite(values.get("inn")) if values.get("inn") else None
    if inn:
        async with row.hub.db.sessions() as session:
            known = await queries.organisation_by_inn(session, inn)
        if known is not None:
            raise _duplicate(row, "inn", f"уже есть организация №{known.id} с этим ИНН")
    try:
        await organisation_actions.create_organisation(
            row.hub,
            row.actor,
            name=name,
            inn=inn,
            kpp=values.get("kpp"),
            ogrn=values.get("ogrn"),
            legal_address=str(values.get("legal_address", "")),
            actual_address=str(values.get("actual_address", "")),
            phones=phones,
            emails=emails,
            site=str(values.get("site", "")),
            responsible_id=responsible if responsible is not None else KEEP,
            custom_fields=record.custom,
        )
    except DomainError as error:
        raise _refused(row, error, "responsible") from None


async def _deal_contact(row: _Row, phones: list[str], emails: list[str]) -> int | None:
    record = row.record
    identities = [NormalisedIdentity(IdentityKind.phone, p, p) for p in phones]
    identities += [NormalisedIdentity(IdentityKind.email, e, e) for e in emails]
    name = str(record.values.get("contact", ""))
    async with row.hub.db.sessions() as session:
        if identities:
            found = await find_contact(session, identities)
            if found is not None:
                return found
        if not name:
            if identities:
                record.bad(
                    "phone" if phones else "email",
                    "no-such-contact",
                    "нет контакта с этим телефоном или e-mail",
                )
            return None
        named = await queries.contacts_named(session, name)
    if not named:
        record.bad(
            "contact",
            "no-such-contact",
            f"«{name}» — нет такого контакта (загрузите контакты раньше сделок)",
        )
        return None
    if len(named) > 1:
        record.bad(
            "contact",
            "ambiguous-contact",
            f"«{name}» — несколько контактов с таким именем; укажите телефон",
        )
        return None
    return named[0]


async def _import_deal(row: _Row) -> None:
    record, values = row.record, row.record.values
    title = " ".join(str(values.get("title", "")).split())
    if not title:
        record.bad("title", "missing", "нет названия сделки")
    amount = None
    if values.get("amount"):
        amount = cells_of.parse_amount(str(values["amount"]))
        if amount is None:
            record.bad("amount", "invalid-amount", f"«{values['amount']}» — не сумма")
    currency = "RUB"
    if values.get("currency"):
        currency = cells_of.currency(str(values["currency"])) or ""
        if not currency:
            record.bad("currency", "invalid-currency", f"«{values['currency']}» — не код валюты")
    close_on = None
    if values.get("expected_close_on"):
        close_on = cells_of.parse_date(str(values["expected_close_on"]))
        if close_on is None:
            record.bad(
                "expected_close_on",
                "invalid-date",
                f"«{values['expected_close_on']}» — не дата (ДД.ММ.ГГГГ)",
            )
    stage = cells_of.stage(record, row.directory)
    responsible = cells_of.responsible(record, row.directory)
    phones = cells_of.phones(record, row.directory.region)
    emails = cells_of.emails(record)
    contact_id = await _deal_contact(row, phones, emails)
    organisation_id = None
    if values.get("organisation"):
        async with row.hub.db.sessions() as session:
            organisation = await queries.organisation_by_name(session, str(values["organisation"]))
        if organisation is None:
            record.bad(
                "organisation",
                "no-such-organisation",
                f"«{values['organisation']}» — нет такой организации",
            )
        else:
            organisation_id = organisation.id
    _problems(row)
    pipeline_id = (
        stage.pipeline_id
        if stage is not None
        else row.directory.pipelines.get(normalise(str(values.get("pipeline", ""))) or "-")
    )
    try:
        deal_id = await deals.create_deal(
            row.hub,
            row.actor,
            title=title,
            pipeline_id=pipeline_id,
            # A lost deal starts in the pipeline's first stage and is moved to its end below.
            stage_id=stage.stage_id if stage is not None and not stage.lost else None,
            amount=amount if amount is not None else Decimal("0"),
            currency=currency,
            contact_id=contact_id,
            organisation_id=organisation_id,
            responsible_id=responsible if responsible is not None else KEEP,
            expected_close_on=close_on,
            source=str(values.get("source", "")) or "import",
            custom_fields=record.custom,
        )
        if stage is not None and stage.lost:
            reason = str(values.get("loss_reason", "")) or DEFAULT_LOSS_REASON
            await deals.move_deal(row.hub, row.actor, deal_id, stage.stage_id, loss_reason=reason)
    except DomainError as error:
        raise _refused(row, error, "responsible") from None


_IMPORTERS = {
    CrmEntity.contact: _import_contact,
    CrmEntity.organisation: _import_organisation,
    CrmEntity.deal: _import_deal,
}


async def import_row(
    hub: Hub,
    actor: Actor,
    entity: CrmEntity,
    directory: Directory,
    mapping: Sequence[str | None],
    headers: Sequence[str],
    number: int,
    cells: Sequence[str],
    tally: Tally,
) -> None:
    """One row through its use case; the outcome counted in `tally`."""
    row = _Row(hub, actor, directory, headers, number, cells_of.read_cells(mapping, cells))
    try:
        await _IMPORTERS[entity](row)
    except _Skip as skipped:
        if skipped.duplicate:
            tally.duplicates += 1
        else:
            tally.errors += 1
        tally.lines += skipped.lines
        return
    tally.created += 1
