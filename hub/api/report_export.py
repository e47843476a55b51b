"""`GET /api/v1/reports/{conversations,calls}/export?format=csv|xlsx&<the report's
parameters>&columns=a,b`: exactly the table the page shows — the same report computation,
the columns the page shows in its order, the total last. Headers in Russian, as the other
exports (hub/api/exports.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from hub.api.web_auth import require
from hub.crm_io.writing import CSV_MIME, XLSX_MIME, csv_lines, xlsx_bytes
from hub.host.appkeys import HUB
from hub.models import Role
from hub.queries.reports import COLUMNS, ReportOut, build_report

from .file_wire import content_disposition
from .registry import API_PREFIX, invalid_input, query_values, validate
from .report_schemas import ExportQuery

_GROUP_TITLES = {
    "day": "День", "week": "Неделя", "operator": "Оператор", "team": "Группа",
    "channel": "Канал", "none": "Всего",
}  # fmt: skip
_NOBODY = {"operator": "Без оператора", "team": "Без группы"}
_BASE_TITLES = {
    "requests": "Обращений", "handled": "Обработано", "handled_share": "Доля обработанных",
    "frt": "Первый ответ", "frt_work": "Первый ответ (рабочее время)",
    "frt_assigned": "Первый ответ от назначения", "nrt": "Следующий ответ",
    "nrt_work": "Следующий ответ (рабочее время)", "resolution": "Решение",
    "resolution_work": "Решение (рабочее время)", "queue_wait": "Ожидание в очереди",
    "handling": "Обработка", "reopened": "Переоткрыто", "reopen_rate": "Доля переоткрытых",
    "sla_breached": "С нарушением SLA", "sla_breaches": "Нарушений SLA",
    "calls": "Звонков", "answered": "Отвечено", "missed": "Пропущено",
    "abandoned": "Брошено", "short_abandoned": "Коротких брошенных",
    "service_level": "Уровень сервиса", "answered_within": "Отвечено в срок",
    "called_back": "Перезвонили", "callback_rate": "Доля перезвонов", "wait": "Ожидание",
    "talk": "Разговор", "talk_total": "Разговор всего, с", "inexact": "Неточных",
    # The managers' report (hub/queries/metrics_managers.py).
    "online_h": "В сети, ч", "busy_h": "Занят, ч", "occupancy": "Занятость",
    "responses": "Ответов", "answers_per_hour": "Ответов в час",
    "emails_sent": "Писем отправлено", "call_activities": "Звонков (дела)",
    "meetings": "Встреч", "email_activities": "Писем (дела)",
    "activities_done": "Дел выполнено", "overdue": "Просрочено дел",
    "deals_won": "Сделок выиграно", "won_sum": "Сумма выигранных", "plan_sum": "План",
    "plan_done": "Выполнение плана", "avg_deal": "Средняя сделка",
    "plan_deals": "План, сделок",
}  # fmt: skip
_SUFFIXES = {"_p50": "медиана, с", "_p90": "p90, с", "_avg": "среднее, с"}


def column_title(column: str) -> str:
    for suffix, words in _SUFFIXES.items():
        if column.endswith(suffix):
            return f"{_BASE_TITLES[column.removesuffix(suffix)]}, {words}"
    return _BASE_TITLES[column]


def table(report: ReportOut, columns: list[str]) -> tuple[list[str], list[list[Any]]]:
    """The header and rows of the page's table: the group, the columns shown, the total."""
    header = [_GROUP_TITLES[report.group_by], *(column_title(c) for c in columns)]
    rows = [
        [row.label or _NOBODY.get(report.group_by, row.key), *(row.figures[c] for c in columns)]
        for row in report.rows
    ]
    rows.append(["Итого", *(report.total.figures[c] for c in columns)])
    return header, rows


def _columns(name: str, given: str | None) -> list[str]:
    if not given:
        return list(COLUMNS[name])
    wanted = [c.strip() for c in given.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in COLUMNS[name]]
    if unknown or not wanted:
        raise invalid_input(
            [{"field": "columns", "location": "query", "type": "value_error",
              "message": "unknown columns: " + ", ".join(unknown)}]
        )  # fmt: skip
    return wanted


def _handler(name: str) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def export(request: web.Request) -> web.Response:
        require(request, Role.supervisor)
        hub = request.app[HUB]
        query = validate(ExportQuery, query_values(request.query), "query")
        assert isinstance(query, ExportQuery)
        columns = _columns(name, query.columns)
        async with hub.db.sessions() as session:
            report = await build_report(session, query.request(name, hub.clock()))
        header, rows = table(report, columns)
        file_name = f"report-{name}-{hub.clock():%Y-%m-%d}.{query.format}"
        headers = {
            "Content-Disposition": content_disposition(file_name),
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": "no-store",
        }
        if query.format == "xlsx":
            data = await asyncio.to_thread(xlsx_bytes, name, header, rows)
            return web.Response(body=data, headers={**headers, "Content-Type": XLSX_MIME})
        text = csv_lines([header, *rows], bom=True)
        return web.Response(
            body=text.encode("utf-8"), headers={**headers, "Content-Type": CSV_MIME}
        )

    export.__name__ = f"export_report_{name}"
    return export


def setup(app: web.Application) -> None:
    for name in COLUMNS:
        app.router.add_get(f"{API_PREFIX}/reports/{name}/export", _handler(name))


def _doc(name: str) -> dict[str, Any]:
    return {
        "get": {
            "tags": ["reports"],
            "summary": f"Export the {name} report's table as the page shows it, as CSV "
            "(UTF-8 with BOM, `;`) or XLSX",
            "x-okno-role": "supervisor",
            "parameters": [
                {
                    "name": "format",
                    "in": "query",
                    "schema": {"type": "string", "enum": ["csv", "xlsx"], "default": "csv"},
                },
                {"name": "columns", "in": "query", "schema": {"type": "string"}},
            ],
            "responses": {
                "200": {
                    "description": "The file, as a download.",
                    "content": {"text/csv": {}, XLSX_MIME: {}},
                },
                "401": {"description": "Not logged in.", "content": {"application/json": {}}},
                "403": {"description": "Not a supervisor.", "content": {"application/json": {}}},
                "422": {
                    "description": "A parameter is not valid.",
                    "content": {"application/json": {}},
                },
            },
        }
    }


OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    f"/api/v1/reports/{name}/export": _doc(name) for name in COLUMNS
}
