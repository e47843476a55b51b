"""The checks and writes behind `hub.actions.activities`, inside the caller's unit of work.

`resolve` turns what the caller sent (for a new activity, or the fields of an edit) into
column values, checking every field and raising one `InvalidInput` that lists all problems,
before anything is written. `announce` emits `activity.changed`; `follow_next_contact` keeps
the client's «дата следующего контакта» on his earliest planned activity.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update

from hub.auth import Principal
from hub.events import STAFF_ROLES, ActivityChanged, Audience, ContactChanged
from hub.models import (
    Activity,
    ActivityKind,
    ActivityParticipant,
    Contact,
    Conversation,
    Deal,
    Organisation,
    User,
)
from hub.policy import Actor, InvalidInput, may_plan_for, user_id_of
from hub.queries.activities import DEFAULT_ZONE, MAX_DURATION, activity_items, utc, zone
from hub.queries.crm_access import CrmView, crm_audience, crm_view, mates_of

from .uow import UnitOfWork

# A reminder set a little in the past (the form was open a while) is taken as "now".
REMINDER_GRACE = timedelta(minutes=1)
# Columns an edit may set directly, by the API's field names.
_PLAIN = {
    "kind": "kind",
    "subject": "subject",
    "description": "body",
    "agenda": "agenda",
    "place": "place",
    "outcome": "outcome",
    "contact_id": "contact_id",
    "organisation_id": "organisation_id",
    "deal_id": "deal_id",
    "conversation_id": "conversation_id",
    "duration_min": "duration_min",
    "all_day": "all_day",
    "responsible_id": "user_id",
}


@dataclass
class Resolved:
    """Checked column values, and the participant lists when they were given."""

    columns: dict[str, Any] = field(default_factory=dict)
    user_ids: list[int] | None = None
    contact_ids: list[int] | None = None


async def zone_name(uow: UnitOfWork, user_id: int | None) -> str:
    if user_id is None:
        return DEFAULT_ZONE
    found = await uow.session.execute(select(User.time_zone).where(User.id == user_id))
    return found.scalar_one_or_none() or DEFAULT_ZONE


def _error(field_name: str, error_type: str, message: str) -> dict[str, str]:
    return {"field": field_name, "location": "body", "type": error_type, "message": message}


class _Checker:
    def __init__(self, uow: UnitOfWork, actor: Actor, view: CrmView, mates: frozenset[int]):
        self.uow, self.actor, self.view, self.mates = uow, actor, view, mates
        self.errors: list[dict[str, str]] = []

    def fail(self, field_name: str, error_type: str, message: str) -> None:
        self.errors.append(_error(field_name, error_type, message))

    async def person(self, field_name: str, user_id: int) -> bool:
        user = await self.uow.session.get(User, user_id)
        if user is None or not user.is_active:
            self.fail(field_name, "no-such-user", "there is no such active user")
            return False
        if not may_plan_for(self.actor, user_id, self.mates, self.view.sees(user_id)):
            self.fail(field_name, "not-visible", "this user is in a team you may not see")
            return False
        return True

    async def contact(self, field_name: str, contact_id: int) -> int | None:
        """The contact's id (a merged one's survivor) if it exists and is in view."""
        contact = await self.uow.session.get(Contact, contact_id)
        if contact is not None and contact.merged_into_id is not None:
            contact = await self.uow.session.get(Contact, contact.merged_into_id)
        if contact is None or not self.view.sees(contact.responsible_user_id):
            self.fail(field_name, "no-such-contact", "there is no such contact")
            return None
        return contact.id

    async def link(self, name: str, value: int) -> None:
        model: Any = {"organisation_id": Organisation, "deal_id": Deal}[name]
        row = await self.uow.session.get(model, value)
        if row is None or not self.view.sees(row.responsible_user_id):
            self.fail(name, f"no-such-{name[:-3]}", f"there is no such {name[:-3]}")


async def resolve(
    uow: UnitOfWork, actor: Actor, values: Mapping[str, Any], current: Activity | None
) -> Resolved:
    """Check `values` (API field names; for an edit, only those sent) against `current`."""
    view = await crm_view(uow.session, actor)
    check = _Checker(uow, actor, view, await mates_of(uow.session, actor))
    values = dict(values)
    out = Resolved()
    if values.get("conversation_id") is not None:
        conversation = await uow.session.get(Conversation, values["conversation_id"])
        if conversation is None:
            check.fail("conversation_id", "no-such-conversation", "there is no such conversation")
        elif current is None and "contact_id" not in values:
            # «Перезвонить» from a conversation: the client comes with it.
            values["contact_id"] = conversation.contact_id
    if current is None and values.get("deal_id") is not None:
        deal = await uow.session.get(Deal, values["deal_id"])
        if deal is not None:
            # From a deal's page: its client and organisation come with it.
            values.setdefault("contact_id", deal.contact_id)
            values.setdefault("organisation_id", deal.organisation_id)
    if current is None and "responsible_id" not in values:
        values["responsible_id"] = user_id_of(actor)
    if values.get("responsible_id") is not None:
        await check.person("responsible_id", values["responsible_id"])
    if values.get("contact_id") is not None:
        values["contact_id"] = await check.contact("contact_id", values["contact_id"])
    for name in ("organisation_id", "deal_id"):
        if values.get(name) is not None:
            await check.link(name, values[name])
    if "kind" in values:
        values["kind"] = ActivityKind(values["kind"]).value
    for key, column in _PLAIN.items():
        if key in values:
            out.columns[column] = values[key]
    if "subject" in values:
        out.columns["subject"] = str(values["subject"]).strip()
        if not out.columns["subject"]:
            check.fail("subject", "blank", "must not be blank")
    await _times(uow, actor, values, current, out, check)
    if "participant_ids" in values:
        out.user_ids = []
        for index, user_id in enumerate(dict.fromkeys(values["participant_ids"])):
            if await check.person(f"participant_ids.{index}", user_id):
                out.user_ids.append(user_id)
    if "contact_participant_ids" in values:
        out.contact_ids = []
        for index, contact_id in enumerate(dict.fromkeys(values["contact_participant_ids"])):
            found = await check.contact(f"contact_participant_ids.{index}", contact_id)
            if found is not None:
                out.contact_ids.append(found)
    if check.errors:
        raise InvalidInput(check.errors)
    return out


async def _times(
    uow: UnitOfWork,
    actor: Actor,
    values: Mapping[str, Any],
    current: Activity | None,
    out: Resolved,
    check: _Checker,
) -> None:
    """Due time, end, all-day date and reminder: naive times are the actor's wall clock."""
    tz = await zone_name(uow, user_id_of(actor) or values.get("responsible_id"))
    all_day = values.get("all_day", current.all_day if current else False)
    due = current.due_at if current else None
    if values.get("due_at") is not None:
        given: datetime = values["due_at"]
        due = utc(given, tz)
        if all_day:
            # The date the person meant, kept as midnight UTC: it stays on that date.
            local_day = given.date() if given.tzinfo is None else due.astimezone(zone(tz)).date()
            due = datetime.combine(local_day, time(), tzinfo=UTC)
        out.columns["due_at"] = due
    elif "due_at" in values:
        out.columns["due_at"] = due = None
    elif all_day and due is not None and "all_day" in values:
        due = datetime.combine(due.astimezone(zone(tz)).date(), time(), tzinfo=UTC)
        out.columns["due_at"] = due
    if values.get("ends_at") is not None:
        end = utc(values["ends_at"], tz)
        if due is None:
            check.fail("due_at", "missing", "an end needs a start")
        elif end < due:
            check.fail("ends_at", "ends-before-start", "must not be before the start")
        elif end - due > MAX_DURATION:
            check.fail("ends_at", "too-long", "an activity lasts a day at most")
        else:
            out.columns["duration_min"] = int((end - due).total_seconds() // 60)
    if all_day:
        out.columns["duration_min"] = None
    if "remind_at" in values:
        remind = values["remind_at"]
        if remind is not None:
            remind = utc(remind, tz)
        if current is not None and remind == current.remind_at:
            return  # a form sent back whole: the reminder stays as it is, delivered or not
        if remind is not None and remind < uow.now() - REMINDER_GRACE:
            check.fail("remind_at", "in-the-past", "the reminder time has passed already")
        out.columns["remind_at"] = remind
        # A new reminder time is pending again.
        out.columns["remind_delivered_at"] = None
        out.columns["remind_late"] = False


async def write_participants(uow: UnitOfWork, activity: Activity, resolved: Resolved) -> None:
    """Replace the lists given, and keep every participant's copy of the due time in step
    (the calendar finds a colleague's invitations by it)."""
    session = uow.session
    await session.flush()
    base = delete(ActivityParticipant).where(ActivityParticipant.activity_id == activity.id)
    due = activity.due_at
    if resolved.user_ids is not None:
        await session.execute(base.where(ActivityParticipant.user_id.is_not(None)))
        session.add_all(
            ActivityParticipant(activity_id=activity.id, user_id=u, due_at=due)
            for u in resolved.user_ids
        )
    if resolved.contact_ids is not None:
        await session.execute(base.where(ActivityParticipant.contact_id.is_not(None)))
        session.add_all(
            ActivityParticipant(activity_id=activity.id, contact_id=c, due_at=due)
            for c in resolved.contact_ids
        )
    await session.flush()
    await session.execute(
        update(ActivityParticipant)
        .where(ActivityParticipant.activity_id == activity.id)
        .values(due_at=due)
        .execution_options(synchronize_session=False)
    )


async def participant_users(uow: UnitOfWork, activity_id: int) -> set[int]:
    rows = await uow.session.execute(
        select(ActivityParticipant.user_id).where(
            ActivityParticipant.activity_id == activity_id,
            ActivityParticipant.user_id.is_not(None),
        )
    )
    return {u for u in rows.scalars() if u is not None}


async def announce(
    uow: UnitOfWork, activity: Activity, change: str, *, was: int | None = None
) -> None:
    """`activity.changed` to whoever may see it now (and who saw it before a hand-over)."""
    await uow.session.flush()
    [item] = await activity_items(uow.session, [activity.id], uow.now())
    audience = await crm_audience(uow.session, activity.user_id)
    invited = await participant_users(uow, activity.id)
    users = audience.users | invited | {u for u in (activity.created_by_id,) if u}
    roles = audience.roles
    if was is not None and was != activity.user_id:
        before = await crm_audience(uow.session, was)
        users, roles = users | before.users, roles | before.roles
    uow.emit(
        ActivityChanged(
            audience=Audience(users=frozenset(users), roles=roles),
            activity=item.model_dump(mode="json"),
            change=change,
        )
    )


def reminder_audience(responsible_id: int | None, invited: set[int]) -> Audience:
    """The people reminded; a reminder nobody is responsible for goes to supervisors."""
    users = frozenset({u for u in (responsible_id,) if u} | invited)
    return Audience(users=users) if users else Audience(roles=STAFF_ROLES)


async def follow_next_contact(
    uow: UnitOfWork, contact_ids: Sequence[int | None], closed_due: datetime | None = None
) -> None:
    """The client's next-contact date follows his earliest planned activity; when none is
    left, a date that was this (closed) activity's own is cleared, a hand-set one stays."""
    for contact_id in {c for c in contact_ids if c is not None}:
        earliest = (
            await uow.session.execute(
                select(func.min(Activity.due_at)).where(
                    Activity.contact_id == contact_id, Activity.status == "planned"
                )
            )
        ).scalar_one_or_none()
        contact = await uow.session.get(Contact, contact_id)
        if contact is None:
            continue
        current = contact.next_contact_at
        if earliest is not None:
            earliest = utc(earliest, "UTC")  # SQLite's MIN hands back a naive value
            new: datetime | None = earliest
        elif current is not None and current == closed_due:
            new = None
        else:
            continue
        if new == current:
            continue
        contact.next_contact_at = new
        contact.version += 1
        contact.updated_at = uow.now()
        await uow.session.flush()
        uow.emit(
            ContactChanged(
                audience=await crm_audience(uow.session, contact.responsible_user_id),
                contact_id=contact.id,
                version=contact.version,
                change="next-contact",
            )
        )


def actor_user(actor: Actor) -> int | None:
    return actor.user_id if isinstance(actor, Principal) else None
