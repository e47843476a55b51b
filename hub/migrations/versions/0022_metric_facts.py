"""metric facts: the narrow table reports read, written with the events (issue #14)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 23:05:00.000000

The table starts empty: `okno metrics rebuild --since DATE` fills it from the stored
conversations, messages, event log and calls (docs/metrics.md).
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.models.base

revision: str = '0022'
down_revision: str | None = '0021'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'metric_facts',
        sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('subject_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'),
                  nullable=False),
        sa.Column('cohort_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('occurred_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('team_id', sa.Integer(), nullable=True),
        sa.Column('channel_id', sa.Integer(), nullable=False),
        sa.Column('operator_id', sa.Integer(), nullable=True),
        sa.Column('value_s', sa.Float(), nullable=True),
        sa.Column('work_s', sa.Float(), nullable=True),
        sa.Column('flags', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_metric_facts')),
    )
    op.create_index('ix_metric_facts_kind_cohort', 'metric_facts', ['kind', 'cohort_at'],
                    unique=False)
    op.create_index('ix_metric_facts_subject', 'metric_facts', ['subject_id', 'kind'],
                    unique=False)


def downgrade() -> None:
    op.drop_index('ix_metric_facts_subject', table_name='metric_facts')
    op.drop_index('ix_metric_facts_kind_cohort', table_name='metric_facts')
    op.drop_table('metric_facts')
