"""Robots: rules (versioned), their firings (one per rule, object and episode), the flags
they raise, the production calendar working time is counted on, outbound webhook deliveries.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JSONType, UtcDateTime, utcnow


class RuleKind:
    builtin = "builtin"
    custom = "custom"


class FiringStatus:
    """pending: claimed, actions not all done yet (retried); done; failed (an action refused
    for good: its error is in `results`)."""

    pending = "pending"
    done = "done"
    failed = "failed"


class RobotRule(Base):
    __tablename__ = "robot_rules"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(10), default=RuleKind.custom)
    # Which preset of the built-in pack this is ("stalled_deal", ...); null for custom rules.
    builtin_key: Mapped[str | None] = mapped_column(String(40), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    enabled: Mapped[bool] = mapped_column(Boolean, default=False)
    # The current version's specs (validated by robots.rules before they reach here).
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONType)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class RobotRuleVersion(Base):
    """Every version a rule had: a firing names its version, so editing never rewrites why
    an old firing happened."""

    __tablename__ = "robot_rule_versions"
    __table_args__ = (UniqueConstraint("rule_id", "version"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("robot_rules.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    trigger: Mapped[dict[str, Any]] = mapped_column(JSONType)
    conditions: Mapped[dict[str, Any]] = mapped_column(JSONType)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))


class RobotFiring(Base):
    """One rule firing for one object in one episode. The unique key is the claim: of two
    nodes (or a retry) inserting it, one wins. `step` counts the actions done, each advanced
    in the transaction of its action, so a retry after a crash resumes and never redoes."""

    __tablename__ = "robot_firings"
    __table_args__ = (
        UniqueConstraint(
            "rule_id",
            "object_type",
            "object_id",
            "episode_at",
            "event_cursor",
            name="uq_robot_firings_episode",
        ),
        Index("ix_robot_firings_rule_created", "rule_id", "created_at"),
        Index("ix_robot_firings_object", "object_type", "object_id"),
        Index("ix_robot_firings_status", "status", "retry_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    rule_id: Mapped[int] = mapped_column(ForeignKey("robot_rules.id", ondelete="CASCADE"))
    rule_version: Mapped[int] = mapped_column(Integer)
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int] = mapped_column(BigInteger)
    # The episode: for a time rule the moment the object entered the state (its anchor,
    # compared in SQL by the scans' anti-join) and cursor 0; for an event rule the event's
    # time and its event_log cursor. Unique with the rule and the object: the claim.
    episode_at: Mapped[datetime] = mapped_column(UtcDateTime)
    event_cursor: Mapped[int] = mapped_column(BigInteger, default=0)
    matched: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # [{"type": ..., "ok": bool, "result": ...}] for the actions done so far.
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    step: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(10), default=FiringStatus.pending)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # A pending firing is retried from this moment (its runner is presumed dead by then).
    retry_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class RobotFlag(Base):
    """A badge on a deal or a conversation with the reason a robot saw; cleared when its
    rule's condition no longer holds, or by a supervisor with a comment."""

    __tablename__ = "robot_flags"
    __table_args__ = (
        Index("ix_robot_flags_object_open", "object_type", "object_id", "cleared_at"),
        Index("ix_robot_flags_rule_open", "rule_id", "cleared_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    object_type: Mapped[str] = mapped_column(String(20))
    object_id: Mapped[int] = mapped_column(BigInteger)
    rule_id: Mapped[int] = mapped_column(ForeignKey("robot_rules.id", ondelete="CASCADE"))
    # One flag per firing at most: raising is idempotent on a retry.
    firing_id: Mapped[int] = mapped_column(
        ForeignKey("robot_firings.id", ondelete="CASCADE"), unique=True
    )
    episode_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    code: Mapped[str] = mapped_column(String(40), default="")
    reason: Mapped[str] = mapped_column(Text, default="")
    raised_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    cleared_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cleared_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    comment: Mapped[str] = mapped_column(Text, default="")


class CalendarDayKind:
    holiday = "holiday"  # a day off that would be a working day by the week
    workday = "workday"  # a transferred working day (a Saturday worked)


class CalendarDay(Base):
    """The production calendar's exceptions to the Monday-Friday week."""

    __tablename__ = "calendar_days"
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10))
    note: Mapped[str] = mapped_column(String(200), default="")


class WebhookDelivery(Base):
    """An outbound webhook call a robot queued: retried with backoff, its failures shown."""

    __tablename__ = "robot_webhook_deliveries"
    __table_args__ = (Index("ix_robot_webhook_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firing_id: Mapped[int | None] = mapped_column(
        ForeignKey("robot_firings.id", ondelete="SET NULL")
    )
    url: Mapped[str] = mapped_column(String(1000))
    # The rule's signing secret at the time (HMAC-SHA256 of the body, X-Okno-Signature).
    secret: Mapped[str] = mapped_column(String(200), default="")
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class StaffMessage(Base):
    """A robot's notice to a person by e-mail or Telegram, beside the live one: queued with
    the firing's step, delivered through the named channel's connector (its SMTP, its bot)
    by the hosts' worker, retried with backoff, its failures kept."""

    __tablename__ = "robot_staff_messages"
    __table_args__ = (
        UniqueConstraint("firing_id", "user_id", "medium", name="uq_robot_staff_messages_once"),
        Index("ix_robot_staff_messages_due", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    firing_id: Mapped[int] = mapped_column(ForeignKey("robot_firings.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # "email" or "telegram".
    medium: Mapped[str] = mapped_column(String(10))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id", ondelete="CASCADE"))
    # The person's e-mail address or Telegram chat id when it was queued.
    address: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(String(300), default="")
    text: Mapped[str] = mapped_column(Text)
    # queued -> sent | failed
    status: Mapped[str] = mapped_column(String(10), default="queued")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
