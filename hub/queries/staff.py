"""The people a CRM record can be given to: every active user, by name (filters and the
«Ответственный» choice on the clients' pages)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import User


async def active_staff(session: AsyncSession) -> list[dict[str, int | str]]:
    rows = await session.execute(
        select(User.id, User.name).where(User.is_active.is_(True)).order_by(User.name, User.id)
    )
    return [{"id": user_id, "name": name} for user_id, name in rows]
