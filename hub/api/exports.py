"""Exports of the registries: `GET /api/v1/{contacts,organisations,deals}/export?format=csv|
xlsx&<the list's filters>`.

Exactly the rows the list shows with the same filters, for the same caller: the export pages
through the list view itself (the same query model, `crm_view` and custom-field filters),
200 rows at a time, so the two cannot drift apart. CSV is streamed page by page; XLSX is
built in a worker thread from the pages (openpyxl's write-only workbook). Custom fields
become columns under their labels.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from aiohttp import web
from pydantic import BaseModel

from hub.api.web_auth import require
from hub.auth import Principal
from hub.core import Hub
from hub.crm_io.writing import CSV_MIME, XLSX_MIME, csv_lines, xlsx_bytes
from hub.host.appkeys import HUB
from hub.models import CrmEntity, FieldKind, Role
from hub.policy import DomainError
from hub.queries.crm_export import deal_extras, organisation_extras, stage_names
from hub.queries.custom_fields import custom_fields

from . import contacts, deals, organisations
from .contact_schemas import ContactListQuery
from .deal_schemas import DealListQuery
from .file_wire import content_disposition
from .organisation_schemas import OrganisationListQuery
from .registry import API_PREFIX, ApiCall, query_values, validate

PAGE = 200
Row = list[Any]


@dataclass(frozen=True)
class _Custom:
    key: str
    label: str
    kind: str


def _custom_cell(value: Any, kind: str, excel: bool) -> Any:
    if value is None:
        return ""
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return "да" if value else "нет"
    if excel and kind == FieldKind.money:
        return Decimal(str(value))
    # A number stays a number (the CSV writer quotes text only, hub/crm_io/writing.py).
    return value if isinstance(value, int | float) else str(value)


def _name(ref: Any) -> str:
    return "" if ref is None else str(ref.name)


async def _pages(
    request: web.Request,
    principal: Principal,
    view: Callable[[ApiCall[Any, None]], Awaitable[Any]],
    query_model: type[BaseModel],
) -> AsyncIterator[list[Any]]:
    params = {k: v for k, v in query_values(request.query).items() if k not in ("format",)}
    params["limit"] = str(PAGE)
    params.pop("cursor", None)
    query = validate(query_model, params, "query")
    while True:
        page = await view(ApiCall(request, principal, query, None))
        yield list(page.items)
        if not page.next_cursor:
            return
        query = query.model_copy(update={"cursor": page.next_cursor})


Pages = AsyncIterator[list[Any]]


async def _contact_rows(
    hub: Hub, pages: Pages, customs: list[_Custom], excel: bool
) -> AsyncIterator[list[Row]]:
    async for items in pages:
        yield [
            [
                item.id,
                item.name,
                "лид" if item.status == "lead" else "клиент",
                ", ".join(p.value for p in item.phones),
                ", ".join(item.emails),
                "; ".join(o.name for o in item.organisations),
                "; ".join(o.position for o in item.organisations if o.position),
                "" if item.responsible is None else item.responsible.name,
                item.source,
                item.created_at,
                item.next_contact_at or "",
                *[_custom_cell(item.custom_fields.get(c.key), c.kind, excel) for c in customs],
            ]
            for item in items
        ]


async def _organisation_rows(
    hub: Hub, pages: Pages, customs: list[_Custom], excel: bool
) -> AsyncIterator[list[Row]]:
    async for items in pages:
        async with hub.db.sessions() as session:
            extras = await organisation_extras(session, [i.id for i in items])
        rows = []
        for item in items:
            more = extras.get(item.id, {})
            rows.append(
                [
                    item.id,
                    item.name,
                    item.inn or "",
                    item.kpp or "",
                    more.get("ogrn", ""),
                    more.get("legal_address", ""),
                    more.get("actual_address", ""),
                    ", ".join(item.phones),
                    ", ".join(item.emails),
                    more.get("site", ""),
                    _name(item.responsible),
                    item.contacts_count,
                    item.open_deals_count,
                    item.created_at,
                    *[_custom_cell(item.custom_fields.get(c.key), c.kind, excel) for c in customs],
                ]
            )
        yield rows


async def _deal_rows(
    hub: Hub, pages: Pages, customs: list[_Custom], excel: bool
) -> AsyncIterator[list[Row]]:
    async with hub.db.sessions() as session:
        stages = await stage_names(session)
    async for items in pages:
        async with hub.db.sessions() as session:
            extras = await deal_extras(session, [i.id for i in items])
        rows = []
        for item in items:
            more = extras.get(item.id, {})
            custom = more.get("custom_fields", {})
            pipeline, stage = stages.get(item.stage_id, ("", ""))
            rows.append(
                [
                    item.id,
                    item.title,
                    Decimal(item.amount) if excel else item.amount,
                    item.currency,
                    pipeline,
                    stage,
                    _name(item.contact),
                    _name(item.organisation),
                    _name(item.responsible),
                    item.expected_close_on or "",
                    more.get("source", ""),
                    more.get("loss_reason", ""),
                    item.payment_due_on or "",
                    item.paid_at or "",
                    *[_custom_cell(custom.get(c.key), c.kind, excel) for c in customs],
                ]
            )
        yield rows


# Headers an import guesses back to the same fields (hub/crm_io/fields.py).
_HEADERS = {
    CrmEntity.contact: [
        "ID", "ФИО", "Статус", "Телефон", "E-mail", "Организация", "Должность",
        "Ответственный", "Источник", "Дата создания", "Следующий контакт",
    ],
    CrmEntity.organisation: [
        "ID", "Название", "ИНН", "КПП", "ОГРН", "Юридический адрес", "Фактический адрес",
        "Телефон", "E-mail", "Сайт", "Ответственный", "Контактов", "Открытых сделок",
        "Дата создания",
    ],
    CrmEntity.deal: [
        "ID", "Название сделки", "Сумма", "Валюта", "Воронка", "Этап сделки", "Контакт",
        "Организация", "Ответственный", "Дата закрытия", "Источник", "Причина отказа",
        "Срок оплаты", "Оплачено",
    ],
}  # fmt: skip
_ROWS = {
    CrmEntity.contact: _contact_rows,
    CrmEntity.organisation: _organisation_rows,
    CrmEntity.deal: _deal_rows,
}
_VIEWS: dict[CrmEntity, tuple[Callable[[ApiCall[Any, None]], Awaitable[Any]], type[BaseModel]]] = {
    CrmEntity.contact: (contacts.search_contacts, ContactListQuery),
    CrmEntity.organisation: (organisations.list_all, OrganisationListQuery),
    CrmEntity.deal: (deals.get_deals, DealListQuery),
}
_FILE_NAMES = {
    CrmEntity.contact: "contacts",
    CrmEntity.organisation: "organisations",
    CrmEntity.deal: "deals",
}


async def export_rows(
    hub: Hub, entity: CrmEntity, pages: Pages, excel: bool
) -> tuple[list[str], AsyncIterator[list[Row]]]:
    """The header and the rows (page by page) of an export of the registry pages given (the
    list's own items: ContactRow, OrganisationRow, DealCard)."""
    async with hub.db.sessions() as session:
        customs = [_Custom(f.key, f.label, f.kind) for f in await custom_fields(session, entity)]
    header = [*_HEADERS[entity], *(c.label for c in customs)]
    return header, _ROWS[entity](hub, pages, customs, excel)


def _handler(entity: CrmEntity) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    async def export(request: web.Request) -> web.StreamResponse:
        principal = require(request, Role.operator)
        hub = request.app[HUB]
        fmt = request.query.get("format", "csv")
        if fmt not in ("csv", "xlsx"):
            raise DomainError(
                "invalid-input",
                422,
                "Some fields are not valid.",
                [
                    {
                        "field": "format",
                        "location": "query",
                        "type": "enum",
                        "message": "csv or xlsx",
                    }
                ],
            )
        view, query_model = _VIEWS[entity]
        header, pages = await export_rows(
            hub, entity, _pages(request, principal, view, query_model), fmt == "xlsx"
        )
        name = f"{_FILE_NAMES[entity]}-{hub.clock():%Y-%m-%d}.{fmt}"
        headers = {
            "Content-Disposition": content_disposition(name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        }
        if fmt == "xlsx":
            collected: list[Row] = []
            async for rows in pages:
                collected += rows
            data = await asyncio.to_thread(xlsx_bytes, _FILE_NAMES[entity], header, collected)
            return web.Response(body=data, headers={**headers, "Content-Type": XLSX_MIME})
        # The first page is read before anything is sent, so a bad filter is still a 422.
        empty: list[Row] = []
        first = await anext(pages, empty)
        response = web.StreamResponse(headers={**headers, "Content-Type": CSV_MIME})
        await response.prepare(request)
        await response.write(csv_lines([header, *first], bom=True).encode("utf-8"))
        async for rows in pages:
            await response.write(csv_lines(rows).encode("utf-8"))
        await response.write_eof()
        return response

    export.__name__ = f"export_{entity.value}"
    return export


def setup(app: web.Application) -> None:
    for entity, root in (
        (CrmEntity.contact, "contacts"),
        (CrmEntity.organisation, "organisations"),
        (CrmEntity.deal, "deals"),
    ):
        app.router.add_get(
            f"{API_PREFIX}/{root}/export", _handler(entity), name=f"export_{entity.value}"
        )


def _export_doc(root: str) -> dict[str, Any]:
    return {
        "get": {
            "tags": ["exports"],
            "summary": f"Export the {root} the list shows with the same filters, as CSV "
            "(UTF-8 with BOM, `;`) or XLSX",
            "x-okno-role": "operator",
            "parameters": [
                {
                    "name": "format",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["csv", "xlsx"], "default": "csv"},
                },
            ],
            "responses": {
                "200": {
                    "description": "The file, as a download.",
                    "content": {"text/csv": {}, XLSX_MIME: {}},
                },
                "401": {"description": "Not logged in.", "content": {"application/json": {}}},
                "422": {
                    "description": "A filter or the format is not valid.",
                    "content": {"application/json": {}},
                },
            },
        }
    }


OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    f"/api/v1/{root}/export": _export_doc(root) for root in ("contacts", "organisations", "deals")
}
