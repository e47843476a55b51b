"""Absences: who is away (vacation, sick leave, a business trip, a day off) and when, so the
calendar and the meeting planner treat the person as busy for it."""

from __future__ import annotations

import enum
from datetime import date, datetime, time

from sqlalchemy import Date, ForeignKey, Index, Integer, Text, Time
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UtcDateTime, utcnow
from .people import _enum


class AbsenceKind(enum.StrEnum):
    vacation = "vacation"  # отпуск
    sick_leave = "sick_leave"  # больничный
    business_trip = "business_trip"  # командировка
    day_off = "day_off"  # отгул
    other = "other"  # другое


class Absence(Base):
    """Whole days `starts_on`..`ends_on` (inclusive) on the user's own wall clock; a time
    narrows the first day (from `starts_at`) or the last one (until `ends_at`), so «отгул
    после обеда» is one row. Dates, not instants: a vacation stays on its days whatever time
    zone the reader is in; free/busy places it in the absent user's zone."""

    __tablename__ = "absences"
    # Both lookups (a person's overlap check, the calendar's range) go by user and end date.
    __table_args__ = (Index("ix_absences_user_id_ends_on", "user_id", "ends_on"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[AbsenceKind] = mapped_column(_enum(AbsenceKind, "absence_kind"))
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    starts_at: Mapped[time | None] = mapped_column(Time)
    ends_at: Mapped[time | None] = mapped_column(Time)
    note: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Optimistic lock, as on activities: an edit names the version it started from.
    version: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
