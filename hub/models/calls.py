"""Telephony: one row per phone call (one Asterisk Linkedid), live while it lasts."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import (
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JSONType, UtcDateTime
from .people import _enum


class CallDirection(enum.StrEnum):
    inbound = "inbound"
    outbound = "outbound"
    internal = "internal"


class CallOutcome(enum.StrEnum):
    answered = "answered"
    missed = "missed"
    abandoned = "abandoned"
    busy = "busy"
    failed = "failed"


class Call(Base):
    """A call as the PBX reported it. `outcome` and `ended_at` stay null while it is live;
    the finished record (durations, cause, recording) overwrites the live guesses."""

    __tablename__ = "calls"
    __table_args__ = (
        UniqueConstraint("channel_id", "linkedid"),
        Index("ix_calls_started_at", "started_at"),
        Index("ix_calls_contact_started", "contact_id", "started_at"),
        Index("ix_calls_answered_by_started", "answered_by_user_id", "started_at"),
        # Was a lost call called back: the next call with that number after it.
        Index("ix_calls_number_started", "client_number", "started_at"),
        # Who is on a live call now (the board): the few answered calls not ended yet.
        Index(
            "ix_calls_live_answered",
            "answered_by_user_id",
            postgresql_where=text("answered_at IS NOT NULL AND ended_at IS NULL"),
            sqlite_where=text("answered_at IS NOT NULL AND ended_at IS NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    # The PBX's id of the call: every leg of it carries the same Linkedid.
    linkedid: Mapped[str] = mapped_column(String(64))
    direction: Mapped[CallDirection] = mapped_column(_enum(CallDirection, "call_direction"))
    caller: Mapped[str | None] = mapped_column(String(80))
    callee: Mapped[str | None] = mapped_column(String(80))
    # The outside party's number, normalised (E.164): how the call finds its client.
    client_number: Mapped[str | None] = mapped_column(String(32), index=True)
    queue: Mapped[str | None] = mapped_column(String(100))
    outcome: Mapped[CallOutcome | None] = mapped_column(_enum(CallOutcome, "call_outcome"))
    answered_by_extension: Mapped[str | None] = mapped_column(String(20))
    answered_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    transferred_to: Mapped[str | None] = mapped_column(String(80))
    # blind | attended | redirect
    transfer_kind: Mapped[str | None] = mapped_column(String(10))
    # When the answering operator handed the call on: busy with it only until then.
    transferred_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Extensions whose phone rang, each once.
    agents_rung: Mapped[list[str]] = mapped_column(JSONType, default=list)
    wait_s: Mapped[float | None] = mapped_column(Float)
    talk_s: Mapped[float | None] = mapped_column(Float)
    hangup_cause: Mapped[int | None] = mapped_column(Integer)
    # The recording's file name as the PBX wrote it, and where people can listen to it.
    recording: Mapped[str | None] = mapped_column(String(300))
    recording_url: Mapped[str | None] = mapped_column(String(1000))
    # Part of the call happened while the AMI link was down: its times are estimates.
    resynced: Mapped[bool] = mapped_column(Boolean, default=False)
    started_at: Mapped[datetime] = mapped_column(UtcDateTime)
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Set when the call ended while the PBX link was down: the end lies somewhere in
    # [ended_at, ended_not_after], and ended_at (the earliest) is what talk_s runs to.
    ended_not_after: Mapped[datetime | None] = mapped_column(UtcDateTime)
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
