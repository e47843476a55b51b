"""Delivering due reminders: one indexed query per batch, marked delivered in the same
transaction that emits `reminder.due` (ARCHITECTURE rule 6: the scheduler runs on the node
holding the "reminders" lease, see `hub.host.reminders`).

Exactly once, across nodes and restarts, rests on the rows, not on the lease: a batch takes
pending rows under FOR UPDATE SKIP LOCKED on PostgreSQL (BEGIN IMMEDIATE serialises writers
on SQLite) and the update is conditional on `remind_delivered_at IS NULL`; the event is
logged in that transaction. A node dying before commit delivers nothing; the next holder
delivers it, `late` if it is by then more than `late_after` past its time.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, select, update

from hub.core import Hub
from hub.events import ReminderDue
from hub.models import Activity, User
from hub.queries.activities import among
from hub.queries.activity_lists import CELL_COLUMNS, cells

from .activity_writes import reminder_audience
from .uow import unit_of_work

BATCH = 1000


async def deliver_due(hub: Hub, late_after: timedelta, batch: int = BATCH) -> int:
    """Deliver every reminder due by the hub's clock; returns how many were delivered."""
    total = 0
    while True:
        delivered = await _deliver_batch(hub, late_after, batch)
        total += delivered
        if delivered < batch:
            return total


async def _deliver_batch(hub: Hub, late_after: timedelta, batch: int) -> int:
    async with unit_of_work(hub) as uow:
        now = uow.now()
        # The partial index ix_activities_reminder_due holds exactly the pending rows.
        stmt = (
            select(Activity.id)
            .where(Activity.remind_at <= now, Activity.remind_delivered_at.is_(None))
            .order_by(Activity.remind_at, Activity.id)
            .limit(batch)
        )
        if hub.db.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        ids = list((await uow.session.execute(stmt)).scalars())
        if not ids:
            return 0
        await uow.session.execute(
            update(Activity)
            .where(among(Activity.id, ids, hub.db.dialect), Activity.remind_delivered_at.is_(None))
            .values(
                remind_delivered_at=now,
                remind_late=case((Activity.remind_at < now - late_after, True), else_=False),
            )
            .execution_options(synchronize_session=False)
        )
        rows = (
            await uow.session.execute(
                select(*CELL_COLUMNS, Activity.remind_at, Activity.remind_late, User.time_zone)
                .outerjoin(User, User.id == Activity.user_id)
                .where(among(Activity.id, ids, hub.db.dialect))
                .order_by(Activity.remind_at, Activity.id)
            )
        ).all()
        zones = {r.user_id: r.time_zone for r in rows if r.user_id is not None}
        # The toast's cell, not the full activity: 10,000 of them may fall due at once.
        for row, cell in zip(rows, await cells(uow.session, rows, zones, now), strict=True):
            uow.emit(
                ReminderDue(
                    audience=reminder_audience(row.user_id, set(cell.participant_ids)),
                    activity=cell.model_dump(mode="json"),
                    remind_at=row.remind_at.isoformat(),
                    late=row.remind_late,
                )
            )
        return len(ids)
