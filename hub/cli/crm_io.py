"""`okno import <entity> <file> [--mapping auto|FILE.json]` and `okno export <entity> <file>`:
the API's import job and export, from the server's shell.

The import runs through the same job as the API (hub/actions/imports), as Okno itself (who
runs `okno` on the server could write the database anyway): the rows go through the same use
cases, duplicates are reported, the job and its report stay for the workspace to show.
`--mapping auto` takes the mapping remembered for files with these headers, else the guesses
(a column guessed as a new custom field is left out: the CLI asks nothing); a JSON file gives
one field per column (`["name", "phone", null, "cf.city"]`). `okno export` writes every
record (the CLI sees all), as XLSX when the file name ends in .xlsx, else CSV for Excel.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import mimetypes
import sys
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from hub.actions import imports as import_actions
from hub.api.exports import export_rows
from hub.cli.commands import CLI_ACTOR, CommandError, open_hub, settings_from
from hub.core import Hub
from hub.crm_io.fields import NEW_CUSTOM_FIELD, guess_all
from hub.crm_io.reading import UnreadableFile, read_table
from hub.crm_io.writing import csv_lines, xlsx_bytes
from hub.models import CrmEntity
from hub.queries import imports as import_queries
from hub.queries.contact_registry import ContactFilter, list_contacts
from hub.queries.crm_access import crm_view
from hub.queries.deal_lists import DealFilter, list_deals
from hub.queries.organisations import OrganisationFilter, list_organisations

Adder = Callable[..., argparse.ArgumentParser]
PAGE = 500
_ENTITIES = {
    "contact": CrmEntity.contact,
    "contacts": CrmEntity.contact,
    "organisation": CrmEntity.organisation,
    "organisations": CrmEntity.organisation,
    "deal": CrmEntity.deal,
    "deals": CrmEntity.deal,
}


def _entity(text: str) -> CrmEntity:
    try:
        return _ENTITIES[text]
    except KeyError:
        raise CommandError(
            f"unknown entity {text!r}: contacts, organisations or deals", 2
        ) from None


def _given_mapping(value: str) -> list[str | None] | None:
    if value == "auto":
        return None
    try:
        loaded = json.loads(Path(value).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise CommandError(f"cannot read the mapping {value}: {exc}", 2) from None
    if not isinstance(loaded, list) or not all(x is None or isinstance(x, str) for x in loaded):
        raise CommandError("the mapping file holds a JSON list of field keys or nulls", 2)
    return loaded


async def _import(hub: Hub, entity: CrmEntity, path: Path, given: list[str | None] | None) -> Any:
    data = await asyncio.to_thread(path.read_bytes)
    try:
        table = await asyncio.to_thread(read_table, data, path.name)
    except UnreadableFile as exc:
        raise CommandError(f"cannot import {path}: {exc}") from None
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    job = await import_actions.open_import(
        hub, CLI_ACTOR, entity, path.name, data, mime, len(table.rows)
    )
    mapping = given
    if mapping is None:
        async with hub.db.sessions() as session:
            mapping = await import_queries.remembered_mapping(session, entity, table.headers)
            if mapping is None:
                labels = await import_queries.custom_labels(session, entity)
                mapping = guess_all(entity, table.headers, labels)
        mapping = [None if key == NEW_CUSTOM_FIELD else key for key in mapping]
    for header, key in zip(table.headers, mapping, strict=False):
        print(f"  {header!r} -> {key or '(left out)'}")
    await import_actions.start_import(hub, CLI_ACTOR, job.id, mapping, table)
    await import_actions.run_import(hub, CLI_ACTOR, job.id)
    async with hub.db.sessions() as session:
        done = await import_queries.visible_job(session, CLI_ACTOR, job.id)
        return import_queries.job_out(done, hub.clock())


def cmd_import(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    entity = _entity(args.entity)
    given = _given_mapping(args.mapping)

    async def run() -> Any:
        async with open_hub(settings) as hub:
            return await _import(hub, entity, Path(args.file), given)

    try:
        job = asyncio.run(run())
    except OSError as exc:
        raise CommandError(f"cannot import {args.file}: {exc}") from None
    for line in job.report:
        where = f"row {line.row}" + (f", column {line.column!r}" if line.column else "")
        out = sys.stdout if line.type == "duplicate" else sys.stderr
        print(f"{where}: {line.reason}", file=out)
    print(
        f"Import #{job.id} {job.status}: {job.done_rows} of {job.total_rows} rows; created "
        f"{job.created_count}, duplicates {job.duplicate_count}, errors {job.error_count}."
    )
    if job.status != "done":
        print(job.error, file=sys.stderr)
        return 1
    return 1 if job.error_count else 0


async def _all_pages(hub: Hub, entity: CrmEntity) -> AsyncIterator[list[Any]]:
    """Every record, page by page, through the registries' own list queries."""
    cursor: str | None = None
    while True:
        async with hub.db.sessions() as session:
            view = await crm_view(session, CLI_ACTOR)
            if entity is CrmEntity.contact:
                items, cursor = await list_contacts(
                    session,
                    ContactFilter(),
                    view,
                    region=hub.settings.default_region,
                    dialect=hub.db.dialect,
                    sort="created_at",
                    descending=False,
                    cursor=cursor,
                    limit=PAGE,
                )
                page: list[Any] = list(items)
            elif entity is CrmEntity.organisation:
                found = await list_organisations(
                    session,
                    view,
                    dialect=hub.db.dialect,
                    where=OrganisationFilter(),
                    sort="created_at",
                    cursor=cursor,
                    limit=PAGE,
                )
                page, cursor = list(found.items), found.next_cursor
            else:
                deals = await list_deals(
                    session,
                    view,
                    DealFilter(dialect=hub.db.dialect),
                    hub.clock(),
                    descending=False,
                    limit=PAGE,
                    cursor=cursor,
                )
                page, cursor = list(deals.items), deals.next_cursor
        yield page
        if not cursor:
            return


async def _export(hub: Hub, entity: CrmEntity, path: Path) -> int:
    excel = path.name.lower().endswith(".xlsx")
    header, pages = await export_rows(hub, entity, _all_pages(hub, entity), excel)
    rows: list[list[Any]] = []
    async for chunk in pages:
        rows += chunk
    if excel:
        data = await asyncio.to_thread(xlsx_bytes, entity.value, header, rows)
    else:
        data = csv_lines([header, *rows], bom=True).encode("utf-8")
    await asyncio.to_thread(path.write_bytes, data)
    return len(rows)


def cmd_export(args: argparse.Namespace) -> int:
    settings = settings_from(args)
    entity = _entity(args.entity)

    async def run() -> int:
        async with open_hub(settings) as hub:
            return await _export(hub, entity, Path(args.file))

    try:
        count = asyncio.run(run())
    except OSError as exc:
        raise CommandError(f"cannot write {args.file}: {exc}") from None
    print(f"Exported {count} {entity.value} records to {args.file}.")
    return 0


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser], add: Adder) -> None:
    entities = "contacts, organisations or deals"
    imported = add(commands, "import", cmd_import, "import contacts, organisations or deals")
    imported.add_argument("entity", help=entities)
    imported.add_argument("file", help="CSV (UTF-8 or windows-1251; , ; or tab) or XLSX")
    imported.add_argument(
        "--mapping",
        default="auto",
        help="auto (the remembered mapping, else guessed from the headers) or a JSON file",
    )
    exported = add(commands, "export", cmd_export, "export contacts, organisations or deals")
    exported.add_argument("entity", help=entities)
    exported.add_argument("file", help="FILE.csv (for Excel: UTF-8 with BOM, ;) or FILE.xlsx")
