"""The call report: answered, missed, abandoned, short abandons, wait and talk time, service
level and calls called back (formulas: docs/metrics.md).

One set-based query: the cohort of finished inbound calls, each with the start of the first
later call with the same number that went through (our call back, or an answered call of
theirs), found by a correlated MIN over the calls' client-number index.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.models import Call, CallDirection, CallOutcome, Channel

from .metrics_common import Bucket, Buckets, Period, duration_figures, share, time_key

MISSED = (CallOutcome.missed, CallOutcome.busy, CallOutcome.failed)


@dataclass(frozen=True)
class CallSettings:
    team_id: int | None = None
    channel_id: int | None = None
    operator_id: int | None = None
    short_abandon_s: float = 5.0
    service_level_s: float = 20.0
    callback_min: float = 60.0
    # Leave out calls whose end is only known to lie in an interval (the PBX link was down).
    exact_only: bool = False


@dataclass(frozen=True)
class CallRow:
    id: int
    started_at: datetime
    channel_id: int
    outcome: CallOutcome | None
    answered_by: int | None
    wait_s: float | None
    talk_s: float | None
    resynced: bool
    next_through_at: datetime | None


async def _cohort(session: AsyncSession, period: Period, settings: CallSettings) -> list[CallRow]:
    later = aliased(Call)
    next_through = (
        select(func.min(later.started_at))
        .where(
            later.client_number == Call.client_number,
            later.started_at > Call.started_at,
            or_(later.direction == CallDirection.outbound, later.outcome == CallOutcome.answered),
        )
        .scalar_subquery()
    )
    stmt = select(
        Call.id,
        Call.started_at,
        Call.channel_id,
        Call.outcome,
        Call.answered_by_user_id,
        Call.wait_s,
        Call.talk_s,
        Call.resynced,
        next_through,
    ).where(
        Call.started_at >= period.start,
        Call.started_at < period.end,
        Call.direction == CallDirection.inbound,
        Call.outcome.is_not(None),
    )
    if settings.channel_id is not None:
        stmt = stmt.where(Call.channel_id == settings.channel_id)
    if settings.team_id is not None:
        stmt = stmt.where(
            Call.channel_id.in_(select(Channel.id).where(Channel.team_id == settings.team_id))
        )
    if settings.operator_id is not None:
        stmt = stmt.where(Call.answered_by_user_id == settings.operator_id)
    if settings.exact_only:
        stmt = stmt.where(Call.resynced.is_(False))
    return [CallRow(*row) for row in (await session.execute(stmt)).all()]


def call_key_function(
    group_by: str, tz: str, team_of: dict[int, int | None]
) -> Callable[[CallRow], str]:
    if group_by in ("day", "week"):
        return lambda row: time_key(row.started_at, group_by, tz)
    if group_by == "operator":
        return lambda row: "none" if row.answered_by is None else str(row.answered_by)
    if group_by == "team":
        return lambda row: str(team_of.get(row.channel_id) or "none")
    if group_by == "channel":
        return lambda row: str(row.channel_id)
    return lambda _: "all"


def _fill(rows: list[CallRow], key_of: Callable[[CallRow], str], settings: CallSettings) -> Buckets:
    buckets = Buckets()
    for row in rows:
        bucket = buckets(key_of(row))
        bucket.add("calls", row.id)
        if row.resynced:
            bucket.add("inexact", row.id)
        if row.wait_s is not None:
            bucket.add("wait", row.id, row.wait_s)
        if row.outcome is CallOutcome.answered:
            bucket.add("answered", row.id)
            if row.talk_s is not None:
                bucket.add("talk", row.id, row.talk_s)
            if row.wait_s is not None and row.wait_s <= settings.service_level_s:
                bucket.add("answered_within", row.id)
            continue
        if row.outcome is CallOutcome.abandoned:
            bucket.add("abandoned", row.id)
            if row.wait_s is not None and row.wait_s < settings.short_abandon_s:
                bucket.add("short_abandoned", row.id)
        elif row.outcome in MISSED:
            bucket.add("missed", row.id)
        else:
            continue
        bucket.add("lost", row.id)
        deadline = row.started_at + timedelta(minutes=settings.callback_min)
        if row.next_through_at is not None and row.next_through_at <= deadline:
            bucket.add("called_back", row.id)
    return buckets


COUNTS = (
    "calls",
    "answered",
    "missed",
    "abandoned",
    "short_abandoned",
    "answered_within",
    "called_back",
    "inexact",
)


def call_figures_of(bucket: Bucket) -> dict[str, Any]:
    count = {name: len(bucket.members.get(name, ())) for name in COUNTS}
    talk = bucket.values.get("talk", [])
    return {
        **count,
        "service_level": share(count["answered_within"], count["calls"] - count["short_abandoned"]),
        "callback_rate": share(count["called_back"], count["missed"] + count["abandoned"]),
        **duration_figures("wait", bucket.values.get("wait", [])),
        **duration_figures("talk", talk),
        "talk_total": round(sum(talk), 1),
    }


@dataclass(frozen=True)
class CallReport:
    rows: list[Bucket]
    total: Bucket


async def call_report(
    session: AsyncSession,
    period: Period,
    group_by: str,
    settings: CallSettings,
) -> CallReport:
    rows = await _cohort(session, period, settings)
    team_of: dict[int, int | None] = {
        channel: team
        for channel, team in (await session.execute(select(Channel.id, Channel.team_id))).all()
    }
    grouped = _fill(rows, call_key_function(group_by, period.tz, team_of), settings)
    total = _fill(rows, call_key_function("none", period.tz, team_of), settings).rows()
    return CallReport(grouped.rows(), total[0] if total else Bucket("all", {}, {}))
