"""SLA targets («цели SLA») and their breaches.

A policy holds the targets of the conversations of one team and/or channel: first response,
next response and resolution, each in calendar or working time. The most specific policy
wins (team and channel, then team, then channel, then the company-wide one), so there is at
most one per scope (`scope_key`). A breach is a fact: one row per conversation, measure and
episode (the wait or the conversation it is about), written with its event.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UtcDateTime, utcnow


def scope_key(team_id: int | None, channel_id: int | None) -> str:
    """One key per scope, NULLs included (a plain unique index lets NULLs repeat)."""
    return f"team:{team_id or '*'}/channel:{channel_id or '*'}"


class SlaPolicy(Base):
    __tablename__ = "sla_policies"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    channel_id: Mapped[int | None] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    scope_key: Mapped[str] = mapped_column(String(80), unique=True)
    # Seconds; null: no target for that measure.
    first_response_s: Mapped[int | None] = mapped_column(Integer)
    next_response_s: Mapped[int | None] = mapped_column(Integer)
    resolution_s: Mapped[int | None] = mapped_column(Integer)
    # Counted in the team's working hours (the company's outside any team), else calendar.
    working_time: Mapped[bool] = mapped_column(Boolean, default=True)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SlaBreach(Base):
    __tablename__ = "sla_breaches"
    __table_args__ = (
        # One breach per episode, however many ticks see it.
        UniqueConstraint("conversation_id", "measure", "episode_at", name="uq_sla_breach_episode"),
        # Reports count a period's breaches by when they fell due.
        Index("ix_sla_breaches_due_at", "due_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("sla_policies.id", ondelete="SET NULL")
    )
    # first_response | next_response | resolution
    measure: Mapped[str] = mapped_column(String(20))
    # When the clock started (the wait's start, or the conversation's creation).
    episode_at: Mapped[datetime] = mapped_column(UtcDateTime)
    target_s: Mapped[int] = mapped_column(Integer)
    working_time: Mapped[bool] = mapped_column(Boolean)
    # The moment the target ran out (the breach itself), and when the check saw it.
    due_at: Mapped[datetime] = mapped_column(UtcDateTime)
    detected_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    team_id: Mapped[int | None] = mapped_column(BigId)
    channel_id: Mapped[int | None] = mapped_column(BigId)
