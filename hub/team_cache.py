"""Teams, their members and the production calendar, kept per process between changes.

Routing a batch of new requests reads every team (strategy, accept timeout, business hours,
after-hours hand-over) and the teams of the operators it locks; the figures' refresh in the
same transaction reads the teams' hours and the calendar again: four statements per batch
for tables that change a few times a year. Like the channels (hub/channel_cache.py), they are
kept here and forgotten on every change: when the changing action emits its
`teams_or_calendar.changed` (this process), and when that event is heard on the bus (every
other node; `hub/host/team_sync.py`). Only actions change these tables (the CLI does not),
so no process changes them unheard.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Team, TeamMember
from hub.worktime import ProductionCalendar, load_calendar

if TYPE_CHECKING:
    from hub.queries.metrics_common import WorkingTime

_TEAM_COLUMNS = tuple(Team.__table__.columns)
_ALL_TEAMS = select(*_TEAM_COLUMNS)
_ALL_MEMBERS = select(TeamMember.user_id, TeamMember.team_id)


@dataclass(frozen=True)
class _Kept:
    teams: dict[int, dict[str, Any]]
    teams_of: dict[int, frozenset[int]]  # user id -> team ids
    calendar: ProductionCalendar


class TeamCache:
    def __init__(self) -> None:
        self._kept: _Kept | None = None
        # Bumped by every `forget`: tables read while a change happened are not kept, as the
        # read may have seen them before the change committed.
        self._generation = 0

    def forget(self) -> None:
        self._kept = None
        self._generation += 1

    async def _read(self, session: AsyncSession) -> _Kept:
        kept = self._kept
        if kept is not None:
            return kept
        generation = self._generation
        connection = await session.connection()
        teams = {
            row[0]: {column.key: value for column, value in zip(_TEAM_COLUMNS, row, strict=True)}
            for row in await connection.execute(_ALL_TEAMS)
        }
        teams_of: dict[int, set[int]] = {}
        for user_id, team_id in await connection.execute(_ALL_MEMBERS):
            teams_of.setdefault(user_id, set()).add(team_id)
        kept = _Kept(
            teams,
            {user: frozenset(ids) for user, ids in teams_of.items()},
            await load_calendar(session),
        )
        if generation == self._generation:
            self._kept = kept
        return kept

    async def teams(self, session: AsyncSession) -> dict[int, Team]:
        """Every team, as new objects detached from any session, each call its own (their
        business hours copied), so no caller's change reaches the kept rows or another."""
        kept = await self._read(session)
        return {
            team_id: Team(**{**row, "business_hours": copy.deepcopy(row["business_hours"])})
            for team_id, row in kept.teams.items()
        }

    async def teams_of(self, session: AsyncSession, user_ids: Iterable[int]) -> dict[int, set[int]]:
        """The teams of each of these users who is in one (a fresh set each)."""
        kept = await self._read(session)
        return {u: set(kept.teams_of[u]) for u in user_ids if u in kept.teams_of}

    async def working_time(self, session: AsyncSession) -> WorkingTime:
        """Every team's business hours and the calendar, in a `WorkingTime` of its own (it
        remembers the durations it works out: one per refresh or report, not shared)."""
        # Here, not at the top: the hub.queries package imports modules that import hub.core,
        # which holds this cache.
        from hub.queries.metrics_common import WorkingTime

        kept = await self._read(session)
        hours = {
            team_id: copy.deepcopy(row["business_hours"]) for team_id, row in kept.teams.items()
        }
        return WorkingTime(hours, kept.calendar)
