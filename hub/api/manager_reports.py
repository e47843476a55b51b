"""The managers' report and their plans: `GET /api/v1/reports/managers` (one row per person:
occupancy, answers per hour, activities done, overdue, deals won against the plan, average
deal), `…/drill` (the responses, calls, activities or deals behind a number),
`…/export?format=csv|xlsx`, and `GET`/`PUT /api/v1/manager-plans` (the supervisor's
plan per manager per month). Formulas: docs/metrics.md, «Managers»."""

from __future__ import annotations

import asyncio
from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Any

from aiohttp import web
from pydantic import Field

from hub.actions import manager_plans
from hub.api.web_auth import require
from hub.crm_io.writing import CSV_MIME, XLSX_MIME, csv_lines, xlsx_bytes
from hub.host.appkeys import HUB
from hub.models import Role
from hub.policy import NotFound
from hub.queries.manager_drill import ManagerDrillOut, manager_drill
from hub.queries.manager_plans import PlanList, month_plans
from hub.queries.manager_reports import build_manager_report
from hub.queries.metrics_common import Period, period_of
from hub.queries.metrics_managers import MANAGER_COLUMNS, ManagerFilters
from hub.queries.reports import ReportOut

from .file_wire import content_disposition
from .inputs import Body, Query
from .registry import API_PREFIX, ApiCall, RouteTable, invalid_input, query_values, validate
from .report_export import table
from .report_schemas import DrillQuery, ExportQuery, ReportQuery

routes = RouteTable("reports")

# "2026-12": a calendar month.
MonthText = Annotated[str, Field(pattern=r"^[1-9]\d{3}-(0[1-9]|1[0-2])$", description="YYYY-MM")]
# The largest plan a Numeric(14, 2) holds.
MAX_AMOUNT = Decimal("999999999999.99")


def first_day(month: str) -> date:
    year, number = month.split("-")
    return date(int(year), int(number), 1)


def _period(query: ReportQuery, now: datetime) -> Period:
    return period_of(query.period, now, query.tz, query.from_, query.to)


def _filters(query: ReportQuery) -> ManagerFilters:
    return ManagerFilters(team_id=query.team, operator_id=query.operator)


@routes.get(
    "/reports/managers",
    summary="Per person: time online, occupancy, answers per hour, calls, meetings, e-mails "
    "and messages, activities done and overdue, deals won against the monthly plan, "
    "average deal",
    query=ReportQuery,
    response=ReportOut,
    role=Role.supervisor,
)
async def managers_report(call: ApiCall[ReportQuery, None]) -> ReportOut:
    now = call.hub.clock()
    async with call.hub.db.sessions() as session:
        return await build_manager_report(
            session, _period(call.query, now), _filters(call.query), now
        )


@routes.get(
    "/reports/managers/drill",
    summary="The responses, calls, activities or deals behind one number of one person "
    '(key: the user\'s id) or of the total (key "total")',
    query=DrillQuery,
    response=ManagerDrillOut,
    role=Role.supervisor,
)
async def managers_drill(call: ApiCall[DrillQuery, None]) -> ManagerDrillOut:
    query, now = call.query, call.hub.clock()
    async with call.hub.db.sessions() as session:
        found = await manager_drill(
            session, _period(query, now), _filters(query), now, query.key, query.column
        )
    if found is None:
        raise NotFound(
            "no-such-figure", "The report has no list behind that figure.", {"column": query.column}
        )
    return found


class PlanQuery(Query):
    month: MonthText


class PlanIn(Body):
    month: MonthText
    amount: Decimal | None = Field(
        default=None, ge=0, le=MAX_AMOUNT, decimal_places=2,
        description="The sum of won deals planned; null takes the plan off.",
    )  # fmt: skip
    deals: int | None = Field(default=None, ge=0, le=1_000_000)


@routes.get(
    "/manager-plans",
    summary="Every active person with the month's plan (null: none set)",
    query=PlanQuery,
    response=PlanList,
    role=Role.supervisor,
)
async def get_plans(call: ApiCall[PlanQuery, None]) -> PlanList:
    async with call.hub.db.sessions() as session:
        return await month_plans(session, first_day(call.query.month))


@routes.put(
    "/manager-plans/{user_id}",
    summary="Set (or, with a null amount, take off) one manager's plan for a month",
    body=PlanIn,
    response=PlanList,
    role=Role.supervisor,
)
async def put_plan(call: ApiCall[None, PlanIn]) -> PlanList:
    body, user_id = call.body, call.path_id("user_id")
    month = first_day(body.month)
    if body.amount is None:
        await manager_plans.remove_plan(call.hub, call.principal, user_id, month)
    else:
        await manager_plans.set_plan(
            call.hub, call.principal, user_id, month, body.amount, body.deals
        )
    async with call.hub.db.sessions() as session:
        return await month_plans(session, month)


def _columns(given: str | None) -> list[str]:
    if not given:
        return list(MANAGER_COLUMNS)
    wanted = [c.strip() for c in given.split(",") if c.strip()]
    unknown = [c for c in wanted if c not in MANAGER_COLUMNS]
    if unknown or not wanted:
        raise invalid_input(
            [{"field": "columns", "location": "query", "type": "value_error",
              "message": "unknown columns: " + ", ".join(unknown)}]
        )  # fmt: skip
    return wanted


async def export_managers(request: web.Request) -> web.Response:
    """Exactly the table the page shows: the same computation, its columns, the total last."""
    require(request, Role.supervisor)
    hub = request.app[HUB]
    query = validate(ExportQuery, query_values(request.query), "query")
    assert isinstance(query, ExportQuery)
    columns = _columns(query.columns)
    now = hub.clock()
    async with hub.db.sessions() as session:
        report = await build_manager_report(session, _period(query, now), _filters(query), now)
    header, rows = table(report, columns)
    file_name = f"report-managers-{now:%Y-%m-%d}.{query.format}"
    headers = {
        "Content-Disposition": content_disposition(file_name),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    }
    if query.format == "xlsx":
        data = await asyncio.to_thread(xlsx_bytes, "managers", header, rows)
        return web.Response(body=data, headers={**headers, "Content-Type": XLSX_MIME})
    text = csv_lines([header, *rows], bom=True)
    return web.Response(body=text.encode("utf-8"), headers={**headers, "Content-Type": CSV_MIME})


def setup(app: web.Application) -> None:
    app.router.add_get(f"{API_PREFIX}/reports/managers/export", export_managers)


OPENAPI_PATHS: dict[str, dict[str, Any]] = {
    "/api/v1/reports/managers/export": {
        "get": {
            "tags": ["reports"],
            "summary": "Export the managers' report's table as the page shows it, as CSV "
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
                "200": {"description": "The file.", "content": {"text/csv": {}, XLSX_MIME: {}}},
                "401": {"description": "Not logged in.", "content": {"application/json": {}}},
                "403": {"description": "Not a supervisor.", "content": {"application/json": {}}},
                "422": {
                    "description": "A parameter is not valid.",
                    "content": {"application/json": {}},
                },
            },
        }
    }
}
