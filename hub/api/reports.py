"""Reports for supervisors: `GET /api/v1/reports/{conversations,calls}` (figures per group
with the formula version), `…/drill` (the conversations or calls behind one number) and
`…/export?format=csv|xlsx` (report_export.py); `GET /api/v1/board`, the live board's state.
Formulas: docs/metrics.md."""

from __future__ import annotations

from hub.models import Role
from hub.policy import NotFound
from hub.queries.board import BoardOut, board_state
from hub.queries.reports import DrillOut, ReportOut, build_report, drill_down

from .registry import ApiCall, RouteTable
from .report_schemas import BoardQuery, DrillQuery, ReportQuery

routes = RouteTable("reports")


async def _report(call: ApiCall[ReportQuery, None], name: str) -> ReportOut:
    async with call.hub.db.sessions() as session:
        return await build_report(session, call.query.request(name, call.hub.clock()))


async def _drill(call: ApiCall[DrillQuery, None], name: str) -> DrillOut:
    query = call.query
    async with call.hub.db.sessions() as session:
        found = await drill_down(
            session, query.request(name, call.hub.clock()), query.key, query.column
        )
    if found is None:
        raise NotFound("no-such-figure", "The report has no such figure.", {"column": query.column})
    return found


@routes.get(
    "/reports/conversations",
    summary="Requests, handled, first/next response, resolution, queue wait, handling time "
    "and reopen rate per group, in calendar and working time",
    query=ReportQuery,
    response=ReportOut,
    role=Role.supervisor,
)
async def conversations_report(call: ApiCall[ReportQuery, None]) -> ReportOut:
    return await _report(call, "conversations")


@routes.get(
    "/reports/calls",
    summary="Inbound calls: answered, missed, abandoned, service level, called back, wait and "
    "talk time per group",
    query=ReportQuery,
    response=ReportOut,
    role=Role.supervisor,
)
async def calls_report(call: ApiCall[ReportQuery, None]) -> ReportOut:
    return await _report(call, "calls")


@routes.get(
    "/reports/conversations/drill",
    summary="The conversations one number of the conversation report was computed from",
    query=DrillQuery,
    missing=True,  # no-such-figure: a column the report does not have
    response=DrillOut,
    role=Role.supervisor,
)
async def conversations_drill(call: ApiCall[DrillQuery, None]) -> DrillOut:
    return await _drill(call, "conversations")


@routes.get(
    "/reports/calls/drill",
    summary="The calls one number of the call report was computed from",
    query=DrillQuery,
    missing=True,  # no-such-figure: a column the report does not have
    response=DrillOut,
    role=Role.supervisor,
)
async def calls_drill(call: ApiCall[DrillQuery, None]) -> DrillOut:
    return await _drill(call, "calls")


@routes.get(
    "/board",
    summary="The live board: queue, today's response times, waits near or past their target, "
    "operators in rotation with their load, today's lost calls",
    query=BoardQuery,
    response=BoardOut,
    role=Role.supervisor,
)
async def live_board(call: ApiCall[BoardQuery, None]) -> BoardOut:
    query = call.query
    async with call.hub.db.sessions() as session:
        return await board_state(session, call.hub.clock(), query.team, query.channel, query.tz)
