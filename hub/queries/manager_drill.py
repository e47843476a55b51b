"""The managers' report's drill-down: the responses, calls, activities or deals behind one
number of one person (or of the total). Each list is read through the conditions the report
counts with (metrics_manager_work.py), so it holds exactly as many rows as the number shown
(up to DRILL_LIMIT listed, the count says how many in all). Time figures (online, busy,
occupancy) and the plan are not lists of anything: they have no drill-down."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Literal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Activity, Call, Channel, Contact, Conversation, Deal, Message, Stage

from .metrics_common import METRICS_VERSION, Period
from .metrics_manager_work import (
    answered_calls,
    deals_won,
    done_conditions,
    overdue_activities,
    response_conditions,
)
from .metrics_managers import ManagerFilters, people_of
from .reports import DRILL_LIMIT
from .shapes import Shape, Timestamp

ItemKind = Literal["message", "call", "activity", "deal"]

# The column clicked -> the list behind it (a ratio lists what it counts).
DRILL_SETS: dict[str, str] = {
    "responses": "responses",
    "answers_per_hour": "responses",
    "emails_sent": "emails_sent",
    "calls": "calls",
    "call_activities": "activities:call",
    "meetings": "activities:meeting",
    "email_activities": "activities:email",
    "activities_done": "activities",
    "overdue": "overdue",
    "deals_won": "deals_won",
    "won_sum": "deals_won",
    "avg_deal": "deals_won",
    "plan_done": "deals_won",
}


class ManagerDrillItem(Shape):
    id: int
    kind: ItemKind
    # When it happened: written, the call started, done (else its deadline), won.
    at: Timestamp
    # The message's text, the call's number, the activity's subject, the deal's title.
    title: str
    client: str | None
    # The message's channel, the call's outcome, the activity's kind, the deal's stage.
    state: str
    amount: float | None
    # Where the page opens it.
    conversation_id: int | None
    deal_id: int | None


class ManagerDrillOut(Shape):
    report: Literal["managers"]
    version: int
    key: str
    column: str
    count: int
    items: list[ManagerDrillItem]


def _item(
    row_id: int,
    kind: ItemKind,
    at: datetime,
    title: str,
    client: str | None,
    state: str,
    *,
    amount: float | None = None,
    conversation_id: int | None = None,
    deal_id: int | None = None,
) -> ManagerDrillItem:
    return ManagerDrillItem(
        id=row_id, kind=kind, at=at.isoformat(), title=title[:200], client=client,
        state=state, amount=amount, conversation_id=conversation_id, deal_id=deal_id,
    )  # fmt: skip


async def _message_ids(
    session: AsyncSession, ids: list[int], period: Period, email_only: bool
) -> set[int]:
    stmt = select(Message.id).where(*response_conditions(ids, period))
    if email_only:
        stmt = (
            stmt.join(Conversation, Conversation.id == Message.conversation_id)
            .join(Channel, Channel.id == Conversation.channel_id)
            .where(Channel.kind == "email")
        )
    return set((await session.scalars(stmt)).all())


async def _activity_ids(
    session: AsyncSession, ids: list[int], period: Period, kind: str | None
) -> set[int]:
    stmt = select(Activity.id).where(*done_conditions(ids, period))
    if kind is not None:
        stmt = stmt.where(Activity.kind == kind)
    return set((await session.scalars(stmt)).all())


async def _members(
    session: AsyncSession, chosen: str, ids: list[int], period: Period, now: datetime
) -> set[int]:
    if chosen in ("responses", "emails_sent"):
        return await _message_ids(session, ids, period, chosen == "emails_sent")
    if chosen == "activities" or chosen.startswith("activities:"):
        kind = chosen.partition(":")[2] or None
        return await _activity_ids(session, ids, period, kind)
    if chosen == "calls":
        by_person = await answered_calls(session, ids, period)
        return {call_id for found in by_person.values() for call_id in found}
    if chosen == "overdue":
        late = await overdue_activities(session, ids, period, now)
        return {activity_id for found in late.values() for activity_id in found}
    won = await deals_won(session, ids, period)
    return {deal_id for found in won.values() for deal_id, _ in found}


async def _messages(session: AsyncSession, ids: list[int]) -> list[ManagerDrillItem]:
    stmt = (
        select(
            Message.id, Message.created_at, Message.text, Contact.name, Channel.title,
            Message.conversation_id,
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .join(Contact, Contact.id == Conversation.contact_id)
        .join(Channel, Channel.id == Conversation.channel_id)
        .where(Message.id.in_(ids))
        .order_by(Message.created_at.desc(), Message.id.desc())
    )  # fmt: skip
    return [
        _item(row_id, "message", at, text or "", client, channel, conversation_id=conversation)
        for row_id, at, text, client, channel, conversation in (await session.execute(stmt))
    ]


async def _calls(session: AsyncSession, ids: list[int]) -> list[ManagerDrillItem]:
    stmt = (
        select(
            Call.id, Call.started_at, Call.client_number, Contact.name, Call.outcome,
            Call.conversation_id,
        )
        .outerjoin(Contact, Contact.id == Call.contact_id)
        .where(Call.id.in_(ids))
        .order_by(Call.started_at.desc(), Call.id.desc())
    )  # fmt: skip
    return [
        _item(
            row_id,
            "call",
            at,
            number or "",
            client,
            "" if outcome is None else str(outcome.value),
            conversation_id=conversation,
        )
        for row_id, at, number, client, outcome, conversation in (await session.execute(stmt))
    ]


async def _activities(session: AsyncSession, ids: list[int]) -> list[ManagerDrillItem]:
    stmt = (
        select(
            Activity.id, Activity.done_at, Activity.due_at, Activity.created_at,
            Activity.subject, Contact.name, Activity.kind, Activity.conversation_id,
            Activity.deal_id,
        )
        .outerjoin(Contact, Contact.id == Activity.contact_id)
        .where(Activity.id.in_(ids))
    )  # fmt: skip
    found = [
        _item(
            row_id,
            "activity",
            done_at or due_at or created,
            subject,
            client,
            kind,
            conversation_id=conversation,
            deal_id=deal,
        )
        for row_id, done_at, due_at, created, subject, client, kind, conversation, deal in (
            await session.execute(stmt)
        )
    ]
    return sorted(found, key=lambda item: (item.at, item.id), reverse=True)


async def _deals(session: AsyncSession, ids: list[int]) -> list[ManagerDrillItem]:
    stmt = (
        select(Deal.id, Deal.closed_at, Deal.updated_at, Deal.title, Contact.name, Stage.name)
        .add_columns(Deal.amount)
        .join(Stage, Stage.id == Deal.stage_id)
        .outerjoin(Contact, Contact.id == Deal.contact_id)
        .where(Deal.id.in_(ids))
        .order_by(Deal.closed_at.desc(), Deal.id.desc())
    )
    return [
        _item(
            row_id,
            "deal",
            closed or updated,
            title,
            client,
            stage,
            amount=float(amount),
            deal_id=row_id,
        )
        for row_id, closed, updated, title, client, stage, amount in (await session.execute(stmt))
    ]


Lister = Callable[[AsyncSession, list[int]], Awaitable[list[ManagerDrillItem]]]


def _lister(chosen: str) -> Lister:
    if chosen in ("responses", "emails_sent"):
        return _messages
    if chosen == "calls":
        return _calls
    if chosen == "deals_won":
        return _deals
    return _activities


async def manager_drill(
    session: AsyncSession,
    period: Period,
    filters: ManagerFilters,
    now: datetime,
    key: str,
    column: str,
) -> ManagerDrillOut | None:
    """What `column` of the person `key` (a user id, or "total" for everyone the filters
    keep) counts; None when the column lists nothing (a time figure, the plan, unknown)."""
    chosen = DRILL_SETS.get(column)
    if chosen is None:
        return None
    people = [person.id for person in await people_of(session, filters)]
    if key != "total":
        people = [person for person in people if str(person) == key]
    members = await _members(session, chosen, people, period, now) if people else set()
    newest = sorted(members, reverse=True)[:DRILL_LIMIT]
    items = await _lister(chosen)(session, newest) if newest else []
    return ManagerDrillOut(
        report="managers", version=METRICS_VERSION, key=key, column=column,
        count=len(members), items=items,
    )  # fmt: skip
