"""routing engine

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 20:07:15.882340
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.models.base
from sqlalchemy.dialects import postgresql

revision: str = '0003'
down_revision: str | None = '0002'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('contact_merges',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('survivor_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('merged_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('moved', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False),
    sa.Column('by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('created_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('undone_at', hub.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_contact_merges_by_user_id_users')),
    sa.ForeignKeyConstraint(['merged_id'], ['contacts.id'], name=op.f('fk_contact_merges_merged_id_contacts')),
    sa.ForeignKeyConstraint(['survivor_id'], ['contacts.id'], name=op.f('fk_contact_merges_survivor_id_contacts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_merges'))
    )
    with op.batch_alter_table('contact_merges', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_merges_merged_id'), ['merged_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_merges_survivor_id'), ['survivor_id'], unique=False)

    op.create_table('assignment_offers',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('offered_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', hub.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('timed_out_at', hub.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.Column('released_at', hub.models.base.UtcDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_assignment_offers_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_assignment_offers_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_assignment_offers'))
    )
    with op.batch_alter_table('assignment_offers', schema=None) as batch_op:
        batch_op.create_index('ix_assignment_offers_conversation', ['conversation_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_assignment_offers_user_id'), ['user_id'], unique=False)

    op.create_table('routing_decisions',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('conversation_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('created_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('from_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('to_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.Column('by_user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True),
    sa.ForeignKeyConstraint(['by_user_id'], ['users.id'], name=op.f('fk_routing_decisions_by_user_id_users')),
    sa.ForeignKeyConstraint(['conversation_id'], ['conversations.id'], name=op.f('fk_routing_decisions_conversation_id_conversations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['from_user_id'], ['users.id'], name=op.f('fk_routing_decisions_from_user_id_users')),
    sa.ForeignKeyConstraint(['team_id'], ['teams.id'], name=op.f('fk_routing_decisions_team_id_teams')),
    sa.ForeignKeyConstraint(['to_user_id'], ['users.id'], name=op.f('fk_routing_decisions_to_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_routing_decisions'))
    )
    with op.batch_alter_table('routing_decisions', schema=None) as batch_op:
        batch_op.create_index('ix_routing_decisions_conversation', ['conversation_id', 'id'], unique=False)

    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required_skill', sa.String(length=100), nullable=True))

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.add_column(sa.Column('merged_into_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_contacts_merged_into_id_contacts'), 'contacts', ['merged_into_id'], ['id'])

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('required_skill', sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column('weight', sa.Float(), nullable=False, server_default='1.0'))
        batch_op.add_column(sa.Column('queued_at', hub.models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('offer_expires_at', hub.models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('wait_alerted_at', hub.models.base.UtcDateTime(timezone=True), nullable=True))
        batch_op.create_index('ix_conversations_offer_expires_at', ['offer_expires_at'], unique=False)
        batch_op.create_index('ix_conversations_queued_at', ['queued_at'], unique=False)

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.add_column(sa.Column('strategy', sa.Enum('least_busy', 'round_robin', 'longest_idle', 'manual', name='strategy', native_enum=False, length=20), nullable=False, server_default='least_busy'))
        batch_op.add_column(sa.Column('accept_timeout_s', sa.Integer(), nullable=False, server_default='45'))
        batch_op.add_column(sa.Column('wait_limit_s', sa.Integer(), nullable=False, server_default='300'))
        batch_op.add_column(sa.Column('business_hours', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=True))
        batch_op.add_column(sa.Column('after_hours_team_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_teams_after_hours_team_id_teams'), 'teams', ['after_hours_team_id'], ['id'])

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_call', sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column('skills', sa.JSON().with_variant(postgresql.JSONB(astext_type=sa.Text()), 'postgresql'), nullable=False, server_default='[]'))
        batch_op.add_column(sa.Column('last_assigned_at', hub.models.base.UtcDateTime(timezone=True), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('last_assigned_at')
        batch_op.drop_column('skills')
        batch_op.drop_column('on_call')

    with op.batch_alter_table('teams', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_teams_after_hours_team_id_teams'), type_='foreignkey')
        batch_op.drop_column('after_hours_team_id')
        batch_op.drop_column('business_hours')
        batch_op.drop_column('wait_limit_s')
        batch_op.drop_column('accept_timeout_s')
        batch_op.drop_column('strategy')

    with op.batch_alter_table('conversations', schema=None) as batch_op:
        batch_op.drop_index('ix_conversations_queued_at')
        batch_op.drop_index('ix_conversations_offer_expires_at')
        batch_op.drop_column('wait_alerted_at')
        batch_op.drop_column('offer_expires_at')
        batch_op.drop_column('queued_at')
        batch_op.drop_column('weight')
        batch_op.drop_column('required_skill')

    with op.batch_alter_table('contacts', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_contacts_merged_into_id_contacts'), type_='foreignkey')
        batch_op.drop_column('merged_into_id')

    with op.batch_alter_table('channels', schema=None) as batch_op:
        batch_op.drop_column('required_skill')

    with op.batch_alter_table('routing_decisions', schema=None) as batch_op:
        batch_op.drop_index('ix_routing_decisions_conversation')

    op.drop_table('routing_decisions')
    with op.batch_alter_table('assignment_offers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_assignment_offers_user_id'))
        batch_op.drop_index('ix_assignment_offers_conversation')

    op.drop_table('assignment_offers')
    with op.batch_alter_table('contact_merges', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_merges_survivor_id'))
        batch_op.drop_index(batch_op.f('ix_contact_merges_merged_id'))

    op.drop_table('contact_merges')
