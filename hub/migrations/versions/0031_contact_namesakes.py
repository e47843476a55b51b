"""contacts: the name's index carries the id, so the newest namesakes are read in its order

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-07 13:15:00.000000

`ix_contacts_name_key` (name_key) becomes `ix_contacts_name_key_id` (name_key, id). Search
looks a typed name up whole first and takes the newest NAMESAKES clients who bear it
(hub/queries/search.py): with the id in the index that is a backward walk of the index that
stops at the bound, however many clients share the name (in a base of Telegram contacts named
just «Анна» they run to tens of thousands), instead of reading every one of them and sorting.
Every other use of the old index (a name's equality or range) is served by the new one, so it
is replaced rather than kept beside it.
"""

from collections.abc import Sequence

from alembic import op

revision: str = '0031'
down_revision: str | None = '0030'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index('ix_contacts_name_key_id', 'contacts', ['name_key', 'id'])
    op.drop_index('ix_contacts_name_key', table_name='contacts')


def downgrade() -> None:
    op.create_index('ix_contacts_name_key', 'contacts', ['name_key'])
    op.drop_index('ix_contacts_name_key_id', table_name='contacts')
