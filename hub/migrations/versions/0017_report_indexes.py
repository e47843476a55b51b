"""reports: conversations by creation time (a report's cohort) and calls by number and time
(whether a lost call was called back)

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 07:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_conversations_created_at", "conversations", ["created_at"])
    op.create_index("ix_calls_number_started", "calls", ["client_number", "started_at"])


def downgrade() -> None:
    op.drop_index("ix_calls_number_started", table_name="calls")
    op.drop_index("ix_conversations_created_at", table_name="conversations")
