"""widget: read state of conversations and the website visitor a chat belongs to

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 22:45:12.767339
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client_read_up_to", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("agent_read_up_to", sa.BigInteger(), nullable=True))
        batch_op.add_column(sa.Column("widget_visitor", sa.String(length=64), nullable=True))
        batch_op.create_index(
            "ix_conversations_channel_visitor", ["channel_id", "widget_visitor"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("conversations", schema=None) as batch_op:
        batch_op.drop_index("ix_conversations_channel_visitor")
        batch_op.drop_column("widget_visitor")
        batch_op.drop_column("agent_read_up_to")
        batch_op.drop_column("client_read_up_to")
