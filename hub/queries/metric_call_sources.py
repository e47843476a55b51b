"""Metric facts of finished inbound calls, derived from their rows (formulas:
docs/metrics.md): the calls' part of `metric_sources`, which holds the facts' shape and the
conversations' part. The live refresh and `okno metrics rebuild` both call these."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from hub.models import FLAG_INEXACT, Call, CallDirection, CallOutcome, Channel

from .metric_sources import MISSED, Fact


@dataclass(frozen=True)
class SourceCall:
    id: int
    started_at: datetime
    channel_id: int
    team_id: int | None
    outcome: CallOutcome | None
    answered_by: int | None
    wait_s: float | None
    talk_s: float | None
    resynced: bool
    next_through_at: datetime | None


def went_through() -> ColumnElement[bool]:
    """A call that reached the client or us: our outbound call, or an answered one."""
    return or_(Call.direction == CallDirection.outbound, Call.outcome == CallOutcome.answered)


async def _calls(session: AsyncSession, where: Sequence[ColumnElement[bool]]) -> list[SourceCall]:
    later = aliased(Call)
    next_through = (
        select(func.min(later.started_at))
        .where(
            later.client_number == Call.client_number,
            later.started_at > Call.started_at,
            or_(later.direction == CallDirection.outbound, later.outcome == CallOutcome.answered),
        )
        .scalar_subquery()
    )
    stmt = (
        select(
            Call.id,
            Call.started_at,
            Call.channel_id,
            Channel.team_id,
            Call.outcome,
            Call.answered_by_user_id,
            Call.wait_s,
            Call.talk_s,
            Call.resynced,
            next_through,
        )
        .join(Channel, Channel.id == Call.channel_id)
        .where(*where, Call.direction == CallDirection.inbound, Call.outcome.is_not(None))
    )
    rows: list[Any] = list((await session.execute(stmt)).all())
    return [SourceCall(*row) for row in rows]


def _call_facts(rows: Iterable[SourceCall]) -> list[Fact]:
    facts: list[Fact] = []
    for row in rows:

        def fact(kind: str, value: float | None = None, row: SourceCall = row) -> None:
            facts.append(
                Fact(
                    kind, row.id, row.started_at, row.started_at, row.team_id, row.channel_id,
                    row.answered_by, value_s=value, flags=FLAG_INEXACT if row.resynced else 0,
                )
            )  # fmt: skip

        fact("calls")
        if row.resynced:
            fact("inexact")
        if row.wait_s is not None:
            fact("wait", row.wait_s)
        if row.outcome is CallOutcome.answered:
            fact("answered", row.wait_s)
            if row.talk_s is not None:
                fact("talk", row.talk_s)
            continue
        if row.outcome is CallOutcome.abandoned:
            fact("abandoned", row.wait_s)
        elif row.outcome in MISSED:
            fact("missed")
        else:
            continue
        through = row.next_through_at
        fact("lost", None if through is None else (through - row.started_at).total_seconds())
    return facts


async def call_facts(session: AsyncSession, where: Sequence[ColumnElement[bool]]) -> list[Fact]:
    """The facts of the finished inbound calls `where` selects."""
    return _call_facts(await _calls(session, where))
