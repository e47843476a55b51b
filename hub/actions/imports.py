"""Imports of contacts, organisations and deals from an old CRM's CSV or XLSX export.

`open_import` keeps the uploaded file (in the file store) and opens a job; `start_import`
fixes the column mapping (remembered for the next file with the same headers, custom fields
created for columns the user asked for) and marks the job running; `run_import` goes through
the rows, each through the SAME use case the API uses (create_contact, create_organisation,
create_deal), so every rule, right and event of a hand-made record holds for an imported one.

Each row is its own transaction (the use case's unit of work): a bad row is skipped whole
(nothing of it is written) and never stops the others. Progress, counts and the report are
written every `BATCH` rows, for the progress bar. A row whose phone or e-mail belongs to a
known contact, or an organisation whose INN is known, is reported as a duplicate, not created.

Who may: importing needs a supervisor or an admin. An import writes thousands of records at
once and hands them to managers (the «Ответственный» column); a wrong mapping spoils them
all, and undoing it is manual work. That is a team lead's decision, like a hand-over, not
something an operator does while answering clients (he adds them one by one). A job is seen
by its author and the admins.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import select

from hub.auth import Principal, has_role
from hub.core import Hub
from hub.crm_io import rows as cells_of
from hub.crm_io.fields import (
    CUSTOM_PREFIX,
    MULTI,
    NEW_CUSTOM_FIELD,
    field_keys,
    headers_key,
    normalise,
)
from hub.crm_io.reading import Table
from hub.crm_io.rows import Directory, Record
from hub.custom_values import clean_custom_values
from hub.models import CrmEntity, FieldKind, IdentityKind, ImportJob, ImportMapping, Role
from hub.policy import (
    Actor,
    Conflict,
    DomainError,
    Forbidden,
    InvalidInput,
    ensure_can_edit_record,
    user_id_of,
)
from hub.queries import imports as queries
from hub.queries.crm_access import mates_of
from hub.queries.custom_fields import custom_fields, field_rules
from hub.requisites import clean_requisite
from routing.identity import find_contact

from . import contact_edits, deals, files
from . import organisations as organisation_actions
from .contact_lists import OrganisationLink
from .contacts import NormalisedIdentity
from .custom_fields import create_field
from .keep import KEEP
from .uow import unit_of_work

log = logging.getLogger(__name__)

BATCH = 200
REQUIRED = {
    CrmEntity.contact: ({"name", "last_name", "first_name"}, "ФИО или имя"),
    CrmEntity.organisation: ({"name"}, "название"),
    CrmEntity.deal: ({"title"}, "название сделки"),
}
DEFAULT_LOSS_REASON = "Импорт: сделка проиграна в прежней CRM"


def ensure_can_import(actor: Actor) -> None:
    """Supervisors and admins (and Okno itself: the CLI); see the module's note for why."""
    if isinstance(actor, Principal) and not has_role(actor.role, Role.supervisor):
        raise Forbidden(
            "import-needs-supervisor",
            "Importing needs a supervisor or an administrator.",
        )


async def open_import(
    hub: Hub,
    actor: Actor,
    entity: CrmEntity,
    filename: str,
    data: bytes,
    mime_type: str,
    total_rows: int,
) -> ImportJob:
    """A pending job holding the file (already read once by the caller: `total_rows`)."""
    ensure_can_import(actor)
    async with unit_of_work(hub) as uow:
        file_id = await files.put(uow.session, hub.db.dialect, data, mime_type)
        job = ImportJob(
            user_id=user_id_of(actor),
            entity=entity.value,
            filename=filename[:300],
            file_id=file_id,
            status="pending",
            mapping={},
            total_rows=total_rows,
            report=[],
            created_at=uow.now(),
        )
        uow.session.add(job)
        await uow.session.flush()
        return job


def _mapping_problems(entity: CrmEntity, fields: Sequence[str | None], width: int) -> list[Any]:
    known = set(field_keys(entity))
    problems: list[dict[str, str]] = []

    def refuse(index: int, error_type: str, message: str) -> None:
        problems.append(
            {
                "field": f"mapping.{index}",
                "location": "body",
                "type": error_type,
                "message": message,
            }
        )

    seen: set[str] = set()
    for index, key in enumerate(fields):
        if index >= width:
            refuse(index, "no-such-column", "The file has no such column.")
        elif key is None or key == NEW_CUSTOM_FIELD or key.startswith(CUSTOM_PREFIX):
            continue
        elif key not in known:
            refuse(index, "no-such-field", f"There is no field {key!r} for a {entity.value}.")
        elif key in seen and key not in MULTI:
            refuse(index, "field-taken", f"Another column already maps to {key!r}.")
        seen.add(key or "")
    needed, what = REQUIRED[entity]
    if not needed & seen:
        problems.append(
            {
                "field": "mapping",
                "location": "body",
                "type": "required-field-unmapped",
                "message": f"Map a column to the {what}.",
            }
        )
    return problems


