"""Users, roles, teams, API tokens and browser sessions."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Enum, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JSONType, UtcDateTime, utcnow


class Role(enum.StrEnum):
    operator = "operator"
    supervisor = "supervisor"
    admin = "admin"


class Presence(enum.StrEnum):
    online = "online"
    away = "away"
    offline = "offline"


def _enum(cls: type[enum.Enum], name: str) -> Enum:
    # Stored as plain strings (no native ENUM type) so migrations stay portable.
    return Enum(cls, name=name, native_enum=False, length=20, validate_strings=True)


class Strategy(enum.StrEnum):
    least_busy = "least_busy"
    round_robin = "round_robin"
    longest_idle = "longest_idle"
    # Nobody is offered anything: operators pick from the queue themselves.
    manual = "manual"


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    strategy: Mapped[Strategy] = mapped_column(
        _enum(Strategy, "strategy"), default=Strategy.least_busy
    )
    # An offered conversation must be accepted (opened or answered) within this many seconds.
    accept_timeout_s: Mapped[int] = mapped_column(Integer, default=45)
    # Past this wait in the queue, supervisors are alerted.
    wait_limit_s: Mapped[int] = mapped_column(Integer, default=300)
    # {"tz": "Europe/Moscow", "days": {"mon": [["09:00", "18:00"]], ...}}; null = always open.
    business_hours: Mapped[dict[str, Any] | None] = mapped_column(JSONType)
    # Outside business hours: hand over to this team, else wait in the queue without timeouts.
    after_hours_team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    login: Mapped[str] = mapped_column(String(100), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(320))
    # The person's Telegram chat with the company's bot (a robot's notices go there).
    telegram_chat_id: Mapped[str | None] = mapped_column(String(64))
    password_hash: Mapped[str] = mapped_column(String(200))
    role: Mapped[Role] = mapped_column(_enum(Role, "role"), default=Role.operator)
    locale: Mapped[str] = mapped_column(String(10), default="ru")
    # IANA zone: times are stored in UTC and shown (and "tomorrow 9:00" is meant) in it.
    time_zone: Mapped[str] = mapped_column(String(64), default="Europe/Moscow")
    # SHA-256 of the secret in the user's personal iCalendar feed URL; null: no feed.
    ical_token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    # How many open conversations this operator may hold at once.
    max_conversations: Mapped[int] = mapped_column(Integer, default=5)
    presence: Mapped[Presence] = mapped_column(
        _enum(Presence, "presence"), default=Presence.offline
    )
    # Last heartbeat from the operator's browser; a silent one is taken offline.
    presence_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # On a phone call (from telephony): no new chats meanwhile.
    on_call: Mapped[bool] = mapped_column(Boolean, default=False)
    # The operator's phone extension on the PBX (screen-pop, click-to-call, queue pause).
    extension: Mapped[str | None] = mapped_column(String(20), unique=True)
    # Skills and languages ("lang:en", "b2b") a conversation may require.
    skills: Mapped[list[str]] = mapped_column(JSONType, default=list)
    # For round-robin and longest-idle strategies.
    last_assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class TeamMember(Base):
    __tablename__ = "team_members"
    team_id: Mapped[int] = mapped_column(
        ForeignKey("teams.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )


class ApiToken(Base):
    """A bearer token; only its SHA-256 is stored, the token itself is shown once."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    label: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class WebSession(Base):
    """A browser login; the cookie holds the random id, the table holds its SHA-256."""

    __tablename__ = "web_sessions"
    __table_args__ = (
        UniqueConstraint("token_hash"),
        Index("ix_web_sessions_expires_at", "expires_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
