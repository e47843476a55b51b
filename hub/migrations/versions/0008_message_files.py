"""message_files: which stored file each message holds, indexed by file id

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-23 10:30:00
"""

import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 500
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "message_files",
        sa.Column("message_id", _ID, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("file_id", _ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["file_id"],
            ["stored_files.id"],
            name=op.f("fk_message_files_file_id_stored_files"),
        ),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["messages.id"],
            name=op.f("fk_message_files_message_id_messages"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("message_id", "position", name=op.f("pk_message_files")),
    )
    with op.batch_alter_table("message_files", schema=None) as batch_op:
        batch_op.create_index("ix_message_files_file_id", ["file_id"], unique=False)
    _backfill()


def downgrade() -> None:
    with op.batch_alter_table("message_files", schema=None) as batch_op:
        batch_op.drop_index("ix_message_files_file_id")
    op.drop_table("message_files")


def _file_ids(meta: Any) -> list[tuple[int, int]]:
    """(position, file_id) of the meta's attachments that name a stored file."""
    if isinstance(meta, str):  # a driver that hands JSON back as text
        meta = json.loads(meta)
    entries = meta.get("attachments") if isinstance(meta, dict) else None
    if not isinstance(entries, list):
        return []
    return [
        (position, entry["file_id"])
        for position, entry in enumerate(entries)
        if isinstance(entry, dict)
        and isinstance(entry.get("file_id"), int)
        and not isinstance(entry.get("file_id"), bool)
    ]


def _backfill() -> None:
    """Link messages written before the table existed, walking them by id in batches.

    Plain SELECTs and INSERTs so it runs the same on SQLite and PostgreSQL; a meta naming a
    file that is no longer stored is skipped rather than breaking the foreign key.
    """
    bind = op.get_bind()
    messages = sa.table("messages", sa.column("id", _ID), sa.column("meta", _JSON))
    stored = sa.table("stored_files", sa.column("id", _ID))
    links = sa.table(
        "message_files",
        sa.column("message_id", _ID),
        sa.column("position", sa.Integer()),
        sa.column("file_id", _ID),
    )
    after = -1
    while True:
        batch = bind.execute(
            sa.select(messages.c.id, messages.c.meta)
            .where(messages.c.id > after)
            .order_by(messages.c.id)
            .limit(_BATCH)
        ).all()
        if not batch:
            return
        after = batch[-1].id
        wanted = [
            {"message_id": row.id, "position": position, "file_id": file_id}
            for row in batch
            for position, file_id in _file_ids(row.meta)
        ]
        if not wanted:
            continue
        ids = {link["file_id"] for link in wanted}
        present = set(bind.execute(sa.select(stored.c.id).where(stored.c.id.in_(ids))).scalars())
        rows = [link for link in wanted if link["file_id"] in present]
        if rows:
            bind.execute(sa.insert(links), rows)