async def start_import(
    hub: Hub, actor: Actor, job_id: int, fields: Sequence[str | None], table: Table
) -> ImportJob:
    """Fix the mapping (one field key, `cf.<key>`, "new-custom-field" or None per column),
    create the custom fields asked for, remember the mapping, mark the job running. The
    caller then runs `run_import` in the background."""
    ensure_can_import(actor)
    async with hub.db.sessions() as session:
        job = await queries.visible_job(session, actor, job_id)
        entity = CrmEntity(job.entity)
        existing = {f.key for f in await custom_fields(session, entity)}
    if job.status != "pending":
        raise Conflict("import-started", "This import has been started already.", {"id": job_id})
    mapping = list(fields) + [None] * (len(table.headers) - len(fields))
    problems = _mapping_problems(entity, mapping, len(table.headers))
    for index, key in enumerate(mapping):
        if (
            key
            and key.startswith(CUSTOM_PREFIX)
            and key.removeprefix(CUSTOM_PREFIX) not in existing
        ):
            problems.append(
                {
                    "field": f"mapping.{index}",
                    "location": "body",
                    "type": "no-such-custom-field",
                    "message": f"There is no custom field {key!r}.",
                }
            )
        if key == NEW_CUSTOM_FIELD and not table.headers[index].strip():
            problems.append(
                {
                    "field": f"mapping.{index}",
                    "location": "body",
                    "type": "blank-header",
                    "message": "A column without a header cannot name a new custom field.",
                }
            )
    if problems:
        raise InvalidInput(problems)
    for index, key in enumerate(mapping):
        if key == NEW_CUSTOM_FIELD:
            # Configuring the CRM: create_field itself lets only admins do it.
            created = await create_field(hub, actor, entity, table.headers[index], FieldKind.text)
            mapping[index] = CUSTOM_PREFIX + created.key
    async with unit_of_work(hub) as uow:
        job = await uow.session.get_one(ImportJob, job_id, with_for_update=True)
        if job.status != "pending":
            raise Conflict("import-started", "This import has been started already.")
        job.mapping = {"fields": mapping}
        job.status = "running"
        key = headers_key(table.headers)
        remembered = (
            await uow.session.execute(
                select(ImportMapping).where(
                    ImportMapping.entity == entity.value, ImportMapping.headers_key == key
                )
            )
        ).scalar_one_or_none()
        if remembered is None:
            uow.session.add(
                ImportMapping(
                    entity=entity.value,
                    headers_key=key,
                    mapping={"fields": mapping},
                    updated_at=uow.now(),
                )
            )
        else:
            remembered.mapping = {"fields": mapping}
            remembered.updated_at = uow.now()
        await uow.session.flush()
        return job


# -- running ---------------------------------------------------------------------------------


@dataclass
class _Tally:
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
        # As for organisations and deals: a supervisor hands clients to his teams only
        # (create_contact itself does not check whom it names; an import names many).
        try:
            ensure_can_edit_record(row.actor, responsible, await mates_of(session, row.actor))
        except DomainError as error:
            raise _refused(row, error, "responsible") from None
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
    tally: _Tally,
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


async def _record_progress(hub: Hub, job_id: int, tally: _Tally, done: int) -> None:
    async with unit_of_work(hub) as uow:
        job = await uow.session.get_one(ImportJob, job_id)
        job.done_rows = done
        job.created_count += tally.created
        job.duplicate_count += tally.duplicates
        job.error_count += tally.errors
        room = queries.REPORT_LIMIT - len(job.report or [])
        if room > 0 and tally.lines:
            job.report = [*(job.report or []), *tally.lines[:room]]


async def _finish(hub: Hub, job_id: int, status: str, error: str = "") -> None:
    async with unit_of_work(hub) as uow:
        job = await uow.session.get_one(ImportJob, job_id)
        job.status = status
        job.error = error[:500]
        job.finished_at = uow.now()


async def run_import(hub: Hub, actor: Actor, job_id: int, batch: int | None = None) -> None:
    """Import the rows of a running job, from where it stopped (`done_rows`)."""
    async with hub.db.sessions() as session:
        job = await queries.visible_job(session, actor, job_id)
        if job.status != "running":
            return
        table = await queries.job_table(session, job)
        directory = await queries.directory(session, hub.settings.default_region)
        entity, start = CrmEntity(job.entity), job.done_rows
        mapping = list((job.mapping or {}).get("fields") or [])
    batch = batch or BATCH
    try:
        for first in range(start, len(table.rows), batch):
            tally = _Tally()
            for number, cells in table.rows[first : first + batch]:
                await import_row(
                    hub, actor, entity, directory, mapping, table.headers, number, cells, tally
                )
            await _record_progress(hub, job_id, tally, min(first + batch, len(table.rows)))
    except asyncio.CancelledError:
        # The node is stopping: the rows done are committed, the rest are not.
        await _finish(hub, job_id, "failed", "Импорт прерван: сервер остановился.")
        raise
    except Exception as exc:
        log.exception("import %d failed", job_id)
        await _finish(hub, job_id, "failed", f"Импорт прерван ошибкой: {exc!r}")
        return
    await _finish(hub, job_id, "done")
