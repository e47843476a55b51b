"""Occupancy of the managers' report: per person, the time online and the time busy in a
period, integrated from the stored presence history, conversation holdings and calls
(formulas: docs/metrics.md, «Managers»)."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Call, ConversationHolding, Presence, PresenceInterval

# How far back an answered call may have started and still talk into the period.
_LONGEST_CALL = timedelta(days=1)


async def rows(session: AsyncSession, stmt: Any) -> list[Any]:
    """The rows of a query whose nullable columns the WHERE clause already excludes."""
    return list((await session.execute(stmt)).all())


def _overlapping(
    started: Any, ended: Any, low: datetime, high: datetime
) -> list[ColumnElement[bool]]:
    return [started < high, or_(ended.is_(None), ended > low)]


def busy_seconds(
    online: list[tuple[datetime, datetime]],
    held: list[tuple[datetime, datetime, float]],
    calls: list[tuple[datetime, datetime]],
    capacity: int,
) -> float:
    """∫ over the online time of min(1, held weight ÷ capacity), a call taking all of it.

    A sweep over the moments where anything starts or ends: between two of them the held
    weight and the call flag are constant."""
    moments: set[datetime] = set()
    for start, end in online:
        moments.update((start, end))
    for start, end, _ in held:
        moments.update((start, end))
    for start, end in calls:
        moments.update((start, end))
    ordered = sorted(moments)
    total = 0.0
    for left, right in itertools.pairwise(ordered):
        if not any(s <= left and right <= e for s, e in online):
            continue
        if any(s <= left and right <= e for s, e in calls):
            fraction = 1.0
        else:
            weight = sum(w for s, e, w in held if s <= left and right <= e)
            fraction = min(1.0, weight / capacity) if capacity > 0 else (1.0 if weight else 0.0)
        total += fraction * (right - left).total_seconds()
    return total


async def presence_and_busy(
    session: AsyncSession, capacities: Mapping[int, int], low: datetime, high: datetime
) -> dict[int, tuple[float, float]]:
    """Per person (by id, with the conversations they can hold at once): seconds online
    and seconds busy within `[low, high)`."""
    ids = list(capacities)
    online: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    stmt = select(
        PresenceInterval.user_id, PresenceInterval.started_at, PresenceInterval.ended_at
    ).where(
        PresenceInterval.user_id.in_(ids),
        PresenceInterval.presence == Presence.online,
        *_overlapping(PresenceInterval.started_at, PresenceInterval.ended_at, low, high),
    )
    for user_id, start, end in await rows(session, stmt):
        online[user_id].append((max(start, low), min(end or high, high)))
    held: dict[int, list[tuple[datetime, datetime, float]]] = defaultdict(list)
    stmt_held = select(
        ConversationHolding.user_id,
        ConversationHolding.started_at,
        ConversationHolding.ended_at,
        ConversationHolding.weight,
    ).where(
        ConversationHolding.user_id.in_(ids),
        *_overlapping(ConversationHolding.started_at, ConversationHolding.ended_at, low, high),
    )
    for user_id, start, end, weight in (await session.execute(stmt_held)).all():
        held[user_id].append((max(start, low), min(end or high, high), float(weight)))
    talking: dict[int, list[tuple[datetime, datetime]]] = defaultdict(list)
    stmt_calls = select(
        Call.answered_by_user_id, Call.answered_at, Call.talk_s, Call.transferred_at
    ).where(
        Call.answered_by_user_id.in_(ids),
        Call.answered_at.is_not(None),
        Call.answered_at >= low - _LONGEST_CALL,
        Call.answered_at < high,
    )
    for user_id, answered_at, talk_s, transferred_at in await rows(session, stmt_calls):
        # talk_s runs to the caller's hang-up, after a transfer too; the operator who
        # answered is busy with the call only until they handed it on.
        end = answered_at + timedelta(seconds=talk_s or 0.0)
        if transferred_at is not None:
            end = max(answered_at, min(end, transferred_at))
        if end > low:
            talking[user_id].append((max(answered_at, low), min(end, high)))
    return {
        user_id: (
            sum((end - start).total_seconds() for start, end in online[user_id]),
            busy_seconds(online[user_id], held[user_id], talking[user_id], capacities[user_id]),
        )
        for user_id in ids
    }
