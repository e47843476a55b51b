"""Activities: planned, edited, completed (with the next one), cancelled, snoozed, moved.

Entry points take the actor. An activity outside the actor's sight is "no such activity"
(404); changing one needs `ensure_can_change_activity`. Edits carry the version they started
from (409 `stale-version` with the current activity otherwise). Completing is a conditional
update on the planned row under its lock, so of two people completing at once one wins and
the other gets `activity-already-done` with who did it and when.

Each change emits `activity.changed`; the client's next-contact date follows
(`follow_next_contact`). Missed-call callbacks (`hub.actions.calls`) and the demo write
through `hub.actions.crm.log_activity` and are ordinary activities here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, time, timedelta
from typing import Any, Literal

from sqlalchemy import select, update

from hub.auth import Principal
from hub.core import Hub
from hub.models import Activity, ActivityStatus, Deal
from hub.policy import (
    Actor,
    InvalidInput,
    NotFound,
    already_closed,
    ensure_can_change_activity,
    stale_version,
    user_id_of,
)
from hub.queries.activities import activity_items, visible_where, zone
from hub.queries.crm_access import crm_view, mates_of

from .activity_writes import announce, follow_next_contact, resolve, write_participants, zone_name
from .uow import UnitOfWork, unit_of_work

Snooze = Literal["10m", "1h", "tomorrow"]
# "Tomorrow" means the start of the working day in the person's own zone.
MORNING = time(9, 0)


def no_such_activity(activity_id: int) -> NotFound:
    return NotFound("no-such-activity", "There is no such activity.", {"id": activity_id})


async def _editable(
    uow: UnitOfWork, actor: Actor, activity_id: int, version: int | None, *, planned: bool = False
) -> Activity:
    """The activity, locked, if the actor sees it (404), may change it (403), edits the
    version standing now (409) and, for `planned`, it is still planned (409)."""
    view = await crm_view(uow.session, actor)
    stmt = select(Activity).where(
        Activity.id == activity_id, visible_where(view, user_id_of(actor))
    )
    if uow.hub.db.dialect == "postgresql":
        stmt = stmt.with_for_update(of=Activity)
    activity = (await uow.session.execute(stmt)).scalar_one_or_none()
    if activity is None:
        raise no_such_activity(activity_id)
    ensure_can_change_activity(
        actor, activity.user_id, activity.created_by_id, await mates_of(uow.session, actor)
    )
    if planned and activity.status != ActivityStatus.planned:
        raise already_closed(
            activity.id, activity.status, activity.done_by_id, _iso(activity.done_at)
        )
    if version is not None and version != activity.version:
        [current] = await activity_items(uow.session, [activity.id], uow.now())
        raise stale_version(
            "activity", activity.id, activity.version, current.model_dump(mode="json")
        )
    return activity


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


async def add_activity(uow: UnitOfWork, actor: Actor, values: Mapping[str, Any]) -> Activity:
    """A new activity inside the caller's unit of work (also the "next" of a completion)."""
    resolved = await resolve(uow, actor, values, None)
    now = uow.now()
    defaults = {"kind": "task", "body": "", "agenda": "", "place": "", "outcome": ""}
    activity = Activity(
        **{**defaults, **resolved.columns},
        status=ActivityStatus.planned.value,
        created_by_id=user_id_of(actor),
        version=1,
        created_at=now,
        updated_at=now,
    )
    uow.session.add(activity)
    await uow.session.flush()
    await write_participants(uow, activity, resolved)
    if isinstance(actor, Principal):
        # A person planning the next step works on the deal; a robot's reminder does not
        # (or the robot that flags stalled deals would un-stall them by itself).
        await worked_on_deal(uow, activity.deal_id)
    await announce(uow, activity, "created")
    await follow_next_contact(uow, [activity.contact_id])
    return activity


async def worked_on_deal(uow: UnitOfWork, deal_id: int | None) -> None:
    """The deal saw activity now: what «Зависшая сделка» (robots) measures quiet time from."""
    if deal_id is not None:
        await uow.session.execute(
            update(Deal).where(Deal.id == deal_id).values(last_activity_at=uow.now())
        )


async def create_activity(hub: Hub, actor: Actor, values: Mapping[str, Any]) -> int:
    async with unit_of_work(hub) as uow:
        return (await add_activity(uow, actor, values)).id


async def update_activity(
    hub: Hub, actor: Actor, activity_id: int, version: int, changes: Mapping[str, Any]
) -> None:
    """Change the fields given; status changes only by complete / cancel."""
    async with unit_of_work(hub) as uow:
        activity = await _editable(uow, actor, activity_id, version)
        resolved = await resolve(uow, actor, changes, activity)
        was_contact, was_responsible = activity.contact_id, activity.user_id
        changed = {k: v for k, v in resolved.columns.items() if getattr(activity, k) != v}
        if not changed and resolved.user_ids is None and resolved.contact_ids is None:
            return
        for column, value in changed.items():
            setattr(activity, column, value)
        activity.version += 1
        activity.updated_at = uow.now()
        await write_participants(uow, activity, resolved)
        await announce(uow, activity, "updated", was=was_responsible)
        await follow_next_contact(uow, [was_contact, activity.contact_id])


