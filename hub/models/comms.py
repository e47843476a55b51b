"""Communications: channels, raw inbound events, conversations, messages, outbox, event log."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy import text as sql_text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, JSONType, UtcDateTime, postgres_only, utcnow
from .people import _enum

# PostgreSQL: messages' Russian search vector, a column GENERATED ALWAYS AS
# (to_tsvector('russian', text)) STORED with a GIN index (migration 0029), so a search never
# parses a message again. Not mapped: SQLite has no such column (its FTS5 table is
# `messages_fts`), and no read of a Message should carry the vector; the search query names
# it (hub/queries/search.py) and the drift test is told about it (base.include_object_for).
MESSAGE_SEARCH_VECTOR = "search_vector"
MESSAGE_SEARCH_VECTOR_INDEX = "ix_messages_search_vector"


class InboundStatus(enum.StrEnum):
    pending = "pending"
    processing = "processing"
    processed = "processed"
    failed = "failed"
    ignored = "ignored"


class ConversationStatus(enum.StrEnum):
    open = "open"
    closed = "closed"


class Direction(enum.StrEnum):
    inbound = "in"
    outbound = "out"
    note = "note"
    system = "system"


class OutboxStatus(enum.StrEnum):
    queued = "queued"
    sent = "sent"
    failed = "failed"


class Channel(Base):
    """One configured connector instance: a bot, a mailbox, a web form, a PBX."""

    __tablename__ = "channels"
    __table_args__ = (UniqueConstraint("kind", "name"),)
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    name: Mapped[str] = mapped_column(String(100))
    title: Mapped[str] = mapped_column(String(200), default="")
    options: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    # Only operators with this skill get this channel's conversations (null: anyone).
    required_skill: Mapped[str | None] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class InboundEvent(Base):
    """Every inbound event, stored before its source is acknowledged (rule 2)."""

    __tablename__ = "inbound_events"
    __table_args__ = (
        UniqueConstraint("source", "external_id"),
        Index("ix_inbound_events_status_next", "status", "next_attempt_at"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    # "<kind>:<channel name>", e.g. "webform:demo".
    source: Mapped[str] = mapped_column(String(150))
    external_id: Mapped[str] = mapped_column(String(300))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    status: Mapped[InboundStatus] = mapped_column(
        _enum(InboundStatus, "inbound_status"), default=InboundStatus.pending
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    processed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"))
    message_id: Mapped[int | None] = mapped_column(ForeignKey("messages.id"))
    # The node that stored or last claimed it (hub.actions.channels.origin_of): while that
    # node's lease ("node:<origin>") lives, its claim stands; once it lapses, anyone takes it.
    claimed_by: Mapped[str | None] = mapped_column(String(200))


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_contact_channel_status", "contact_id", "channel_id", "status"),
        Index("ix_conversations_status_assignee", "status", "assignee_id"),
        Index("ix_conversations_queued_at", "queued_at"),
        Index("ix_conversations_offer_expires_at", "offer_expires_at"),
        Index("ix_conversations_channel_visitor", "channel_id", "widget_visitor"),
        # A report's cohort: the conversations created in its period.
        Index("ix_conversations_created_at", "created_at"),
        # The sweeper wakes those whose time has come.
        Index("ix_conversations_snoozed_until", "snoozed_until"),
        # The SLA check looks for clocks that stopped late among recent answers and closes.
        Index("ix_conversations_first_response_at", "first_response_at"),
        Index("ix_conversations_closed_at", "closed_at"),
        # The board: the load each operator holds (an index-only read of the open ones), and
        # the conversations whose customer waits now.
        Index(
            "ix_conversations_open_assignee",
            "assignee_id",
            "weight",
            postgresql_where=sql_text("status = 'open'"),
            sqlite_where=sql_text("status = 'open'"),
        ),
        Index(
            "ix_conversations_waiting_since",
            "waiting_since",
            postgresql_where=sql_text("waiting_since IS NOT NULL"),
            sqlite_where=sql_text("waiting_since IS NOT NULL"),
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    contact_id: Mapped[int] = mapped_column(ForeignKey("contacts.id"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("leads.id"))
    status: Mapped[ConversationStatus] = mapped_column(
        _enum(ConversationStatus, "conversation_status"), default=ConversationStatus.open
    )
    subject: Mapped[str] = mapped_column(String(500), default="")
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"))
    required_skill: Mapped[str | None] = mapped_column(String(100))
    # Share of an operator's capacity this conversation takes (a call: all of it).
    weight: Mapped[float] = mapped_column(Float, default=1.0)
    # Waiting in the team queue since (null: assigned or closed); the queue's order.
    queued_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The assignee must accept before this, else it moves on (null: accepted or queued).
    offer_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Supervisors were told it waits too long (once per wait).
    wait_alerted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    first_assigned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    first_response_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # The oldest inbound not yet answered; null when the client is not waiting.
    waiting_since: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_message_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Put aside by its operator: out of «Мои» until `snoozed_until` (null: until the client
    # writes), then back to the same operator. The client writing always wakes it.
    snoozed: Mapped[bool] = mapped_column(Boolean, default=False)
    snoozed_until: Mapped[datetime | None] = mapped_column(UtcDateTime)
    # Read state as message ids, only ever moving forward: the client has seen our replies
    # up to `client_read_up_to`; the agents have seen the client's messages up to the other.
    client_read_up_to: Mapped[int | None] = mapped_column(BigInteger)
    agent_read_up_to: Mapped[int | None] = mapped_column(BigInteger)
    # A website chat: the visitor it belongs to (a digest of their browser's token), so two
    # visitors who turn out to be one contact never read each other's chats.
    widget_visitor: Mapped[str | None] = mapped_column(String(64))


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        Index("ix_messages_conversation_id_id", "conversation_id", "id"),
        # A person's latest reply (the board's «last reply today»): messages with a person
        # as author only, so a customer's message adds no index entry.
        Index(
            "ix_messages_author_created",
            "author_user_id",
            "created_at",
            postgresql_where=sql_text("author_user_id IS NOT NULL"),
            sqlite_where=sql_text("author_user_id IS NOT NULL"),
        ),
        # Edits, replies and e-mail threading look messages up by the channel's own id.
        Index("ix_messages_external_id", "external_id"),
        # Search (hub/queries/search.py): Russian full text on PostgreSQL, a GIN index on the
        # stored vector (MESSAGE_SEARCH_VECTOR). SQLite has the FTS5 table `messages_fts`
        # instead, kept by triggers (migration 0018).
        postgres_only(
            Index(
                MESSAGE_SEARCH_VECTOR_INDEX,
                sql_text(MESSAGE_SEARCH_VECTOR),
                postgresql_using="gin",
            )
        ),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    direction: Mapped[Direction] = mapped_column(_enum(Direction, "direction"))
    author_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    text: Mapped[str] = mapped_column(Text, default="")
    # Channel-specific extras: attachments, UTM, reply links, edit history.
    meta: Mapped[dict[str, Any]] = mapped_column(JSONType, default=dict)
    external_id: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    edited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OutboxItem(Base):
    """A reply waiting for its connector (rule 4): queued -> sent | failed."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_next", "status", "next_attempt_at"),
        Index("ix_outbox_external_id", "external_id"),
    )
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), unique=True
    )
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    channel_id: Mapped[int] = mapped_column(ForeignKey("channels.id"))
    status: Mapped[OutboxStatus] = mapped_column(
        _enum(OutboxStatus, "outbox_status"), default=OutboxStatus.queued
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=utcnow)
    error: Mapped[str | None] = mapped_column(Text)
    external_id: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ChannelState(Base):
    """Small durable values a connector keeps between runs (IMAP UIDVALIDITY + last UID)."""

    __tablename__ = "channel_state"
    channel_id: Mapped[int] = mapped_column(
        ForeignKey("channels.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    value: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StoredFile(Base):
    """An attachment's bytes, for channels that deliver files themselves (e-mail).

    Kept in the database so every node sees them and backups hold them; de-duplicated by hash.
    """

    __tablename__ = "stored_files"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    sha256: Mapped[str] = mapped_column(String(64), unique=True)
    mime_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class MessageFile(Base):
    """Which stored file a message holds at which attachment position (from its meta).

    Downloads by file id find their message (and its permissions) through the file_id index
    instead of searching every message's meta.
    """

    __tablename__ = "message_files"
    __table_args__ = (Index("ix_message_files_file_id", "file_id"),)
    message_id: Mapped[int] = mapped_column(
        ForeignKey("messages.id", ondelete="CASCADE"), primary_key=True
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    file_id: Mapped[int] = mapped_column(ForeignKey("stored_files.id"))


class EventLog(Base):
    """Every published event, written in the same transaction as the change it reports.

    Its id is the cursor a websocket client resumes from after a reconnect.
    """

    __tablename__ = "event_log"
    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    kind: Mapped[str] = mapped_column(String(60))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType)
    audience: Mapped[dict[str, Any]] = mapped_column(JSONType)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class Lease(Base):
    """Who reads a single-consumer source (an AMI socket, a mailbox, a long poll) right now.

    The holder renews it well before it expires; when a node dies, another takes over.
    """

    __tablename__ = "leases"
    name: Mapped[str] = mapped_column(String(200), primary_key=True)
    holder: Mapped[str] = mapped_column(String(200))
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
