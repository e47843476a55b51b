"""calendar: a team's week from a covering index (PostgreSQL); absences get a version

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 20:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0021'
down_revision: str | None = '0020'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CELL_COLUMNS = [
    'id', 'kind', 'subject', 'status', 'duration_min', 'all_day', 'contact_id', 'deal_id',
    'place', 'version',
]


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        # (user_id, due_at) with a calendar cell's columns: an index-only scan per week.
        op.create_index(
            'ix_activities_user_due_cells', 'activities', ['user_id', 'due_at'],
            unique=False, postgresql_include=CELL_COLUMNS,
        )
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('absences', schema=None) as batch_op:
        batch_op.drop_column('version')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index('ix_activities_user_due_cells', table_name='activities')
