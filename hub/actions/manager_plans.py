"""The supervisor's plan per manager per month («Управление показателями»): setting it and
taking it off. The managers' report (hub/queries/metrics_managers.py) sets the deals won
against it."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import delete, select

from hub.core import Hub
from hub.models import ManagerPlan, User
from hub.policy import Actor, NotFound, ensure_can_set_plans, user_id_of

from .uow import unit_of_work


def no_such_user(user_id: int) -> NotFound:
    return NotFound("no-such-user", "There is no such user.", {"user_id": user_id})


async def set_plan(
    hub: Hub, actor: Actor, user_id: int, month: date, amount: Decimal, deals: int | None
) -> None:
    """The plan of `user_id` for the month starting `month` (its first day) is now this."""
    ensure_can_set_plans(actor)
    async with unit_of_work(hub) as uow:
        locked = select(User.id).where(User.id == user_id, User.is_active.is_(True))
        if hub.db.dialect == "postgresql":
            # Two supervisors setting the same plan at once: the second waits and updates
            # the row the first inserted, rather than tripping over the unique key.
            locked = locked.with_for_update()
        if (await uow.session.execute(locked)).scalar_one_or_none() is None:
            raise no_such_user(user_id)
        plan = (
            await uow.session.execute(
                select(ManagerPlan).where(
                    ManagerPlan.user_id == user_id, ManagerPlan.month == month
                )
            )
        ).scalar_one_or_none()
        if plan is None:
            plan = ManagerPlan(user_id=user_id, month=month)
            uow.session.add(plan)
        plan.amount = amount
        plan.deals = deals
        plan.set_by_id = user_id_of(actor)
        plan.updated_at = uow.now()


async def remove_plan(hub: Hub, actor: Actor, user_id: int, month: date) -> bool:
    """Takes the month's plan off (the report then shows no plan, not a plan of 0)."""
    ensure_can_set_plans(actor)
    async with unit_of_work(hub) as uow:
        gone = await uow.session.execute(
            delete(ManagerPlan)
            .where(ManagerPlan.user_id == user_id, ManagerPlan.month == month)
            .returning(ManagerPlan.id)
        )
        return gone.first() is not None
