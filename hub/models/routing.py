"""Routing records: offers made to operators, the decisions taken and why, contact merges."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JSONType, UtcDateTime, utcnow


class AssignmentOffer(Base):
    """A conversation offered to an operator: accepted, timed out, or released."""

    __tablename__ = "assignment_offers"
    __table_args__ = (Index("ix_assignment_offers_conversation", "conversation_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    offered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    timed_out_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Taken back without a timeout: transfer, operator went offline, conversation closed.
    released_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RoutingDecision(Base):
    """Every routing step with its reason, shown on the conversation."""

    __tablename__ = "routing_decisions"
    __table_args__ = (Index("ix_routing_decisions_conversation", "conversation_id", "id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # assigned | queued | timeout | returned | transferred | accepted | alerted | after_hours
    kind: Mapped[str] = mapped_column(String(20))
    # The English sentence (logs, API clients) and the same as codes with parameters, which
    # pages render in their own language (hub/reasons.py); null on rows from before 0007.
    reason: Mapped[str] = mapped_column(Text)
    reason_parts: Mapped[list[dict[str, Any]] | None] = mapped_column(JSONType)
    from_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    to_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class ContactMerge(Base):
    """A merge of one contact into another, with everything moved, so it can be undone."""

    __tablename__ = "contact_merges"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    survivor_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    # Kept (marked merged) rather than deleted, so an unmerge restores the same id.
    merged_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"), index=True)
    moved: Mapped[dict[str, Any]] = mapped_column(JSONType)
    by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    undone_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
