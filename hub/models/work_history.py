"""What operators and managers did over time, stored as it happens: presence intervals,
conversation holdings (for occupancy), and the supervisor's monthly plan per manager."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Date, Float, ForeignKey, Index, Integer, Numeric, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UtcDateTime, utcnow
from .people import Presence, _enum


class PresenceInterval(Base):
    """One stretch of a person's presence: `[started_at, ended_at)`; the current one is open
    (`ended_at` null). Written by `set_presence` as the change happens, so the time online
    and away over any period is known afterwards (the users row keeps only the present)."""

    __tablename__ = "presence_intervals"
    # A report's period: a person's intervals by start (overlap = start < end, end > start).
    __table_args__ = (Index("ix_presence_intervals_user_started", "user_id", "started_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    presence: Mapped[Presence] = mapped_column(_enum(Presence, "presence"))
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ConversationHolding(Base):
    """A conversation held by an operator while open: from assignment until it is closed,
    handed to someone else or put back in the queue. `weight` is the conversation's share of
    the operator's capacity at the time (a call takes all of it)."""

    __tablename__ = "conversation_holdings"
    __table_args__ = (
        Index("ix_conversation_holdings_user_started", "user_id", "started_at"),
        # Ending the current holding of a conversation finds it by conversation.
        Index("ix_conversation_holdings_conversation", "conversation_id", "ended_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ManagerPlan(Base):
    """The supervisor's plan for one manager and one calendar month («Управление
    показателями»): the sum of won deals, and optionally their number. `month` is the
    month's first day."""

    __tablename__ = "manager_plans"
    __table_args__ = (UniqueConstraint("user_id", "month"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    month: Mapped[date] = mapped_column(Date)
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    deals: Mapped[int | None] = mapped_column(Integer)
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
