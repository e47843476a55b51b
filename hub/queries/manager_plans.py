"""Managers' plans of one month, as the «Отчёты» page edits them: every active person who
may be given a plan, with the plan if set."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from sqlalchemy import and_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import ManagerPlan, User

from .shapes import Shape


class PlanOut(Shape):
    user_id: int
    name: str
    month: str
    # Null: no plan set for the month.
    amount: float | None
    deals: int | None


class PlanList(Shape):
    month: str
    items: list[PlanOut]


async def month_plans(session: AsyncSession, month: date) -> PlanList:
    stmt = (
        select(User.id, User.name, ManagerPlan.amount, ManagerPlan.deals)
        .outerjoin(ManagerPlan, and_(ManagerPlan.user_id == User.id, ManagerPlan.month == month))
        .where(User.is_active.is_(True))
        .order_by(User.name, User.id)
    )
    label = f"{month:%Y-%m}"
    return PlanList(
        month=label,
        items=[
            PlanOut(
                user_id=user_id,
                name=name,
                month=label,
                amount=None if amount is None else float(Decimal(amount)),
                deals=deals,
            )
            for user_id, name, amount, deals in (await session.execute(stmt)).all()
        ],
    )
