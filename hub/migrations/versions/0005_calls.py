"""calls

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 20:34:18.504570
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.models.base
from sqlalchemy.dialects import postgresql

revision: str = '0005'
down_revision: str | None = '0004'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('calls',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('channel_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('linkedid', sa.String(length=64), nullable=False),
    sa.Column('direction', sa.Enum('inbound', 'outbound', 'internal', name='call_direction', native_enum=False, length=20), nullable=False),
    sa.Column('caller', sa.String(length=80), nullable=True),
    sa.Column('callee', sa.String(length=80), nullable=True),
    sa.Column('client_number', sa.String(length=32), nullable=True),
    sa.Column('queue', sa.String(length=100), nullable=True),
    sa.Column('outcome', sa.Enum('answered', 'missed', 'abandoned', 'busy', 'failed', name='call_outcome', native_enum=False, length=20), nullable=True),
    sa.Column('answered_by_extension', sa.String(length=20), nullable=True),
    sa.Column('answered_by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('transferred_to', sa.String(length=80), nullable=True),
    sa.Column('transfer_kind', sa.String(length=10), nullable=True),
    sa.Column('agents_rung', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('wait_s', sa.Float(), nullable=True),
    sa.Column('talk_s', sa.Float(), nullable=True),
    sa.Column('hangup_cause', sa.Integer(), nullable=True),
    sa.Column('recording', sa.String(length=300), nullable=True),
    sa.Column('recording_url', sa.String(length=1000), nullable=True),
    sa.Column('resynced', sa.Boolean(), nullable=False),
    sa.Column('started_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('answered_at', hub.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('ended_at', hub.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('contact_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['answered_by_user_id'], ['users.id'], name=op.f('fk_calls_answered_by_user_id_users')),
    sa.ForeignKeyConstraint(['channel_id'], ['channels.id'], name=op.f('fk_calls_channel_id_channels')),
    sa.ForeignKeyConstraint(['contact_id'], ['contacts.id'], name=op.f('fk_calls_contact_id_contacts')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_calls_conversation_id_conversations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calls')),
    sa.UniqueConstraint('channel_id', 'linkedid', name=op.f('uq_calls_channel_id_linkedid'))
    )
    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.create_index('ix_calls_answered_by_started', ['answered_by_user_id', 'started_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_calls_client_number'), ['client_number'], unique=False)
        batch_op.create_index('ix_calls_contact_started', ['contact_id', 'started_at'], unique=False)
        batch_op.create_index('ix_calls_started_at', ['started_at'], unique=False)

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('extension', sa.String(length=20), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_users_extension'), ['extension'])



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_users_extension'), type_='unique')
        batch_op.drop_column('extension')

    with op.batch_alter_table('calls', schema=None) as batch_op:
        batch_op.drop_index('ix_calls_started_at')
        batch_op.drop_index('ix_calls_contact_started')
        batch_op.drop_index(batch_op.f('ix_calls_client_number'))
        batch_op.drop_index('ix_calls_answered_by_started')

    op.drop_table('calls')
