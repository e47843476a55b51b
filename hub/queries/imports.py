"""Import jobs as their author and the admins see them, the preview of an uploaded file, and
the directories an import checks its rows against."""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth import Principal
from hub.crm_io.fields import (
    CUSTOM_PREFIX,
    NEW_CUSTOM_FIELD,
    field_keys,
    guess_all,
    headers_key,
    normalise,
)
from hub.crm_io.reading import Table, read_table
from hub.crm_io.rows import Directory, StageRef
from hub.models import (
    Contact,
    CrmEntity,
    ImportJob,
    ImportMapping,
    Organisation,
    Pipeline,
    Role,
    Stage,
    StageOutcome,
    StoredFile,
    User,
)
from hub.models.crm import search_key
from hub.policy import Actor, NotFound
from hub.queries.custom_fields import custom_fields
from hub.queries.shapes import Shape, Timestamp
from hub.serialize import iso

SAMPLES = 5
# What the report keeps; the counts go on past it.
REPORT_LIMIT = 5000


class ReportLine(Shape):
    row: int
    column: str
    reason: str
    type: str


class ImportJobOut(Shape):
    id: int
    entity: CrmEntity
    filename: str
    status: str
    total_rows: int
    done_rows: int
    created_count: int
    duplicate_count: int
    error_count: int
    report: list[ReportLine]
    error: str
    created_at: Timestamp
    finished_at: Timestamp | None


class ColumnMapping(Shape):
    index: int
    field: str | None


class FieldChoice(Shape):
    field: str
    label: str


class PreviewColumn(Shape):
    index: int
    header: str
    samples: list[str]
    guessed_field: str | None


class ImportPreview(Shape):
    job: ImportJobOut
    columns: list[PreviewColumn]
    # The mapping last used for a file with these very headers, if any.
    remembered: list[ColumnMapping] | None
    # What a column may map to: the entity's fields, its custom fields (cf.<key>), and
    # "new-custom-field" (created from the header, admins only).
    fields: list[FieldChoice]


# A running import records progress after every batch (BATCH rows, a few seconds); one
# silent for this long was on a node that died without being able to say so.
STALLED_AFTER = timedelta(minutes=2)
INTERRUPTED = (
    "Импорт прерван: сервер, который его выполнял, остановился. Загрузите файл снова: "
    "уже загруженные строки будут отмечены как дубликаты."
)


def job_out(job: ImportJob, now: datetime) -> ImportJobOut:
    """The job as its progress bar needs it; a running job whose node died reads as failed
    (the rows it committed stay), so nobody watches a bar that will never move again."""
    status, error = job.status, job.error
    beat = job.heartbeat_at or job.created_at
    if status == "running" and now - beat > STALLED_AFTER:
        status, error = "failed", INTERRUPTED
    return ImportJobOut(
        id=job.id,
        entity=CrmEntity(job.entity),
        filename=job.filename,
        status=status,
        total_rows=job.total_rows,
        done_rows=job.done_rows,
        created_count=job.created_count,
        duplicate_count=job.duplicate_count,
        error_count=job.error_count,
        report=[ReportLine.model_validate(line) for line in job.report or []],
        error=error,
        created_at=iso(job.created_at),
        finished_at=iso(job.finished_at) if job.finished_at else None,
    )


def may_see_job(actor: Actor, job: ImportJob) -> bool:
    """Its author and the admins (Okno itself too: the CLI)."""
    if not isinstance(actor, Principal):
        return True
    return actor.role is Role.admin or job.user_id == actor.user_id


async def visible_job(session: AsyncSession, actor: Actor, job_id: int) -> ImportJob:
    job = await session.get(ImportJob, job_id)
    if job is None or not may_see_job(actor, job):
        raise NotFound("no-such-import", "There is no such import.", {"id": job_id})
    return job


async def custom_labels(session: AsyncSession, entity: CrmEntity) -> dict[str, str]:
    """Normalised label -> key of the entity's custom fields."""
    return {normalise(f.label): f.key for f in await custom_fields(session, entity)}


async def job_table(session: AsyncSession, job: ImportJob) -> Table:
    """The uploaded file read again (in a worker thread)."""
    stored = await session.get(StoredFile, job.file_id) if job.file_id is not None else None
    if stored is None:
        raise NotFound("no-such-file", "The uploaded file is gone.", {"id": job.id})
    return await asyncio.to_thread(read_table, stored.data, job.filename)


