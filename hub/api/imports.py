"""Imports over the API: upload a file (multipart) → a preview of its columns with guessed
fields → start with a mapping → poll the job for the progress bar → the error report as CSV.

The upload and the report speak multipart and CSV, so they are plain aiohttp handlers
(checked with `require` as the JSON routes are); the rest are RouteTable routes. A started
import runs as a task of the node that took the request; stopping the node marks it failed
(the rows done stay: importing the file again reports them as duplicates).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any, Literal
from urllib.parse import unquote

from aiohttp import BodyPartReader, web
from pydantic import Field

from hub.actions import files
from hub.actions import imports as import_actions
from hub.api.web_auth import require
from hub.auth import Principal
from hub.core import Hub
from hub.crm_io.reading import UnreadableFile, read_table
from hub.crm_io.writing import CSV_MIME, csv_lines
from hub.host.appkeys import HUB
from hub.models import CrmEntity, Role
from hub.policy import DomainError
from hub.queries import imports as queries
from hub.queries.imports import ColumnMapping, ImportJobOut, ImportPreview

from .file_wire import clean_name, content_disposition, readable_multipart
from .files import too_large
from .inputs import Body
from .registry import API_PREFIX, ApiCall, RouteTable

log = logging.getLogger(__name__)

routes = RouteTable("imports")


class _Tasks(set[asyncio.Task[None]]):
    """The import tasks running on this node."""


IMPORT_TASKS = web.AppKey("import_tasks", _Tasks)
_CHUNK = 64 * 1024
_FRAMING_BYTES = 16 * 1024


class StartIn(Body):
    mapping: list[ColumnMapping] = Field(
        max_length=500,
        description="Per column: a field key of the entity, `cf.<key>`, "
        "`new-custom-field` (admins) or null (left out). Columns not listed are left out.",
    )


def _unreadable(exc: UnreadableFile) -> DomainError:
    return DomainError(exc.error_id, 422, str(exc))


async def upload(request: web.Request) -> web.Response:
    """POST /imports: multipart fields `entity` (contact|organisation|deal) and `file`."""
    principal = require(request, Role.supervisor)
    hub = request.app[HUB]
    import_actions.ensure_can_import(principal)
    limit = hub.settings.max_upload_bytes
    if request.content_length is not None and request.content_length > limit + _FRAMING_BYTES:
        raise too_large(limit)
    if not request.content_type.startswith("multipart/"):
        raise DomainError(
            "not-multipart", 415, "Send multipart/form-data with fields 'entity' and 'file'."
        )
    entity_text, data, name, mime = "", b"", "", files.OCTET_STREAM
    with readable_multipart():
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            if part.name == "entity":
                entity_text = (await part.text()).strip()
            elif part.name == "file":
                name = clean_name(unquote(part.filename or "")) or "import.csv"
                mime = files.clean_mime(part.headers.get("Content-Type"))
                chunks, size = [], 0
                while chunk := await part.read_chunk(_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise too_large(limit)
                    chunks.append(chunk)
                data = b"".join(chunks)
            else:
                await part.release()
    try:
        entity = CrmEntity(entity_text)
    except ValueError:
        raise DomainError(
            "invalid-input",
            422,
            "Some fields are not valid.",
            [
                {
                    "field": "entity",
                    "location": "body",
                    "type": "enum",
                    "message": "One of: contact, organisation, deal.",
                }
            ],
        ) from None
    if not data:
        raise DomainError("empty-file", 422, "The form has no file, or the file is empty.")
    try:
        table = await asyncio.to_thread(read_table, data, name)
    except UnreadableFile as exc:
        raise _unreadable(exc) from None
    job = await import_actions.open_import(
        hub, principal, entity, name, data, mime, len(table.rows)
    )
    async with hub.db.sessions() as session:
        job = await queries.visible_job(session, principal, job.id)
        shown = await queries.preview(session, job, table, hub.clock())
    return web.Response(text=shown.model_dump_json(), status=201, content_type="application/json")


@routes.get(
    "/imports/{id}",
    summary="An import's progress, counts and report of skipped rows (author and admins)",
    response=ImportJobOut,
    role=Role.supervisor,
)
async def get_import(call: ApiCall[None, None]) -> ImportJobOut:
    async with call.hub.db.sessions() as session:
        job = await queries.visible_job(session, call.principal, call.path_id())
        return queries.job_out(job, call.hub.clock())


@routes.get(
    "/imports/{id}/preview",
    summary="The uploaded file's columns, sample values, guessed and remembered fields",
    response=ImportPreview,
    role=Role.supervisor,
)
async def get_preview(call: ApiCall[None, None]) -> ImportPreview:
    async with call.hub.db.sessions() as session:
        job = await queries.visible_job(session, call.principal, call.path_id())
        try:
            table = await queries.job_table(session, job)
        except UnreadableFile as exc:
            raise _unreadable(exc) from None
        return await queries.preview(session, job, table, call.hub.clock())


def spawn_import(app: web.Application, hub: Hub, principal: Principal, job_id: int) -> None:
    tasks = app[IMPORT_TASKS]
    task = asyncio.create_task(
        import_actions.run_import(hub, principal, job_id), name=f"import-{job_id}"
    )
    tasks.add(task)
    task.add_done_callback(tasks.discard)


@routes.post(
    "/imports/{id}/start",
    summary="Start importing with this column mapping (remembered for files like this one)",
    body=StartIn,
    response=ImportJobOut,
    status=202,
    role=Role.supervisor,
    conflicts=True,
)
async def start(call: ApiCall[None, StartIn]) -> ImportJobOut:
    job_id = call.path_id()
    async with call.hub.db.sessions() as session:
        job = await queries.visible_job(session, call.principal, job_id)
        try:
            table = await queries.job_table(session, job)
        except UnreadableFile as exc:
            raise _unreadable(exc) from None
    fields: list[str | None] = [None] * len(table.headers)
    for item in call.body.mapping:
        if item.index >= len(fields):
            fields += [None] * (item.index + 1 - len(fields))
        fields[item.index] = item.field
    job = await import_actions.start_import(call.hub, call.principal, job_id, fields, table)
    spawn_import(call.request.app, call.hub, call.principal, job_id)
    return queries.job_out(job, call.hub.clock())


async def report_csv(request: web.Request) -> web.Response:
    """GET /imports/{id}/report.csv: the skipped rows, for Excel."""
    principal = require(request, Role.supervisor)
    hub = request.app[HUB]
    async with hub.db.sessions() as session:
        job = await queries.visible_job(session, principal, int(request.match_info["id"]))
    lines: list[list[Any]] = [["Строка", "Столбец", "Причина", "Тип"]]
    lines += [[r["row"], r["column"], r["reason"], r["type"]] for r in job.report or []]
    stem = job.filename.rsplit(".", 1)[0] or "import"
    return web.Response(
        body=csv_lines(lines, bom=True).encode("utf-8"),
        headers={
            "Content-Type": CSV_MIME,
            "Content-Disposition": content_disposition(f"{stem}-ошибки.csv"),
            "X-Content-Type-Options": "nosniff",
        },
    )


async def _stop_imports(app: web.Application) -> None:
    running: _Tasks = app[IMPORT_TASKS]
    tasks = list(running)
    for task in tasks:
        task.cancel()
    if tasks:
        await asyncio.gather(*tasks, return_exceptions=True)


def setup(app: web.Application) -> None:
    app[IMPORT_TASKS] = _Tasks()
    # on_shutdown runs before the cleanup contexts close the database.
    app.on_shutdown.append(_stop_imports)
    app.router.add_post(API_PREFIX + "/imports", upload, name="upload_import")
    app.router.add_get(
        API_PREFIX + "/imports/{id:[0-9]{1,18}}/report.csv", report_csv, name="import_report"
    )


_Entity = Literal["contact", "organisation", "deal"]


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {}}}


OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/imports": {
        "post": {
            "tags": ["imports"],
            "summary": "Upload a CSV or XLSX to import (multipart: `entity`, `file`); "
            "answers the preview of its columns",
            "x-okno-role": "supervisor",
            "requestBody": {
                "required": True,
                "content": {
                    "multipart/form-data": {
                        "schema": {
                            "type": "object",
                            "properties": {
                                "entity": {
                                    "type": "string",
                                    "enum": ["contact", "organisation", "deal"],
                                },
                                "file": {"type": "string", "format": "binary"},
                            },
                            "required": ["entity", "file"],
                        }
                    }
                },
            },
            "responses": {
                "201": {
                    "description": "The job and the preview (ImportPreview).",
                    "content": {"application/json": {}},
                },
                "401": _error("Not logged in (not-authenticated)."),
                "403": _error("Not a supervisor or admin, or missing CSRF header."),
                "413": _error("Larger than OKNO_MAX_UPLOAD_BYTES (file-too-large)."),
                "415": _error("Not multipart/form-data (not-multipart)."),
                "422": _error("No file, bad entity, not-an-xlsx, empty-file, bad-multipart."),
            },
        }
    },
    "/api/v1/imports/{id}/report.csv": {
        "get": {
            "tags": ["imports"],
            "summary": "The rows skipped (row, column, reason) as CSV for Excel",
            "x-okno-role": "supervisor",
            "parameters": [
                {"name": "id", "in": "path", "required": True, "schema": {"type": "integer"}}
            ],
            "responses": {
                "200": {"description": "CSV (UTF-8 with BOM, `;`).", "content": {"text/csv": {}}},
                "401": _error("Not logged in (not-authenticated)."),
                "403": _error("Not a supervisor or admin."),
                "404": _error("No such import, or not the caller's."),
            },
        }
    },
}
