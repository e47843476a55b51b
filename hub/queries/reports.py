"""Reports as the API, the page and the exports show them: the figures of each group with
its label, the total, and the conversations or calls behind any number (drill-down).

The rows come from metrics_conversations / metrics_calls, over the stored metric facts; this
module only names the groups and picks the columns, so what the page shows, what a drill-down
lists and what an export writes are one set of facts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Call, Channel, Contact, Conversation, Team, User

from .metrics_calls import CallSettings, call_figures_of, call_report
from .metrics_common import METRICS_VERSION, Bucket, Period
from .metrics_conversations import Filters, conversation_report, figures_of
from .shapes import Shape, Timestamp

ReportName = Literal["conversations", "calls"]
# Drill-downs list at most this many rows (the newest first); the count says how many in all.
DRILL_LIMIT = 500

# The columns of each report, in the page's order (figures_of / call_figures_of keys).
COLUMNS: dict[str, tuple[str, ...]] = {
    "conversations": (
        "requests", "handled", "handled_share", "frt_p50", "frt_p90", "frt_work_p50",
        "frt_work_p90", "frt_assigned_p50", "nrt_p50", "nrt_p90", "nrt_work_p50",
        "resolution_p50", "resolution_p90", "resolution_work_p50", "queue_wait_p50",
        "queue_wait_p90", "handling_p50", "reopened", "reopen_rate", "frt_avg", "nrt_avg",
        "resolution_avg", "queue_wait_avg", "handling_avg", "sla_breached", "sla_breaches",
    ),
    "calls": (
        "calls", "answered", "missed", "abandoned", "short_abandoned", "service_level",
        "answered_within", "called_back", "callback_rate", "wait_p50", "wait_p90",
        "talk_p50", "talk_p90", "talk_total", "wait_avg", "talk_avg", "inexact",
    ),
}  # fmt: skip
# Which member set a column's drill-down lists (a duration lists who has a value).
_DRILL_SETS = {
    "handled_share": "handled",
    "reopen_rate": "closed_once",
    "service_level": "answered_within",
    "callback_rate": "called_back",
    "talk_total": "talk",
    "sla_breaches": "sla_breached",
}


def drill_set(column: str) -> str:
    if column in _DRILL_SETS:
        return _DRILL_SETS[column]
    for suffix in ("_p50", "_p90", "_avg"):
        if column.endswith(suffix):
            return column.removesuffix(suffix)
    return column


class ReportRow(Shape):
    key: str
    # The operator's, team's or channel's name; null for "nobody" / "no team" (the page
    # words it in its language); the day or week itself for time groups.
    label: str | None
    figures: dict[str, float | int | None]


class ReportOut(Shape):
    report: str
    version: int
    start: Timestamp
    end: Timestamp
    tz: str
    group_by: str
    columns: list[str]
    rows: list[ReportRow]
    total: ReportRow


@dataclass(frozen=True)
class ReportRequest:
    name: str
    period: Period
    group_by: str
    filters: Filters
    calls: CallSettings


async def _buckets(
    session: AsyncSession, request: ReportRequest, members: bool = False
) -> tuple[list[Bucket], Bucket]:
    """The rows and the total; `members`: with the ids behind each figure (a drill-down)."""
    if request.name == "calls":
        calls = await call_report(session, request.period, request.group_by, request.calls, members)
        return calls.rows, calls.total
    found = await conversation_report(
        session, request.period, request.group_by, request.filters, members
    )
    return found.rows, found.total


async def _labels(session: AsyncSession, group_by: str, keys: list[str]) -> dict[str, str]:
    ids = [int(k) for k in keys if k.isdigit()]
    if group_by in ("day", "week", "none"):
        return {k: k for k in keys}
    if not ids:
        return {}
    if group_by == "operator":
        stmt = select(User.id, User.name).where(User.id.in_(ids))
    elif group_by == "team":
        stmt = select(Team.id, Team.name).where(Team.id.in_(ids))
    else:
        stmt = select(Channel.id, Channel.title).where(Channel.id.in_(ids))
    return {str(row_id): name for row_id, name in (await session.execute(stmt)).all()}


async def build_report(session: AsyncSession, request: ReportRequest) -> ReportOut:
    rows, total = await _buckets(session, request)
    figures = call_figures_of if request.name == "calls" else figures_of
    columns = COLUMNS[request.name]
    labels = await _labels(session, request.group_by, [row.key for row in rows])

    def shown(bucket: Bucket, label: str | None, key: str | None = None) -> ReportRow:
        values = figures(bucket)
        return ReportRow(
            key=key or bucket.key, label=label, figures={c: values[c] for c in columns}
        )

    return ReportOut(
        report=request.name,
        version=METRICS_VERSION,
        start=request.period.start.isoformat(),
        end=request.period.end.isoformat(),
        tz=request.period.tz,
        group_by=request.group_by,
        columns=list(columns),
        rows=[shown(row, labels.get(row.key)) for row in rows],
        # Its key is what a drill-down of the total asks for.
        total=shown(total, None, "total"),
    )


class DrillItem(Shape):
    id: int
    kind: Literal["conversation", "call"]
    at: Timestamp
    # The client's name (conversation) or number (call).
    client: str | None
    channel: str
    operator: str | None
    state: str
    # Where the workspace opens it (a call's own conversation, when it has one).
    conversation_id: int | None


class DrillOut(Shape):
    report: str
    version: int
    key: str
    column: str
    count: int
    items: list[DrillItem]


async def _conversation_items(session: AsyncSession, ids: list[int]) -> list[DrillItem]:
    stmt = (
        select(
            Conversation.id,
            Conversation.created_at,
            Contact.name,
            Channel.title,
            User.name,
            Conversation.status,
        )
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .outerjoin(User, User.id == Conversation.assignee_id)
        .where(Conversation.id.in_(ids))
        .order_by(Conversation.created_at.desc(), Conversation.id.desc())
    )
    return [
        DrillItem(
            id=row_id, kind="conversation", at=at.isoformat(), client=client,
            channel=channel, operator=operator, state=str(status.value),
            conversation_id=row_id,
        )
        for row_id, at, client, channel, operator, status in (await session.execute(stmt)).all()
    ]  # fmt: skip


async def _call_items(session: AsyncSession, ids: list[int]) -> list[DrillItem]:
    stmt = (
        select(
            Call.id,
            Call.started_at,
            Call.client_number,
            Channel.title,
            User.name,
            Call.outcome,
            Call.conversation_id,
        )
        .join(Channel, Channel.id == Call.channel_id)
        .outerjoin(User, User.id == Call.answered_by_user_id)
        .where(Call.id.in_(ids))
        .order_by(Call.started_at.desc(), Call.id.desc())
    )
    return [
        DrillItem(
            id=row_id, kind="call", at=at.isoformat(), client=number, channel=channel,
            operator=operator, state="" if outcome is None else str(outcome.value),
            conversation_id=conversation_id,
        )
        for row_id, at, number, channel, operator, outcome, conversation_id
        in (await session.execute(stmt)).all()
    ]  # fmt: skip


async def drill_down(
    session: AsyncSession, request: ReportRequest, key: str, column: str
) -> DrillOut | None:
    """What `column` of the row `key` ("total" for the total) was computed from; None when
    the report has no such column."""
    if column not in COLUMNS[request.name]:
        return None
    rows, total = await _buckets(session, request, members=True)
    bucket = total if key == "total" else next((r for r in rows if r.key == key), None)
    ids: set[int] = set() if bucket is None else bucket.members.get(drill_set(column), set())
    newest = sorted(ids, reverse=True)[:DRILL_LIMIT]
    items_of = _call_items if request.name == "calls" else _conversation_items
    items: list[Any] = await items_of(session, newest) if newest else []
    return DrillOut(
        report=request.name, version=METRICS_VERSION, key=key, column=column,
        count=len(ids), items=items,
    )  # fmt: skip
