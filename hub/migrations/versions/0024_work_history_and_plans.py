"""work history: presence intervals, conversation holdings (occupancy), managers' monthly
plans (issue #14)

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 23:30:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.models.base


revision: str = '0024'
down_revision: str | None = '0023'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('presence_intervals',
    sa.Column('id', _ID, nullable=False),
    sa.Column('user_id', _ID, nullable=False),
    sa.Column('presence', sa.Enum('online', 'away', 'offline', name='presence', native_enum=False, length=20), nullable=False),
    sa.Column('started_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', hub.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_presence_intervals_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_presence_intervals'))
    )
    op.create_index('ix_presence_intervals_user_started', 'presence_intervals', ['user_id', 'started_at'], unique=False)
    op.create_table('conversation_holdings',
    sa.Column('id', _ID, nullable=False),
    sa.Column('conversation_id', _ID, nullable=False),
    sa.Column('user_id', _ID, nullable=False),
    sa.Column('weight', sa.Float(), nullable=False),
    sa.Column('started_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', hub.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_conversation_holdings_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_conversation_holdings_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_conversation_holdings'))
    )
    op.create_index('ix_conversation_holdings_user_started', 'conversation_holdings', ['user_id', 'started_at'], unique=False)
    op.create_index('ix_conversation_holdings_conversation', 'conversation_holdings', ['conversation_id', 'ended_at'], unique=False)
    op.create_table('manager_plans',
    sa.Column('id', _ID, nullable=False),
    sa.Column('user_id', _ID, nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('amount', sa.Numeric(precision=14, scale=2), nullable=False),
    sa.Column('deals', sa.Integer(), nullable=True),
    sa.Column('set_by_id', _ID, nullable=True),
    sa.Column('updated_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['set_by_id'], ['users.id'], name=op.f('fk_manager_plans_set_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_manager_plans_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_manager_plans')),
    sa.UniqueConstraint('user_id', 'month', name=op.f('uq_manager_plans_user_id_month'))
    )


def downgrade() -> None:
    op.drop_table('manager_plans')
    op.drop_index('ix_conversation_holdings_conversation', table_name='conversation_holdings')
    op.drop_index('ix_conversation_holdings_user_started', table_name='conversation_holdings')
    op.drop_table('conversation_holdings')
    op.drop_index('ix_presence_intervals_user_started', table_name='presence_intervals')
    op.drop_table('presence_intervals')
