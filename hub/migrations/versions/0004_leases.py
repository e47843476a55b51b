"""leases

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 20:30:12.687212
"""
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.models.base


revision: str = '0004'
down_revision: str | None = '0003'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('leases',
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('holder', sa.String(length=200), nullable=False),
    sa.Column('expires_at', hub.models.base.UtcDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_leases'))
    )


def downgrade() -> None:
    op.drop_table('leases')
