"""contact registry: indexes for a manager's filtered, name-sorted pages

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 02:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.create_index(
            "ix_contacts_owner_status_name",
            ["responsible_user_id", "status", "name_key", "id"],
            unique=False,
        )
        batch_op.create_index("ix_contacts_status_name", ["status", "name_key", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("contacts", schema=None) as batch_op:
        batch_op.drop_index("ix_contacts_status_name")
        batch_op.drop_index("ix_contacts_owner_status_name")