async def complete_activity(
    hub: Hub,
    actor: Actor,
    activity_id: int,
    result: str,
    *,
    outcome: str | None = None,
    version: int | None = None,
    next_activity: Mapping[str, Any] | None = None,
) -> int | None:
    """Done, with its result (and a meeting's outcome); returns the next activity's id when
    one was asked for. It starts from this one's client, organisation, deal, conversation and
    responsible user unless given."""
    if not result.strip():
        raise InvalidInput(
            [
                {
                    "field": "result",
                    "location": "body",
                    "type": "blank",
                    "message": "say what came of it",
                }
            ]
        )
    async with unit_of_work(hub) as uow:
        activity = await _editable(uow, actor, activity_id, version, planned=True)
        now = uow.now()
        values: dict[str, Any] = {
            "status": ActivityStatus.done.value,
            "result": result.strip(),
            "done_at": now,
            "done_by_id": user_id_of(actor),
            "version": Activity.version + 1,
            "updated_at": now,
        }
        if outcome is not None:
            values["outcome"] = outcome
        if activity.remind_delivered_at is None:
            values["remind_at"] = None  # nothing left to remind of
        # Conditional on "still planned": the lock above already serialises; this keeps the
        # rule true even for a writer that skipped it.
        won = await uow.session.execute(
            update(Activity)
            .where(Activity.id == activity.id, Activity.status == ActivityStatus.planned)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        if getattr(won, "rowcount", 0) != 1:
            await uow.session.refresh(activity)
            raise already_closed(activity.id, activity.status, activity.done_by_id, None)
        await uow.session.refresh(activity)
        await worked_on_deal(uow, activity.deal_id)
        await announce(uow, activity, "done")
        follow_up = None
        if next_activity is not None:
            base = {
                "kind": activity.kind,
                "contact_id": activity.contact_id,
                "organisation_id": activity.organisation_id,
                "deal_id": activity.deal_id,
                "conversation_id": activity.conversation_id,
                "responsible_id": activity.user_id,
            }
            follow_up = await add_activity(uow, actor, {**base, **next_activity})
        await follow_next_contact(uow, [activity.contact_id], closed_due=activity.due_at)
        return None if follow_up is None else follow_up.id


async def cancel_activity(
    hub: Hub, actor: Actor, activity_id: int, reason: str = "", version: int | None = None
) -> None:
    async with unit_of_work(hub) as uow:
        activity = await _editable(uow, actor, activity_id, version, planned=True)
        activity.status = ActivityStatus.cancelled.value
        activity.result = reason.strip()
        activity.done_at = uow.now()
        activity.done_by_id = user_id_of(actor)
        if activity.remind_delivered_at is None:
            activity.remind_at = None
        activity.version += 1
        activity.updated_at = uow.now()
        await announce(uow, activity, "cancelled")
        await follow_next_contact(uow, [activity.contact_id], closed_due=activity.due_at)


def snoozed_until(preset: Snooze, now: datetime, time_zone: str) -> datetime:
    if preset == "10m":
        return now + timedelta(minutes=10)
    if preset == "1h":
        return now + timedelta(hours=1)
    local = zone(time_zone)
    tomorrow = now.astimezone(local).date() + timedelta(days=1)
    return datetime.combine(tomorrow, MORNING, tzinfo=local).astimezone(UTC)


async def snooze_activity(
    hub: Hub, actor: Actor, activity_id: int, preset: Snooze, version: int | None = None
) -> datetime:
    """Remind again in 10 minutes, in an hour, or tomorrow at 9:00 in the person's zone."""
    async with unit_of_work(hub) as uow:
        activity = await _editable(uow, actor, activity_id, version, planned=True)
        tz = await zone_name(uow, user_id_of(actor) or activity.user_id)
        activity.remind_at = snoozed_until(preset, uow.now(), tz)
        activity.remind_delivered_at = None
        activity.remind_late = False
        activity.version += 1
        activity.updated_at = uow.now()
        await announce(uow, activity, "snoozed")
        return activity.remind_at


async def reschedule_activity(
    hub: Hub,
    actor: Actor,
    activity_id: int,
    due_at: datetime,
    *,
    duration_min: int | None = None,
    version: int | None = None,
) -> None:
    """Move it (drag in the calendar): a pending reminder moves by as much."""
    async with unit_of_work(hub) as uow:
        activity = await _editable(uow, actor, activity_id, version, planned=True)
        values: dict[str, Any] = {"due_at": due_at}
        if duration_min is not None:
            values["duration_min"] = duration_min
        resolved = await resolve(uow, actor, values, activity)
        new_due = resolved.columns["due_at"]
        if activity.due_at is not None and activity.remind_at is not None:
            moved = activity.remind_at + (new_due - activity.due_at)
            if activity.remind_delivered_at is None or moved > uow.now():
                activity.remind_at = max(moved, uow.now())
                activity.remind_delivered_at, activity.remind_late = None, False
        for column, value in resolved.columns.items():
            setattr(activity, column, value)
        activity.version += 1
        activity.updated_at = uow.now()
        await write_participants(uow, activity, resolved)
        await announce(uow, activity, "rescheduled")
        await follow_next_contact(uow, [activity.contact_id])
