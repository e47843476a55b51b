"""The conversation report: requests, handled, first/next response, resolution, queue wait,
handling time, reopen rate and SLA breaches; durations in calendar and working time
(formulas: docs/metrics.md).

Read from the metric facts (hub/queries/metric_sources.py derives them from conversations,
messages and the event log, in the transaction of each change): one statement per report,
which never reads the messages. Over whole days the daily roll-ups and histograms give every
figure; otherwise on PostgreSQL the database counts and ranks the facts; elsewhere, and for a
drill-down (which needs the ids), the facts themselves are read and grouped here.
SLA breaches are rows of their own (`sla_breaches`, written by the SLA check with its event):
one grouped statement over them and their conversations adds them to the same rows.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Conversation, SlaBreach

from .metric_reads import FactFilter, FactRow, KindStats, fact_rows, fact_stats, is_postgresql
from .metric_rollups import bin_stats, day_sums, merged, rollup_days
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


def stats_bucket(key: str, kinds: dict[str, KindStats]) -> Bucket:
    bucket = Bucket(key, {}, {})
    for kind, found in kinds.items():
        bucket.stats[kind] = found.value
        if kind in DURATIONS and found.work is not None:
            bucket.stats[f"{kind}_work"] = found.work
    return bucket


async def _breaches(session: AsyncSession, period: Period, filters: Filters) -> list[FactRow]:
    """Per conversation of the period's cohort with SLA breaches, a fact-shaped row whose
    value is how many (keyed like the conversation's `requests`: its day, team, channel and
    the operator holding it)."""
    where = [Conversation.created_at >= period.start, Conversation.created_at < period.end]
    if filters.team_id is not None:
        where.append(Conversation.team_id == filters.team_id)
    if filters.channel_id is not None:
        where.append(Conversation.channel_id == filters.channel_id)
    if filters.operator_id is not None:
        where.append(Conversation.assignee_id == filters.operator_id)
    stmt = (
        select(
            Conversation.id,
            Conversation.created_at,
            Conversation.team_id,
            Conversation.channel_id,
            Conversation.assignee_id,
            func.count(),
        )
        .join(SlaBreach, SlaBreach.conversation_id == Conversation.id)
        .where(*where)
        .group_by(
            Conversation.id,
            Conversation.created_at,
            Conversation.team_id,
            Conversation.channel_id,
            Conversation.assignee_id,
        )
    )
    return [
        FactRow("sla_breached", int(c), at, team, int(channel), operator, float(n), None)
        for c, at, team, channel, operator, n in (await session.execute(stmt)).all()
    ]


def _add_breaches(rows: list[Bucket], breaches: list[FactRow], key_of: KeyOf) -> list[Bucket]:
    """The rows with the breaches added (a group that has only breaches gets its row)."""
    buckets = {bucket.key: bucket for bucket in rows}
    for fact in breaches:
        key = key_of(fact)
        bucket = buckets.get(key) or buckets.setdefault(key, Bucket(key, {}, {}))
        bucket.add("sla_breached", fact.subject_id, fact.value_s)
    return sorted(buckets.values(), key=lambda b: b.key)


def figures_of(bucket: Bucket) -> dict[str, Any]:
    count = {name: bucket.count(name) for name in ("requests", "handled")}
    reopened = bucket.count("reopened")
    closed_once = bucket.count("closed_once")
    found: dict[str, Any] = {
        **count,
        "handled_share": share(count["handled"], count["requests"]),
        "reopened": reopened,
        "reopen_rate": share(reopened, closed_once),
        "sla_breached": bucket.count("sla_breached"),
        "sla_breaches": int(bucket.total("sla_breached")),
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
    use_rollups: bool = True,
    ranked: Sequence[str] = DURATIONS,
    with_breaches: bool = True,
) -> ConversationReport:
    """The report's rows and total; `members`: with the conversation ids behind each figure
    (a drill-down), which means reading the facts rather than only their statistics.
    `use_rollups=False`: every figure from the facts (what the roll-ups are checked against);
    `ranked`: the durations whose percentiles are wanted (ranked over their facts; the others
    get only their counts and averages, from the roll-ups); `with_breaches=False`: no SLA
    breach figures (0), one statement less (the board shows none)."""
    chosen = FactFilter(filters.team_id, filters.channel_id, filters.operator_id)
    breaches = await _breaches(session, period, filters) if with_breaches else []
    days = None if members or not use_rollups else rollup_days(period)
    if days is not None:
        # Counts and sums from the daily roll-ups; the percentiles from the per-day
        # histograms of the duration kinds: no fact is read.
        sums = await day_sums(session, days, CONVERSATION_KINDS, chosen, group_by)
        ranks, ranks_total = await bin_stats(session, days, ranked, chosen, group_by, True)
        rows = [
            stats_bucket(key, merged(kinds, ranks.get(key, {}), with_work=True))
            for key, kinds in sorted(sums.grouped.items())
        ]
        totals = [stats_bucket("all", merged(sums.total, ranks_total, with_work=True))]
    elif is_postgresql(session) and not members:
        grouped, total = await fact_stats(
            session, period, CONVERSATION_KINDS, chosen, group_by, with_work=True
        )
        rows = [stats_bucket(key, grouped[key]) for key in sorted(grouped)]
        totals = [stats_bucket("all", total)]
    else:
        facts = await fact_rows(session, period, CONVERSATION_KINDS, chosen)
        rows = _fill(facts, key_function(group_by, period.tz)).rows()
        totals = _fill(facts, key_function("none", period.tz)).rows() or [Bucket("all", {}, {})]
    return ConversationReport(
        _add_breaches(rows, breaches, key_function(group_by, period.tz)),
        _add_breaches(totals, breaches, key_function("none", period.tz))[0],
    )
