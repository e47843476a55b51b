"""Teams: their routing settings and who belongs to them.

Entry points take the acting principal: `create_team`, `update_team` (members given replace
the team's members). Admins and Okno itself (CLI, demo seed) may call them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import delete, select

from hub.core import Hub
from hub.events import Audience, TeamsOrCalendarChanged
from hub.models import Strategy, Team, TeamMember, User
from hub.policy import Actor, Conflict, InvalidInput, ensure_can_manage_teams

from . import lookup
from .channels import origin_of
from .keep import KEEP, Keep
from .uow import UnitOfWork, unit_of_work


class TeamExistsError(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__("team-exists", f"A team named {name!r} exists already.", {"name": name})


def announce_teams_or_calendar(uow: UnitOfWork, what: str) -> None:
    """Every process reads the teams and the calendar afresh (hub/team_cache.py): this one
    from here on, every node again once the change is committed and heard on the bus."""
    uow.hub.teams.forget()
    uow.emit(TeamsOrCalendarChanged(audience=Audience(), what=what, origin=origin_of(uow.hub)))


async def create_team(
    hub: Hub,
    actor: Actor,
    name: str,
    *,
    strategy: Strategy = Strategy.least_busy,
    accept_timeout_s: int = 45,
    wait_limit_s: int = 300,
    business_hours: dict[str, Any] | None = None,
    after_hours_team_id: int | None = None,
    member_ids: Iterable[int] = (),
) -> Team:
    ensure_can_manage_teams(actor)
    async with unit_of_work(hub) as uow:
        if (await uow.session.execute(select(Team.id).where(Team.name == name))).first():
            raise TeamExistsError(name)
        members = list(member_ids)
        await _check_links(uow, after_hours_team_id, members)
        team = Team(
            name=name,
            strategy=strategy,
            accept_timeout_s=accept_timeout_s,
            wait_limit_s=wait_limit_s,
            business_hours=business_hours,
            after_hours_team_id=after_hours_team_id,
        )
        uow.session.add(team)
        await uow.session.flush()
        await _add_members(uow, team.id, members)
        announce_teams_or_calendar(uow, "team")
    return team


async def update_team(
    hub: Hub,
    actor: Actor,
    team_id: int,
    *,
    name: str | Keep = KEEP,
    strategy: Strategy | Keep = KEEP,
    accept_timeout_s: int | Keep = KEEP,
    wait_limit_s: int | Keep = KEEP,
    business_hours: dict[str, Any] | Keep | None = KEEP,
    after_hours_team_id: int | Keep | None = KEEP,
    member_ids: Iterable[int] | Keep = KEEP,
) -> Team:
    """Changes what is given; `member_ids` replaces the members."""
    ensure_can_manage_teams(actor)
    async with unit_of_work(hub) as uow:
        team = await lookup.row(uow, Team, team_id, "team")
        if name is not KEEP and name != team.name:
            taken = select(Team.id).where(Team.name == name, Team.id != team_id)
            if (await uow.session.execute(taken)).first():
                raise TeamExistsError(name)
        members = None if isinstance(member_ids, Keep) else list(member_ids)
        await _check_links(
            uow,
            None if isinstance(after_hours_team_id, Keep) else after_hours_team_id,
            members or (),
        )
        settings = {
            "name": name,
            "strategy": strategy,
            "accept_timeout_s": accept_timeout_s,
            "wait_limit_s": wait_limit_s,
            "business_hours": business_hours,
            "after_hours_team_id": after_hours_team_id,
        }
        for column, value in settings.items():
            if value is not KEEP:
                setattr(team, column, value)
        await uow.session.flush()
        if members is not None:
            await uow.session.execute(delete(TeamMember).where(TeamMember.team_id == team.id))
            await _add_members(uow, team.id, members)
        announce_teams_or_calendar(uow, "team")
    return team


async def _check_links(
    uow: UnitOfWork, after_hours_team_id: int | None, member_ids: Iterable[int]
) -> None:
    """Ids that name nothing are the caller's mistake (422), not a foreign-key failure."""
    problems = []
    if after_hours_team_id is not None and await uow.session.get(Team, after_hours_team_id) is None:
        problems.append(("after_hours_team_id", "no-such-team", "there is no such team"))
    wanted = set(member_ids)
    if wanted:
        known = set(
            (await uow.session.execute(select(User.id).where(User.id.in_(wanted)))).scalars()
        )
        if wanted - known:
            missing = ", ".join(str(i) for i in sorted(wanted - known))
            problems.append(("member_ids", "no-such-user", f"no such users: {missing}"))
    if problems:
        raise InvalidInput(
            [{"field": f, "location": "body", "type": t, "message": m} for f, t, m in problems]
        )


async def _add_members(uow: UnitOfWork, team_id: int, user_ids: Iterable[int]) -> None:
    # A user listed twice is one member.
    uow.session.add_all(TeamMember(team_id=team_id, user_id=u) for u in dict.fromkeys(user_ids))
    await uow.session.flush()
