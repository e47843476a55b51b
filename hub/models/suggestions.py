"""Ways to reach a client that Okno noticed but a person has to confirm."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, UtcDateTime, utcnow
from .crm import IdentityKind
from .people import _enum


class SuggestionStatus(enum.StrEnum):
    open = "open"
    accepted = "accepted"
    dismissed = "dismissed"


class IdentitySuggestion(Base):
    """ "This address may be the client's": an unknown sender who answered in the client's
    e-mail thread (a colleague, the client's personal mailbox). Never added by itself: an
    address is a key that routes the next mail to this client, so a person confirms it."""

    __tablename__ = "identity_suggestions"
    __table_args__ = (
        UniqueConstraint("contact_id", "kind", "value"),
        Index("ix_identity_suggestions_open", "contact_id", "status"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id", ondelete="CASCADE"))
    kind: Mapped[IdentityKind] = mapped_column(_enum(IdentityKind, "identity_kind"))
    value: Mapped[str] = mapped_column(String(320))
    # The name the sender gave ("Ольга Смирнова"), shown next to the address.
    name: Mapped[str] = mapped_column(String(300), default="")
    # Why: "replied_in_conversation" (the conversation is `conversation_id`).
    reason: Mapped[str] = mapped_column(String(40))
    conversation_id: Mapped[int | None] = mapped_column(
        ForeignKey("conversations.id", ondelete="SET NULL")
    )
    status: Mapped[SuggestionStatus] = mapped_column(
        _enum(SuggestionStatus, "suggestion_status"), default=SuggestionStatus.open
    )
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
