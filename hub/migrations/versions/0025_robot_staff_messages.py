"""robots: notices to staff by e-mail or Telegram (queued, delivered by the hosts' worker);
a person's Telegram chat id

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 23:20:00.000000
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.models.base

revision: str = '0025'
down_revision: str | None = '0024'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BIG_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('telegram_chat_id', sa.String(length=64), nullable=True))
    op.create_table('robot_staff_messages',
    sa.Column('id', BIG_ID, nullable=False),
    sa.Column('firing_id', BIG_ID, nullable=False),
    sa.Column('user_id', BIG_ID, nullable=False),
    sa.Column('medium', sa.String(length=10), nullable=False),
    sa.Column('channel_id', BIG_ID, nullable=False),
    sa.Column('address', sa.String(length=320), nullable=False),
    sa.Column('subject', sa.String(length=300), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', hub.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('created_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('sent_at', hub.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['firing_id'], ['robot_firings.id'], name=op.f('fk_robot_staff_messages_firing_id_robot_firings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_robot_staff_messages_user_id_users'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_robot_staff_messages_channel_id_channels'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_robot_staff_messages')),
    sa.UniqueConstraint('firing_id', 'user_id', 'medium', name='uq_robot_staff_messages_once')
    )
    op.create_index('ix_robot_staff_messages_due', 'robot_staff_messages', ['status', 'next_attempt_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_robot_staff_messages_due', table_name='robot_staff_messages')
    op.drop_table('robot_staff_messages')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('telegram_chat_id')
