"""SLA: policies per team and channel, and their breaches

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 23:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.models.base


revision: str = '0023'
down_revision: str | None = '0022'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table(
        'sla_policies',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('team_id', BIG_ID, nullable=True),
        sa.Column('channel_id', BIG_ID, nullable=True),
        sa.Column('scope_key', sa.String(length=80), nullable=False),
        sa.Column('first_response_s', sa.Integer(), nullable=True),
        sa.Column('next_response_s', sa.Integer(), nullable=True),
        sa.Column('resolution_s', sa.Integer(), nullable=True),
        sa.Column('working_time', sa.Boolean(), nullable=False),
        sa.Column('enabled', sa.Boolean(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('created_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('updated_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['team_id'], ['teams.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('scope_key'),
    )
    op.create_table(
        'sla_breaches',
        sa.Column('id', BIG_ID, nullable=False),
        sa.Column('conversation_id', BIG_ID, nullable=False),
        sa.Column('policy_id', BIG_ID, nullable=True),
        sa.Column('measure', sa.String(length=20), nullable=False),
        sa.Column('episode_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('target_s', sa.Integer(), nullable=False),
        sa.Column('working_time', sa.Boolean(), nullable=False),
        sa.Column('due_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('detected_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
        sa.Column('team_id', BIG_ID, nullable=True),
        sa.Column('channel_id', BIG_ID, nullable=True),
        sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['policy_id'], ['sla_policies.id'], ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint(
            'conversation_id', 'measure', 'episode_at', name='uq_sla_breach_episode'
        ),
    )
    op.create_index('ix_sla_breaches_due_at', 'sla_breaches', ['due_at'], unique=False)
    # The check looks for clocks that stopped late among recent answers and closes.
    op.create_index(
        'ix_conversations_first_response_at', 'conversations', ['first_response_at'], unique=False
    )
    op.create_index('ix_conversations_closed_at', 'conversations', ['closed_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_conversations_closed_at', table_name='conversations')
    op.drop_index('ix_conversations_first_response_at', table_name='conversations')
    op.drop_index('ix_sla_breaches_due_at', table_name='sla_breaches')
    op.drop_table('sla_breaches')
    op.drop_table('sla_policies')
