"""Tags on conversations («доставка», «VIP»): named once, put on any number of them; and
the list filters a person keeps under a name."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JSONType, UtcDateTime, utcnow


class Tag(Base):
    __tablename__ = "tags"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    name: Mapped[str] = mapped_column(String(50))
    # search_key(name): «VIP» and «vip» are one tag, on both backends.
    name_key: Mapped[str] = mapped_column(String(50), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ConversationTag(Base):
    __tablename__ = "conversation_tags"
    # The list filtered by a tag starts from the tag.
    __table_args__ = (Index("ix_conversation_tags_tag_id", "tag_id", "conversation_id"),)
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    tag_id: Mapped[int] = mapped_column(ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True)


class SavedView(Base):
    """A person's own list filter kept under a name («VIP в очереди»): the view, channel and
    tag it shows, as the workspace's list takes them."""

    __tablename__ = "saved_views"
    __table_args__ = (Index("ix_saved_views_user_id", "user_id"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    # {"view": "queue", "channel": "telegram", "tag": "VIP"}; absent keys: no filter.
    filters: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
