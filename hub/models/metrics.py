"""Metric facts: the narrow table every report figure is read from (docs/metrics.md).

One row per figure a conversation or a call contributes to (a request, a first response, a
resolution, a call's wait, …), derived from the stored rows by `hub.queries.metric_sources`
and written in the transaction that changed those rows, so a report never reads messages.
Rows carry no foreign keys: they are derived data, replaced whole per conversation or call,
and `okno metrics rebuild` recomputes them from the source rows.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Float, Index, Integer, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UtcDateTime

# A call fact of a call some of whose times are estimates (calls.resynced).
FLAG_INEXACT = 1
# The zone whose local days the roll-ups (MetricDay) are: the reports' default zone. A report
# asked in another zone reads the facts.
ROLLUP_TZ = "Europe/Moscow"


class MetricFact(Base):
    __tablename__ = "metric_facts"
    __table_args__ = (
        # A report: the facts of some kinds over a period of cohort instants.
        Index("ix_metric_facts_kind_cohort", "kind", "cohort_at"),
        # Refreshing the facts of one conversation or call.
        Index("ix_metric_facts_subject", "subject_id", "kind"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # The figure this row counts in: requests, frt, nrt, resolution, calls, wait, talk, …
    kind: Mapped[str] = mapped_column(String(20))
    # The conversation's or the call's id (conversation and call kinds never overlap).
    subject_id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"))
    # The instant that puts it in a period and a day: the conversation's creation, the call's
    # start (the report's cohort rule).
    cohort_at: Mapped[datetime] = mapped_column(UtcDateTime)
    # When the measured thing happened (the response, the close, the call's start).
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime)
    team_id: Mapped[int | None] = mapped_column(Integer)
    channel_id: Mapped[int] = mapped_column(Integer)
    # The operator the figure is credited to (docs/metrics.md, "Operator grouping").
    operator_id: Mapped[int | None] = mapped_column(Integer)
    # Seconds in calendar time and in working time (null for a count-only kind).
    value_s: Mapped[float | None] = mapped_column(Float)
    work_s: Mapped[float | None] = mapped_column(Float)
    flags: Mapped[int] = mapped_column(Integer, default=0)


class MetricDay(Base):
    """Daily roll-ups of the metric facts: per local day (in ROLLUP_TZ, the reports' zone),
    kind, team, channel, operator and flags, how many facts and the sums of their seconds.

    Kept in the transaction that replaces the facts (hub/actions/metric_facts.py adds the
    difference) and derived again from the facts by a rebuild. Sums are whole microseconds,
    so adding and taking away in any order gives exactly what a rebuild sums. A missing team
    or operator is 0 (ids start at 1), so the key is a plain primary key an upsert can name."""

    __tablename__ = "metric_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flags: Mapped[int] = mapped_column(Integer, primary_key=True)
    # Facts of the key; those of them with a value, and its sum; with a working time, and its.
    facts: Mapped[int] = mapped_column(BigInteger)
    value_facts: Mapped[int] = mapped_column(BigInteger)
    value_us: Mapped[int] = mapped_column(BigInteger)
    work_facts: Mapped[int] = mapped_column(BigInteger)
    work_us: Mapped[int] = mapped_column(BigInteger)


class MetricBin(Base):
    """Per-day value histograms of the metric facts: per roll-up key (MetricDay's), measure
    (0: calendar seconds `value_s`, 1: working seconds `work_s`) and value bin, how many
    facts have a value in that bin. The p50/p90 and the threshold counts of whole days are
    read from these (docs/metrics.md, "Percentiles from per-day histograms").

    `bin` is the value in tenths of a second kept to 3 significant digits
    (`hub.queries.metrics_common.value_bin`): every value of a bin is ranked as that value,
    by the facts' path as well, so both give the same figures. Kept and rebuilt like
    MetricDay; a bin whose facts all went stays at 0."""

    __tablename__ = "metric_bins"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20), primary_key=True)
    team_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    operator_id: Mapped[int] = mapped_column(Integer, primary_key=True)
    flags: Mapped[int] = mapped_column(Integer, primary_key=True)
    measure: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    bin: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    # A 4-byte count: its sum is a bigint, not a numeric (a report sums 100,000s of them).
    facts: Mapped[int] = mapped_column(Integer)
