"""calls: the interval a call's unseen end lies in (ended_not_after), and the moment the
answering operator transferred it (transferred_at)

Revision ID: 0028
Revises: 0025
Create Date: 2026-12-07 02:50:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.models.base

revision: str = '0028'
down_revision: str | None = '0025'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('transferred_at', hub.models.base.UtcDateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(
            sa.Column('ended_not_after', hub.models.base.UtcDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_column('ended_not_after')
        batch_op.drop_column('transferred_at')
