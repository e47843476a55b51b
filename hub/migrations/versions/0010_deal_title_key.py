"""deals.title_key: casefolded titles, so a title prefix search is an index range

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 00:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_BATCH = 500


def _search_key(text: str) -> str:
    # Frozen copy of hub.models.crm.search_key as of this revision.
    return " ".join(text.casefold().replace("ё", "е").split())


def upgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("title_key", sa.String(length=300), nullable=False, server_default="")
        )
        batch_op.create_index(
            "ix_deals_title_key",
            ["title_key"],
            unique=False,
            postgresql_ops={"title_key": "varchar_pattern_ops"},
        )
    bind = op.get_bind()
    rows = bind.execute(sa.text("SELECT id, title FROM deals")).all()
    for start in range(0, len(rows), _BATCH):
        bind.execute(
            sa.text("UPDATE deals SET title_key = :key WHERE id = :id"),
            [{"id": row[0], "key": _search_key(row[1] or "")} for row in rows[start : start + _BATCH]],
        )


def downgrade() -> None:
    with op.batch_alter_table("deals", schema=None) as batch_op:
        batch_op.drop_index("ix_deals_title_key")
        batch_op.drop_column("title_key")