async def remembered_mapping(
    session: AsyncSession, entity: CrmEntity, headers: list[str]
) -> list[str | None] | None:
    found = (
        await session.execute(
            select(ImportMapping.mapping).where(
                ImportMapping.entity == entity.value,
                ImportMapping.headers_key == headers_key(headers),
            )
        )
    ).scalar_one_or_none()
    if not found or not isinstance(found.get("fields"), list):
        return None
    return list(found["fields"])


async def preview(
    session: AsyncSession, job: ImportJob, table: Table, now: datetime
) -> ImportPreview:
    entity = CrmEntity(job.entity)
    fields = await custom_fields(session, entity)
    guesses = guess_all(entity, table.headers, {normalise(f.label): f.key for f in fields})
    columns = []
    for index, header in enumerate(table.headers):
        samples = [cells[index] for _, cells in table.rows if cells[index]][:SAMPLES]
        columns.append(
            PreviewColumn(index=index, header=header, samples=samples, guessed_field=guesses[index])
        )
    remembered = await remembered_mapping(session, entity, table.headers)
    choices = [FieldChoice(field=k, label=v) for k, v in field_keys(entity).items()]
    choices += [FieldChoice(field=CUSTOM_PREFIX + f.key, label=f.label) for f in fields]
    choices.append(FieldChoice(field=NEW_CUSTOM_FIELD, label="Новое дополнительное поле"))
    return ImportPreview(
        job=job_out(job, now),
        columns=columns,
        remembered=None
        if remembered is None
        else [ColumnMapping(index=i, field=f) for i, f in enumerate(remembered)],
        fields=choices,
    )


async def directory(session: AsyncSession, region: str) -> Directory:
    users: dict[str, int] = {}
    for user_id, login, name, email in (
        await session.execute(
            select(User.id, User.login, User.name, User.email)
            .where(User.is_active)
            .order_by(User.id.desc())
        )
    ).all():
        for text in (name, email, login):  # a login wins over someone else's name
            if text:
                users[" ".join(str(text).split()).casefold()] = user_id
    pipelines: dict[str, int] = {}
    stages: dict[tuple[int | None, str], StageRef] = {}
    rows = await session.execute(
        select(Pipeline.id, Pipeline.name, Stage.id, Stage.name, Stage.outcome)
        .join(Stage, Stage.pipeline_id == Pipeline.id)
        .order_by(Pipeline.position.desc(), Pipeline.id.desc(), Stage.position.desc())
    )
    for pipeline_id, pipeline_name, stage_id, stage_name, outcome in rows.all():
        # Walked backwards, so the first pipeline's stage is the one a bare name finds.
        pipelines[normalise(pipeline_name)] = pipeline_id
        ref = StageRef(pipeline_id, stage_id, outcome == StageOutcome.lost)
        stages[(pipeline_id, normalise(stage_name))] = ref
        stages[(None, normalise(stage_name))] = ref
    return Directory(region=region, users=users, pipelines=pipelines, stages=stages)


async def organisation_by_name(session: AsyncSession, name: str) -> Organisation | None:
    """The oldest organisation of this name (any case), or None."""
    key = search_key(name)
    return (
        (
            await session.execute(
                select(Organisation).where(Organisation.name_key == key).order_by(Organisation.id)
            )
        )
        .scalars()
        .first()
    )


async def organisation_by_inn(session: AsyncSession, inn: str) -> Organisation | None:
    return (
        (
            await session.execute(
                select(Organisation).where(Organisation.inn == inn).order_by(Organisation.id)
            )
        )
        .scalars()
        .first()
    )


async def contacts_named(session: AsyncSession, name: str) -> list[int]:
    key = search_key(name)
    rows = await session.execute(
        select(Contact.id)
        .where(Contact.name_key == key, Contact.merged_into_id.is_(None))
        .order_by(Contact.id)
        .limit(2)
    )
    return list(rows.scalars())


def report_line(row: int, column: str, reason: str, error_type: str) -> dict[str, Any]:
    return {"row": row, "column": column, "reason": reason, "type": error_type}
