"""CRM: organisations, contacts (clients and leads' people), identities, leads, deals."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, validates

from .base import Base, BigId, JSONType, UtcDateTime, postgres_only, utcnow
from .people import _enum


class ContactStatus(enum.StrEnum):
    # A person Okno only knows from an inbound request is a lead until qualified.
    lead = "lead"
    client = "client"


class IdentityKind(enum.StrEnum):
    phone = "phone"
    email = "email"
    telegram = "telegram"
    vk = "vk"
    web_visitor = "web_visitor"


class LeadStatus(enum.StrEnum):
    new = "new"
    in_progress = "in_progress"
    qualified = "qualified"
    converted = "converted"
    junk = "junk"


def search_key(text: str) -> str:
    """How names are compared in search: case-folded, ё as е, spaces collapsed.

    Stored beside the name so a prefix search is a range on a plain index, on SQLite (whose
    lower() knows no Cyrillic) as on PostgreSQL.
    """
    return " ".join(text.casefold().replace("ё", "е").split())


class Organisation(Base):
    __tablename__ = "organisations"
    __table_args__ = (
        Index("ix_organisations_name_key", "name_key"),
        Index("ix_organisations_inn", "inn"),
        Index("ix_organisations_created", "created_at", "id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    # casefolded, ё→е: prefix search by a plain index on both backends (search_key).
    name_key: Mapped[str] = mapped_column(String(300), default="")
    inn: Mapped[str | None] = mapped_column(String(12))
    kpp: Mapped[str | None] = mapped_column(String(9))
    ogrn: Mapped[str | None] = mapped_column(String(15))
    legal_address: Mapped[str] = mapped_column(Text, default="")
    actual_address: Mapped[str] = mapped_column(Text, default="")
    # Normalised (+7XXXXXXXXXX, lower-case e-mail); an organisation is not a sender to match.
    phones: Mapped[list[str]] = mapped_column(JSONType, default=list)
    emails: Mapped[list[str]] = mapped_column(JSONType, default=list)
    site: Mapped[str] = mapped_column(String(300), default="")
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    # Optimistic lock: an edit names the version it started from; a stale one is a 409.
    version: Mapped[int] = mapped_column(Integer, default=1)

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = search_key(name)
        return name


class Contact(Base):
    __tablename__ = "contacts"
    __table_args__ = (
        Index("ix_contacts_name", "name"),
        # A name whole, its newest bearers first (search, hub/queries/search.py).
        Index("ix_contacts_name_key_id", "name_key", "id"),
        Index("ix_contacts_created", "created_at", "id"),
        # "My clients by name": equality on the owner and status, then the order itself, so
        # a manager's page never scans the whole registry looking for rows that match.
        Index("ix_contacts_owner_status_name", "responsible_user_id", "status", "name_key", "id"),
        Index("ix_contacts_status_name", "status", "name_key", "id"),
        # "Anna" finds "Соколова Анна": a name searched anywhere in it, through trigrams on
        # PostgreSQL (pg_trgm); SQLite has no such index and scans, as embedded sizes allow.
        postgres_only(
            Index(
                "ix_contacts_name_key_trgm",
                "name_key",
                postgresql_using="gin",
                postgresql_ops={"name_key": "gin_trgm_ops"},
            )
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(300), default="")
    name_key: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[ContactStatus] = mapped_column(
        _enum(ContactStatus, "contact_status"), default=ContactStatus.lead
    )
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    # Where the client came from (telegram, vk, web_form, import, manual, ...).
    source: Mapped[str] = mapped_column(String(100), default="")
    # When the manager means to get in touch next (1С:CRM «дата следующего контакта»).
    next_contact_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    version: Mapped[int] = mapped_column(Integer, default=1)
    # Set when merged into another contact; such a contact is hidden until unmerged.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"))

    @validates("name")
    def _keep_name_key(self, _key: str, name: str) -> str:
        self.name_key = search_key(name)
        return name


class ContactOrganisation(Base):
    """A contact may work for several organisations (with a position in each)."""

    __tablename__ = "contact_organisations"
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), primary_key=True
    )
    organisation_id: Mapped[int] = mapped_column(
        ForeignKey("organisations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    position: Mapped[str] = mapped_column(String(200), default="")


class Identity(Base):
    """One way to reach a contact; (kind, value) is unique so a sender maps to one person."""

    __tablename__ = "identities"
    __table_args__ = (
        UniqueConstraint("kind", "value"),
        # Search by a part of a number or an address ("5551234"): trigrams on PostgreSQL.
        postgres_only(
            Index(
                "ix_identities_value_trgm",
                "value",
                postgresql_using="gin",
                postgresql_ops={"value": "gin_trgm_ops"},
            )
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[IdentityKind] = mapped_column(_enum(IdentityKind, "identity_kind"))
    value: Mapped[str] = mapped_column(String(320))
    # What the sender actually wrote ("8 (916) 123-45-67"), kept for display.
    raw: Mapped[str] = mapped_column(String(320), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # Set when the client blocked us here (bot blocked, VK messages denied, mail bouncing):
    # replies then fail at once with this reason instead of hitting the source.
    unreachable_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    unreachable_reason: Mapped[str | None] = mapped_column(String(300))


class Lead(Base):
    """An inbound request from a person not yet a client, with where it came from."""

    __tablename__ = "leads"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(
        ForeignKey("contacts.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(300), default="")
    status: Mapped[LeadStatus] = mapped_column(
        _enum(LeadStatus, "lead_status"), default=LeadStatus.new
    )
    source: Mapped[str] = mapped_column(String(100), default="")
    # page_url, referrer, utm_* and the like.
    source_detail: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class ActivityKind(enum.StrEnum):
    call = "call"  # Звонок
    meeting = "meeting"  # Встреча
    task = "task"  # Задача
    reminder = "reminder"  # Напоминание
    email = "email"  # Письмо


class ActivityStatus(enum.StrEnum):
    planned = "planned"
    done = "done"
    cancelled = "cancelled"


# A calendar cell's columns, carried in the (user_id, due_at) covering index.
CELL_INCLUDES = ["id", "kind", "subject", "status", "duration_min", "all_day", "contact_id",
                 "deal_id", "place", "version"]  # fmt: skip


class Activity(Base):
    """A call, meeting, task, reminder or letter planned (or done) by a responsible user,
    linked to a client, an organisation, a deal and the conversation it came from.

    Times are UTC. An all-day activity keeps its date whatever the viewer's zone: its
    `due_at` is that date's midnight UTC and is read as a date, never as an instant.
    A reminder is pending while `remind_at` is set and `remind_delivered_at` is not; the
    reminder scheduler finds those with one query on the partial index below.
    """

    __tablename__ = "activities"
    __table_args__ = (
        Index("ix_activities_status_due", "status", "due_at"),
        # A user's day and a team's week: responsible user, then time.
        Index("ix_activities_user_due", "user_id", "due_at"),
        Index("ix_activities_due", "due_at"),
        # A team's week from the index alone: the cell's columns ride along, so the calendar
        # reads a few index pages instead of one heap page per activity (a week's activities
        # of ten people lie on as many pages as there are activities).
        postgres_only(
            Index(
                "ix_activities_user_due_cells",
                "user_id",
                "due_at",
                postgresql_include=CELL_INCLUDES,
            )
        ),
        # The «Сегодня» panel and overdue lists: a user's planned work by time, without
        # wading through years of done activities.
        Index(
            "ix_activities_user_planned_due",
            "user_id",
            "due_at",
            postgresql_where=text("status = 'planned'"),
            sqlite_where=text("status = 'planned'"),
        ),
        # Only pending reminders are indexed, so the scheduler's scan stays tiny.
        Index(
            "ix_activities_reminder_due",
            "remind_at",
            postgresql_where=text("remind_delivered_at IS NULL AND remind_at IS NOT NULL"),
            sqlite_where=text("remind_delivered_at IS NULL AND remind_at IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # ActivityKind
    subject: Mapped[str] = mapped_column(String(300))
    # The description.
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), default="planned")  # ActivityStatus
    # What came of it, asked for on completion.
    result: Mapped[str] = mapped_column(Text, default="")
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    deal_id: Mapped[int | None] = mapped_column(ForeignKey("deals.id"), index=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    # The responsible user.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    duration_min: Mapped[int | None] = mapped_column(Integer)
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    # Meetings: what is to be discussed, where (an address or a link), what was decided.
    agenda: Mapped[str] = mapped_column(Text, default="")
    place: Mapped[str] = mapped_column(String(500), default="")
    outcome: Mapped[str] = mapped_column(Text, default="")
    remind_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    remind_delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Delivered well after its time (Okno was down): the toast says so.
    remind_late: Mapped[bool] = mapped_column(Boolean, default=False)
    done_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ActivityParticipant(Base):
    """Who else takes part: one of our users or one of the client's contact persons."""

    __tablename__ = "activity_participants"
    __table_args__ = (
        UniqueConstraint("activity_id", "user_id"),
        # A colleague's calendar includes the meetings they are invited to: by user and time,
        # so a week's invitations are one index range, not every invitation ever.
        Index("ix_activity_participants_user_due", "user_id", "due_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    activity_id: Mapped[int] = mapped_column(ForeignKey("activities.id", ondelete="CASCADE"))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # Not unique with the activity: merging two contacts may bring both onto one meeting.
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    # The activity's due_at, copied (kept in step by hub.actions.activity_writes).
    due_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
