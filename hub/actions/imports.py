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
from typing import Any

from sqlalchemy import select

from hub.auth import Principal, has_role
from hub.core import Hub
from hub.crm_io.fields import (
    CUSTOM_PREFIX,
    MULTI,
    NEW_CUSTOM_FIELD,
    field_keys,
    headers_key,
)
from hub.crm_io.reading import Table
from hub.models import CrmEntity, FieldKind, ImportJob, ImportMapping, Role
from hub.policy import (
    Actor,
    Conflict,
    Forbidden,
    InvalidInput,
    user_id_of,
)
from hub.queries import imports as queries
from hub.queries.custom_fields import custom_fields

from . import files
from .custom_fields import create_field
from .import_rows import Tally, import_row
from .uow import unit_of_work

log = logging.getLogger(__name__)

BATCH = 200
REQUIRED = {
    CrmEntity.contact: ({"name", "last_name", "first_name"}, "ФИО или имя"),
    CrmEntity.organisation: ({"name"}, "название"),
    CrmEntity.deal: ({"title"}, "название сделки"),
}


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
        job.heartbeat_at = uow.now()
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


async def _record_progress(hub: Hub, job_id: int, tally: Tally, done: int) -> None:
    async with unit_of_work(hub) as uow:
        job = await uow.session.get_one(ImportJob, job_id)
        job.done_rows = done
        job.heartbeat_at = uow.now()
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
            tally = Tally()
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
