"""The call report: answered, missed, abandoned, short abandons, wait and talk time, service
level and calls called back (formulas: docs/metrics.md).

Read from the metric facts (hub/queries/metric_sources.py derives them from the calls): each
finished inbound call has a `calls` fact, `wait`/`talk` with its seconds, its outcome's fact,
and — lost — the seconds until the number's next call went through. The thresholds a report
is asked with (short abandon, service level, call-back window) apply to those values here, so
they need no facts of their own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .metric_reads import (
    FactFilter,
    FactRow,
    KindStats,
    Thresholds,
    fact_rows,
    fact_stats,
    is_postgresql,
)
from .metric_rollups import bin_stats, day_sums, merged, rollup_days
from .metric_sources import CALL_KINDS
from .metrics_common import Bucket, Buckets, Period, Stat, binned, share, time_key


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


def call_key_function(group_by: str, tz: str) -> Callable[[FactRow], str]:
    if group_by in ("day", "week"):
        return lambda fact: time_key(fact.cohort_at, group_by, tz)
    if group_by == "operator":
        return lambda fact: "none" if fact.operator_id is None else str(fact.operator_id)
    if group_by == "team":
        return lambda fact: "none" if fact.team_id is None else str(fact.team_id)
    if group_by == "channel":
        return lambda fact: str(fact.channel_id)
    return lambda _: "all"


def _fill(
    facts: list[FactRow], key_of: Callable[[FactRow], str], settings: CallSettings
) -> Buckets:
    buckets = Buckets()
    for fact in facts:
        bucket = buckets(key_of(fact))
        value = fact.value_s
        bucket.add(fact.kind, fact.subject_id, value if fact.kind in ("wait", "talk") else None)
        if value is None:
            continue
        # Held against the thresholds as its bin has it, as the histograms are.
        value = binned(value)
        if fact.kind == "answered" and value <= settings.service_level_s:
            bucket.add("answered_within", fact.subject_id)
        elif fact.kind == "abandoned" and value < settings.short_abandon_s:
            bucket.add("short_abandoned", fact.subject_id)
        elif fact.kind == "lost" and value <= settings.callback_min * 60:
            bucket.add("called_back", fact.subject_id)
    return buckets


def call_stats_bucket(key: str, kinds: dict[str, KindStats]) -> Bucket:
    bucket = Bucket(key, {}, {})
    for kind, found in kinds.items():
        bucket.stats[kind] = found.value
    if "answered" in kinds:
        bucket.stats["answered_within"] = Stat(kinds["answered"].within)
    if "abandoned" in kinds:
        bucket.stats["short_abandoned"] = Stat(kinds["abandoned"].below)
    if "lost" in kinds:
        bucket.stats["called_back"] = Stat(kinds["lost"].within_long)
    return bucket


# The kinds whose values a report ranks or holds against its thresholds.
RANKED = ("wait", "talk", "answered", "abandoned", "lost")

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
    count = {name: bucket.count(name) for name in COUNTS}
    return {
        **count,
        "service_level": share(count["answered_within"], count["calls"] - count["short_abandoned"]),
        "callback_rate": share(count["called_back"], count["missed"] + count["abandoned"]),
        **bucket.durations("wait"),
        **bucket.durations("talk"),
        "talk_total": round(bucket.total("talk"), 1),
    }


@dataclass(frozen=True)
class CallReport:
    rows: list[Bucket]
    total: Bucket


def thresholds(settings: CallSettings) -> Thresholds:
    """The bounds the call figures hold the stored values against."""
    return Thresholds(
        below=settings.short_abandon_s,
        within=settings.service_level_s,
        within_long=settings.callback_min * 60,
    )


async def call_report(
    session: AsyncSession,
    period: Period,
    group_by: str,
    settings: CallSettings,
    members: bool = False,
    use_rollups: bool = True,
    ranked: Sequence[str] = RANKED,
) -> CallReport:
    """The report's rows and total; `members`: with the call ids behind each figure;
    `use_rollups=False`: every figure from the facts; `ranked`: the kinds of RANKED whose
    percentiles or threshold counts are wanted (the others: counts and averages only)."""
    chosen = FactFilter(
        settings.team_id, settings.channel_id, settings.operator_id, settings.exact_only
    )
    bounds = thresholds(settings)
    days = None if members or not use_rollups else rollup_days(period)
    if days is not None:
        # Counts and sums from the roll-ups; percentiles and the counts under the thresholds
        # the report is asked with from the histograms of the kinds that carry those values.
        sums = await day_sums(session, days, CALL_KINDS, chosen, group_by)
        ranks, ranks_total = await bin_stats(
            session, days, ranked, chosen, group_by, with_work=False, bounds=bounds
        )
        rows = [
            call_stats_bucket(key, merged(kinds, ranks.get(key, {}), with_work=False))
            for key, kinds in sorted(sums.grouped.items())
        ]
        return CallReport(rows, call_stats_bucket("all", merged(sums.total, ranks_total, False)))
    if is_postgresql(session) and not members:
        grouped, total = await fact_stats(
            session, period, CALL_KINDS, chosen, group_by, with_work=False, bounds=bounds
        )
        rows = [call_stats_bucket(key, grouped[key]) for key in sorted(grouped)]
        return CallReport(rows, call_stats_bucket("all", total))
    facts = await fact_rows(session, period, CALL_KINDS, chosen)
    total_rows = _fill(facts, call_key_function("none", period.tz), settings).rows()
    return CallReport(
        _fill(facts, call_key_function(group_by, period.tz), settings).rows(),
        total_rows[0] if total_rows else Bucket("all", {}, {}),
    )
