"""What administrators set up around the CRM: custom fields, who sees which records, and
the imports that bring an old CRM's data in."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JSONType, UtcDateTime, utcnow


class CrmEntity(enum.StrEnum):
    contact = "contact"
    organisation = "organisation"
    deal = "deal"


class FieldKind(enum.StrEnum):
    text = "text"
    number = "number"
    money = "money"
    date = "date"
    list = "list"
    multilist = "multilist"
    flag = "flag"
    link = "link"


class VisibilityScope(enum.StrEnum):
    """Which clients and deals a role sees: its own, its teams' (and unassigned), or all."""

    own = "own"
    team = "team"
    all = "all"


class CustomField(Base):
    __tablename__ = "custom_fields"
    __table_args__ = (UniqueConstraint("entity", "key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    # The key under which values sit in the record's `custom_fields` JSON; never renamed.
    key: Mapped[str] = mapped_column(String(60))
    label: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    # The choices of a list or multilist field.
    options: Mapped[list[str]] = mapped_column(JSONType, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CrmVisibility(Base):
    """One row per role; a role without a row sees everything (the behaviour before)."""

    __tablename__ = "crm_visibility"
    role: Mapped[str] = mapped_column(String(20), primary_key=True)
    scope: Mapped[str] = mapped_column(String(10), default=VisibilityScope.all)


class ImportJob(Base):
    """An upload being imported: progress for the bar, and the rows skipped with why."""

    __tablename__ = "import_jobs"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    entity: Mapped[str] = mapped_column(String(20))
    filename: Mapped[str] = mapped_column(String(300), default="")
    file_id: Mapped[int | None] = mapped_column(ForeignKey("stored_files.id"))
    # pending → running → done | failed
    status: Mapped[str] = mapped_column(String(10), default="pending")
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    total_rows: Mapped[int] = mapped_column(Integer, default=0)
    done_rows: Mapped[int] = mapped_column(Integer, default=0)
    created_count: Mapped[int] = mapped_column(Integer, default=0)
    duplicate_count: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    # [{"row": 7, "column": "ИНН", "reason": "...", "error_id": "..."}, ...]
    report: Mapped[list[dict[str, Any]]] = mapped_column(JSONType, default=list)
    error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Touched by the node running the import after every batch: a running job whose
    # heartbeat stopped belonged to a node that died (kill -9, power) and is shown failed.
    heartbeat_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ImportMapping(Base):
    """The column mapping last used for a file with these headers, offered again next time."""

    __tablename__ = "import_mappings"
    __table_args__ = (UniqueConstraint("entity", "headers_key"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entity: Mapped[str] = mapped_column(String(20))
    # sha256 of the file's normalised headers, in order.
    headers_key: Mapped[str] = mapped_column(String(64))
    mapping: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
