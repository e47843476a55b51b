"""Teams: their routing settings (strategy, timeouts, business hours) and members."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actions import teams
from hub.models import Role, Team, TeamMember

from .registry import ApiCall, RouteTable
from .team_schemas import TeamIn, TeamList, TeamOut, TeamPatchIn

routes = RouteTable("teams")


async def _team_out(session: AsyncSession, team: Team) -> TeamOut:
    members = await session.scalars(
        select(TeamMember.user_id).where(TeamMember.team_id == team.id).order_by(TeamMember.user_id)
    )
    return TeamOut(
        id=team.id,
        name=team.name,
        strategy=team.strategy,
        accept_timeout_s=team.accept_timeout_s,
        wait_limit_s=team.wait_limit_s,
        business_hours=team.business_hours,
        after_hours_team_id=team.after_hours_team_id,
        member_ids=list(members),
    )


async def _read(call: ApiCall[Any, Any], team: Team) -> TeamOut:
    async with call.hub.db.sessions() as session:
        return await _team_out(session, team)


@routes.get("/teams", summary="Teams with their routing settings and members", response=TeamList)
async def list_teams(call: ApiCall[None, None]) -> TeamList:
    async with call.hub.db.sessions() as session:
        found = (await session.scalars(select(Team).order_by(Team.name))).all()
        return TeamList(items=[await _team_out(session, t) for t in found])


@routes.post(
    "/teams",
    summary="Create a team",
    body=TeamIn,
    response=TeamOut,
    status=201,
    role=Role.admin,
    conflicts=True,
)
async def create_team(call: ApiCall[None, TeamIn]) -> TeamOut:
    team = await teams.create_team(call.hub, call.principal, **call.body.model_dump())
    return await _read(call, team)


@routes.patch(
    "/teams/{id}",
    summary="Change a team's routing settings or members",
    body=TeamPatchIn,
    response=TeamOut,
    role=Role.admin,
    conflicts=True,
)
async def update_team(call: ApiCall[None, TeamPatchIn]) -> TeamOut:
    changes = call.body.model_dump(exclude_unset=True)
    team = await teams.update_team(call.hub, call.principal, call.path_id(), **changes)
    return await _read(call, team)
