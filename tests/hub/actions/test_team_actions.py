"""Teams through their use cases: admins and Okno manage them; operators and robots may not."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.actions.keep import KEEP
from hub.actions.teams import create_team, update_team
from hub.core import Hub
from hub.models import Role, Strategy, Team, TeamMember
from hub.policy import DomainError, RobotActor, SystemActor
from tests.hub.actions.support import _cheap_password_hashing, signed_in

__all__ = ["_cheap_password_hashing"]

HOURS = {"tz": "Europe/Moscow", "days": {"mon": [["09:00", "18:00"]]}}


async def stored(hub: Hub, team_id: int) -> tuple[Team, list[int]]:
    async with hub.db.sessions() as session:
        team = await session.get_one(Team, team_id)
        members = await session.scalars(
            select(TeamMember.user_id)
            .where(TeamMember.team_id == team_id)
            .order_by(TeamMember.user_id)
        )
        return team, list(members)


async def team_count(hub: Hub) -> int:
    async with hub.db.sessions() as session:
        return (await session.execute(select(func.count()).select_from(Team))).scalar_one()


async def test_an_admin_creates_and_changes_a_team(hub: Hub) -> None:
    admin = await signed_in(hub, "root", Role.admin)
    olga = await signed_in(hub, "olga", Role.operator)
    petr = await signed_in(hub, "petr", Role.operator)

    team = await create_team(
        hub,
        admin,
        "Сервис",
        strategy=Strategy.round_robin,
        accept_timeout_s=30,
        business_hours=HOURS,
        member_ids=[petr.user_id, olga.user_id, petr.user_id],
    )
    row, members = await stored(hub, team.id)
    assert (row.name, row.strategy, row.accept_timeout_s, row.wait_limit_s) == (
        "Сервис",
        Strategy.round_robin,
        30,
        300,
    )
    assert row.business_hours == HOURS
    assert members == sorted([olga.user_id, petr.user_id])

    # Only what is given changes; None is a value (no business hours), KEEP is not.
    await update_team(hub, admin, team.id, wait_limit_s=120, business_hours=None)
    row, members = await stored(hub, team.id)
    assert (row.strategy, row.accept_timeout_s, row.wait_limit_s) == (
        Strategy.round_robin,
        30,
        120,
    )
    assert row.business_hours is None
    assert members == sorted([olga.user_id, petr.user_id])

    # Members given replace the members.
    await update_team(hub, admin, team.id, member_ids=[olga.user_id], name=KEEP)
    assert (await stored(hub, team.id))[1] == [olga.user_id]
    await update_team(hub, admin, team.id, member_ids=[])
    assert (await stored(hub, team.id))[1] == []


async def test_operators_and_robots_may_not_manage_teams(hub: Hub) -> None:
    admin = await signed_in(hub, "root", Role.admin)
    operator = await signed_in(hub, "olga", Role.operator)
    supervisor = await signed_in(hub, "sveta", Role.supervisor)
    team = await create_team(hub, admin, "Продажи")

    for actor in (operator, supervisor, RobotActor(1, "Обзвон")):
        with pytest.raises(DomainError) as refused:
            await create_team(hub, actor, "Чужая")
        assert (refused.value.error_id, refused.value.status) == ("forbidden", 403)
        with pytest.raises(DomainError) as refused:
            await update_team(hub, actor, team.id, name="Чужая")
        assert (refused.value.error_id, refused.value.status) == ("forbidden", 403)
    # Refused before looking: an operator learns nothing about which teams exist.
    with pytest.raises(DomainError) as refused:
        await update_team(hub, operator, 999_999, name="X")
    assert refused.value.status == 403
    assert await team_count(hub) == 1
    assert (await stored(hub, team.id))[0].name == "Продажи"


async def test_okno_itself_manages_teams_and_names_are_unique(hub: Hub) -> None:
    okno = SystemActor("cli")
    petr = await signed_in(hub, "petr", Role.operator)
    team = await create_team(hub, okno, "Сервис", member_ids=[petr.user_id])
    assert (await stored(hub, team.id))[1] == [petr.user_id]

    with pytest.raises(DomainError) as taken:
        await create_team(hub, okno, "Сервис")
    assert (taken.value.error_id, taken.value.status) == ("team-exists", 409)
    with pytest.raises(DomainError) as missing:
        await update_team(hub, okno, 999_999, wait_limit_s=60)
    assert (missing.value.error_id, missing.value.status) == ("no-such-team", 404)
    assert missing.value.details == {"id": 999_999}
    assert await team_count(hub) == 1


async def test_renaming_a_team_to_a_taken_name_is_a_conflict(hub: Hub) -> None:
    okno = SystemActor("cli")
    await create_team(hub, okno, "Продажи")
    service = await create_team(hub, okno, "Сервис")

    with pytest.raises(DomainError) as taken:
        await update_team(hub, okno, service.id, name="Продажи")
    assert (taken.value.error_id, taken.value.status) == ("team-exists", 409)
    assert (await stored(hub, service.id))[0].name == "Сервис"
    # Keeping its own name is not a clash with itself.
    await update_team(hub, okno, service.id, name="Сервис", wait_limit_s=90)
    assert (await stored(hub, service.id))[0].wait_limit_s == 90
