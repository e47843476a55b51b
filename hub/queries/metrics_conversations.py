"""The conversation report: requests, handled, first/next response, resolution, queue wait,
handling time and reopen rate, in calendar and working time (formulas: docs/metrics.md).

Read from the metric facts (hub/queries/metric_sources.py derives them from conversations,
messages and the event log, in the transaction of each change): one statement per report,
which never reads the messages. On PostgreSQL the database counts and ranks them; elsewhere,
and for a drill-down (which needs the ids), the facts themselves are read and grouped here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .metric_reads import FactFilter, FactRow, KindStats, fact_rows, fact_stats, is_postgresql
from .metric_sources import CONVERSATION_KINDS, DURATIONS
from .metrics_common import Bucket, Buckets, Period, share, time_key


@dataclass(frozen=True)
class Filters:
    team_id: int | None = None
    channel_id: int | None = None
    operator_id: int | None = None


KeyOf = Callable[[FactRow], str]


def key_function(group_by: str, tz: str) -> KeyOf:
    """The group key of a fact: its conversation's day or week, team or channel, or the
    operator the figure is credited to."""
    if group_by in ("day", "week"):
        return lambda fact: time_key(fact.cohort_at, group_by, tz)
    if group_by == "operator":
        return lambda fact: "none" if fact.operator_id is None else str(fact.operator_id)
    if group_by == "team":
        return lambda fact: "none" if fact.team_id is None else str(fact.team_id)
    if group_by == "channel":
        return lambda fact: str(fact.channel_id)
    return lambda _: "all"


def _fill(facts: list[FactRow], key_of: KeyOf) -> Buckets:
    buckets = Buckets()
    for fact in facts:
        bucket = buckets(key_of(fact))
        if fact.kind in DURATIONS:
            bucket.add(fact.kind, fact.subject_id, fact.value_s)
            bucket.add(f"{fact.kind}_work", fact.subject_id, fact.work_s)
        else:
            bucket.add(fact.kind, fact.subject_id)
    return buckets


def _stats_bucket(key: str, kinds: dict[str, KindStats]) -> Bucket:
    bucket = Bucket(key, {}, {})
    for kind, found in kinds.items():
        bucket.stats[kind] = found.value
        if kind in DURATIONS and found.work is not None:
            bucket.stats[f"{kind}_work"] = found.work
    return bucket


def figures_of(bucket: Bucket) -> dict[str, Any]:
    count = {name: bucket.count(name) for name in ("requests", "handled")}
    reopened = bucket.count("reopened")
    closed_once = bucket.count("closed_once")
    found: dict[str, Any] = {
        **count,
        "handled_share": share(count["handled"], count["requests"]),
        "reopened": reopened,
        "reopen_rate": share(reopened, closed_once),
    }
    for name in DURATIONS:
        found.update(bucket.durations(name))
        found.update(bucket.durations(f"{name}_work"))
    return found


@dataclass(frozen=True)
class ConversationReport:
    rows: list[Bucket]
    total: Bucket


async def conversation_report(
    session: AsyncSession,
    period: Period,
    group_by: str,
    filters: Filters,
    members: bool = False,
) -> ConversationReport:
    """The report's rows and total; `members`: with the conversation ids behind each figure
    (a drill-down), which means reading the facts rather than only their statistics."""
    chosen = FactFilter(filters.team_id, filters.channel_id, filters.operator_id)
    if is_postgresql(session) and not members:
        grouped, total = await fact_stats(
            session, period, CONVERSATION_KINDS, chosen, group_by, with_work=True
        )
        rows = [_stats_bucket(key, grouped[key]) for key in sorted(grouped)]
        return ConversationReport(rows, _stats_bucket("all", total))
    facts = await fact_rows(session, period, CONVERSATION_KINDS, chosen)
    all_rows = _fill(facts, key_function("none", period.tz)).rows()
    return ConversationReport(
        _fill(facts, key_function(group_by, period.tz)).rows(),
        all_rows[0] if all_rows else Bucket("all", {}, {}),
    )
