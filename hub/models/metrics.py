"""Metric facts: the narrow table every report figure is read from (docs/metrics.md).

One row per figure a conversation or a call contributes to (a request, a first response, a
resolution, a call's wait, …), derived from the stored rows by `hub.queries.metric_sources`
and written in the transaction that changed those rows, so a report never reads messages.
Rows carry no foreign keys: they are derived data, replaced whole per conversation or call,
and `okno metrics rebuild` recomputes them from the source rows.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Float, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UtcDateTime

# A call fact of a call whose end is only known to lie in an interval (calls.resynced).
FLAG_INEXACT = 1


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
