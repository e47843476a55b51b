"""deal payment: the payment due date, the paid mark and since when the deal is owed (issue #13)

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 20:15:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.models.base


revision: str = '0020'
down_revision: str | None = '0019'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.add_column(sa.Column('payment_due_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('paid_at', hub.models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('payment_owed_since', hub.models.base.UtcDateTime(timezone=True), nullable=True))
        # The robot's scan: deals whose due date has passed (most deals have none).
        batch_op.create_index('ix_deals_payment_due_on', ['payment_due_on'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('deals', schema=None) as batch_op:
        batch_op.drop_index('ix_deals_payment_due_on')
        batch_op.drop_column('payment_owed_since')
        batch_op.drop_column('paid_at')
        batch_op.drop_column('payment_due_on')
