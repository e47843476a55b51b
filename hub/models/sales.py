"""Sales: pipelines with their stages, deals moving through them, and each move recorded."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Date, ForeignKey, Index, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, validates

from .base import Base, BigId, JSONType, UtcDateTime, utcnow
from .crm import search_key


class StageOutcome:
    """What reaching a stage means for the deal: still open, won, or lost."""

    open = "open"
    won = "won"
    lost = "lost"
    all = (open, won, lost)


class Pipeline(Base):
    __tablename__ = "pipelines"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    # Order of the pipelines in the board's switcher; the first is the default one.
    position: Mapped[int] = mapped_column(Integer, default=0)


class Stage(Base):
    __tablename__ = "stages"
    __table_args__ = (UniqueConstraint("pipeline_id", "position"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column(Integer)
    # won / lost / open: robots and reports need to know which stages end a deal.
    outcome: Mapped[str] = mapped_column(String(10), default=StageOutcome.open)
    # Chance of winning a deal standing here, in percent (weighted forecast).
    probability: Mapped[int] = mapped_column(Integer, default=0)


class Deal(Base):
    __tablename__ = "deals"
    __table_args__ = (
        Index("ix_deals_stage_entered", "stage_id", "stage_entered_at"),
        Index("ix_deals_pipeline_stage", "pipeline_id", "stage_id", "id"),
        Index("ix_deals_created", "created_at", "id"),
        Index("ix_deals_payment_due_on", "payment_due_on"),
        # LIKE 'prefix%' walks this index on PostgreSQL whatever the database's collation.
        Index(
            "ix_deals_title_key", "title_key", postgresql_ops={"title_key": "varchar_pattern_ops"}
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    # casefolded, ё→е: title prefix search by a plain index on both backends (search_key).
    title_key: Mapped[str] = mapped_column(String(300), default="")
    amount: Mapped[Decimal] = mapped_column(Numeric(14, 2), default=Decimal("0"))
    currency: Mapped[str] = mapped_column(String(3), default="RUB")
    pipeline_id: Mapped[int] = mapped_column(ForeignKey("pipelines.id"))
    stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    contact_id: Mapped[int | None] = mapped_column(ForeignKey("contacts.id"), index=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"), index=True)
    responsible_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    # Where the deal came from (a channel kind, "manual", "import") and the conversation.
    source: Mapped[str] = mapped_column(String(100), default="")
    source_conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    expected_close_on: Mapped[date | None] = mapped_column(Date)
    # Payment: the day the client is to pay by, and when a person marked it paid (null:
    # not paid). «Не оплачено после договора» watches the pair (robots.states).
    payment_due_on: Mapped[date | None] = mapped_column(Date)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # When the deal last became owed: its payment date set or changed, or its paid mark
    # taken off. The robot's episode: each of those re-arms it.
    payment_owed_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Why a lost deal was lost (shown on the card, counted in reports).
    loss_reason: Mapped[str] = mapped_column(String(300), default="")
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    stage_entered_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=1)

    @validates("title")
    def _keep_title_key(self, _key: str, title: str) -> str:
        self.title_key = search_key(title)
        return title


class DealStageChange(Base):
    """One move of a deal (its creation is the move from nowhere): who, when, from, to."""

    __tablename__ = "deal_stage_changes"
    __table_args__ = (Index("ix_deal_stage_changes_deal", "deal_id", "changed_at"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    deal_id: Mapped[int] = mapped_column(ForeignKey("deals.id", ondelete="CASCADE"))
    from_stage_id: Mapped[int | None] = mapped_column(ForeignKey("stages.id"))
    to_stage_id: Mapped[int] = mapped_column(ForeignKey("stages.id"))
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    # The person who moved it; null for a robot or the system, named in `actor`.
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str] = mapped_column(String(100), default="")


class DealConversation(Base):
    """The conversations a deal came out of or was discussed in."""

    __tablename__ = "deal_conversations"
    deal_id: Mapped[int] = mapped_column(
        ForeignKey("deals.id", ondelete="CASCADE"), primary_key=True
    )
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True, index=True
    )
