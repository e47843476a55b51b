"""The managers' report as the API, the page and the exports show it: one row per person
(formulas: docs/metrics.md, «Managers»), shaped like the other reports (hub/queries/reports.py)
so the page, the CSV/XLSX export and the API share one computation."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from .metrics_common import METRICS_VERSION, Period
from .metrics_managers import MANAGER_COLUMNS, ManagerFilters, manager_figures, manager_report
from .reports import ReportOut, ReportRow


async def build_manager_report(
    session: AsyncSession, period: Period, filters: ManagerFilters, now: datetime
) -> ReportOut:
    found = await manager_report(session, period, filters, now)
    return ReportOut(
        report="managers",
        version=METRICS_VERSION,
        start=period.start.isoformat(),
        end=period.end.isoformat(),
        tz=period.tz,
        # One row per person, whatever grouping the page had chosen for other reports.
        group_by="operator",
        columns=list(MANAGER_COLUMNS),
        rows=[
            ReportRow(key=str(person.id), label=person.name, figures=manager_figures(tally))
            for person, tally in found.rows
        ],
        total=ReportRow(key="total", label=None, figures=manager_figures(found.total)),
    )
