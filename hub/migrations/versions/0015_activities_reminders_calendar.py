"""activities: kinds, results, durations, meetings, participants, reminders; user time zones
and iCalendar feed tokens

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import hub.models.base

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
_UTC = hub.models.base.UtcDateTime(timezone=True)
_PENDING = "remind_delivered_at IS NULL AND remind_at IS NOT NULL"
_PLANNED = "status = 'planned'"


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "time_zone", sa.String(length=64), nullable=False, server_default="Europe/Moscow"
            )
        )
        batch_op.add_column(sa.Column("ical_token_hash", sa.String(length=64), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_users_ical_token_hash"), ["ical_token_hash"]
        )

    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("result", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("organisation_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("conversation_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("created_by_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("duration_min", sa.Integer(), nullable=True))
        batch_op.add_column(
            sa.Column("all_day", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("agenda", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column("place", sa.String(length=500), nullable=False, server_default="")
        )
        batch_op.add_column(sa.Column("outcome", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(sa.Column("remind_delivered_at", _UTC, nullable=True))
        batch_op.add_column(
            sa.Column("remind_late", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("done_at", _UTC, nullable=True))
        batch_op.add_column(sa.Column("done_by_id", _ID, nullable=True))
        batch_op.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
        batch_op.add_column(sa.Column("updated_at", _UTC, nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_activities_organisation_id_organisations"),
            "organisations",
            ["organisation_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_activities_conversation_id_conversations"),
            "conversations",
            ["conversation_id"],
            ["id"],
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_activities_created_by_id_users"), "users", ["created_by_id"], ["id"]
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_activities_done_by_id_users"), "users", ["done_by_id"], ["id"]
        )
        batch_op.create_index("ix_activities_organisation_id", ["organisation_id"], unique=False)
        batch_op.create_index("ix_activities_user_due", ["user_id", "due_at"], unique=False)
        batch_op.create_index("ix_activities_due", ["due_at"], unique=False)
        batch_op.create_index(
            "ix_activities_user_planned_due",
            ["user_id", "due_at"],
            unique=False,
            postgresql_where=sa.text(_PLANNED),
            sqlite_where=sa.text(_PLANNED),
        )
        batch_op.create_index(
            "ix_activities_reminder_due",
            ["remind_at"],
            unique=False,
            postgresql_where=sa.text(_PENDING),
            sqlite_where=sa.text(_PENDING),
        )

    # The old "message" kind is a letter now; finished activities have no reminder pending
    # (the scheduler would otherwise deliver years-old reminders on its first tick).
    op.execute("UPDATE activities SET kind = 'email' WHERE kind = 'message'")
    op.execute(
        "UPDATE activities SET remind_at = NULL "
        "WHERE status <> 'planned' AND remind_delivered_at IS NULL"
    )

    op.create_table(
        "activity_participants",
        sa.Column("id", _ID, nullable=False),
        sa.Column("activity_id", _ID, nullable=False),
        sa.Column("user_id", _ID, nullable=True),
        sa.Column("contact_id", _ID, nullable=True),
        sa.Column("due_at", _UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["activity_id"],
            ["activities.id"],
            name=op.f("fk_activity_participants_activity_id_activities"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["contact_id"],
            ["contacts.id"],
            name=op.f("fk_activity_participants_contact_id_contacts"),
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_activity_participants_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_activity_participants")),
        sa.UniqueConstraint(
            "activity_id", "user_id", name=op.f("uq_activity_participants_activity_id_user_id")
        ),
    )
    with op.batch_alter_table("activity_participants", schema=None) as batch_op:
        batch_op.create_index(
            "ix_activity_participants_user_due", ["user_id", "due_at"], unique=False
        )
        batch_op.create_index("ix_activity_participants_contact_id", ["contact_id"], unique=False)


def downgrade() -> None:
    op.drop_table("activity_participants")
    op.execute("UPDATE activities SET kind = 'message' WHERE kind = 'email'")
    with op.batch_alter_table("activities", schema=None) as batch_op:
        batch_op.drop_index("ix_activities_reminder_due")
        batch_op.drop_index("ix_activities_user_planned_due")
        batch_op.drop_index("ix_activities_due")
        batch_op.drop_index("ix_activities_user_due")
        batch_op.drop_index("ix_activities_organisation_id")
        batch_op.drop_constraint(batch_op.f("fk_activities_done_by_id_users"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_activities_created_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_activities_conversation_id_conversations"), type_="foreignkey"
        )
        batch_op.drop_constraint(
            batch_op.f("fk_activities_organisation_id_organisations"), type_="foreignkey"
        )
        for column in (
            "updated_at",
            "version",
            "done_by_id",
            "done_at",
            "remind_late",
            "remind_delivered_at",
            "outcome",
            "place",
            "agenda",
            "all_day",
            "duration_min",
            "created_by_id",
            "conversation_id",
            "organisation_id",
            "result",
        ):
            batch_op.drop_column(column)
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_users_ical_token_hash"), type_="unique")
        batch_op.drop_column("ical_token_hash")
        batch_op.drop_column("time_zone")
