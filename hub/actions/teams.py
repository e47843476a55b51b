"""Writing teams and who belongs to them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select

from hub.models import Team, TeamMember

from .uow import UnitOfWork


class TeamExistsError(ValueError):
    pass


async def create_team(uow: UnitOfWork, name: str, member_ids: Iterable[int] = ()) -> Team:
    name = name.strip()
    exists = await uow.session.execute(select(Team.id).where(Team.name == name))
    if exists.first() is not None:
        raise TeamExistsError(f"team {name!r} exists already")
    team = Team(name=name)
    uow.session.add(team)
    await uow.session.flush()
    await add_members(uow, team.id, member_ids)
    return team


async def add_members(uow: UnitOfWork, team_id: int, user_ids: Iterable[int]) -> None:
    """Add users to the team; ones already in it stay as they are."""
    current = set(
        (await uow.session.execute(select(TeamMember.user_id).where(TeamMember.team_id == team_id)))
        .scalars()
        .all()
    )
    uow.session.add_all(
        TeamMember(team_id=team_id, user_id=user_id)
        for user_id in dict.fromkeys(user_ids)
        if user_id not in current
    )
    await uow.session.flush()
