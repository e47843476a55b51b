"""The people a CRM record can be given to: every active user, by name (filters and the
«Ответственный» choice on the clients' pages)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth import Principal
from hub.models import User
from hub.policy import Forbidden, ensure_can_manage_absence, may_plan_for

from .crm_access import crm_view, mates_of


async def active_staff(session: AsyncSession) -> list[dict[str, int | str]]:
    rows = await session.execute(
        select(User.id, User.name).where(User.is_active.is_(True)).order_by(User.name, User.id)
    )
    return [{"id": user_id, "name": name} for user_id, name in rows]


async def plannable_staff(session: AsyncSession, actor: Principal) -> list[dict[str, int | str]]:
    """Active users the actor may make responsible for an activity or invite to it (the
    «Ответственный» and «Участники» choices of «Задачи»): the same rule the API checks."""
    view = await crm_view(session, actor)
    mates = await mates_of(session, actor)
    return [
        person
        for person in await active_staff(session)
        if may_plan_for(actor, int(person["id"]), mates, view.sees(int(person["id"])))
    ]


async def absence_managed_ids(
    session: AsyncSession, actor: Principal, people: list[dict[str, int | str]]
) -> list[int]:
    """Of `people` (those the actor may plan for), whose absences he may record and remove:
    the choice of «Сотрудник» in the «Отсутствие» dialog, by the rule the API checks."""
    mates = await mates_of(session, actor)
    managed: list[int] = []
    for person in people:
        try:
            ensure_can_manage_absence(actor, int(person["id"]), mates)
        except Forbidden:
            continue
        managed.append(int(person["id"]))
    return managed
