"""Canned answers («Шаблоны») an operator puts in a reply: his own, his team's, the company's."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UtcDateTime, utcnow
from .people import _enum


class TemplateScope(enum.StrEnum):
    # Only its owner sees and edits it.
    personal = "personal"
    # The members of one team see it; supervisors and admins edit it.
    team = "team"
    # Everybody sees it; supervisors and admins edit it.
    company = "company"


class ReplyTemplate(Base):
    __tablename__ = "reply_templates"
    __table_args__ = (
        Index("ix_reply_templates_scope_owner", "scope", "owner_id"),
        Index("ix_reply_templates_scope_team", "scope", "team_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    scope: Mapped[TemplateScope] = mapped_column(_enum(TemplateScope, "template_scope"))
    # Set for a personal template only.
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    # Set for a team template only.
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    # The language of the answer ("ru", "en"): a set per language the company answers in.
    locale: Mapped[str] = mapped_column(String(10), default="ru")
    name: Mapped[str] = mapped_column(String(200))
    # Jinja2 text with variables ({{ client.name }}); rendered in a sandbox (hub/reply_text.py).
    body: Mapped[str] = mapped_column(Text)
    # search_key(name + body): searched with LIKE on both backends (SQLite's lower() knows no
    # Cyrillic), so «/достав» finds «Доставка».
    search_text: Mapped[str] = mapped_column(Text, default="")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
