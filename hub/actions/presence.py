"""Writing presence that is not a change of state: the browser's heartbeat.

A change of presence (online, away, offline) is `hub.actions.users.set_presence`; what going
offline means for the operator's work is decided by `routing.presence`.
"""

from __future__ import annotations

from sqlalchemy import update

from hub.models import User

from .uow import UnitOfWork


async def heartbeat(uow: UnitOfWork, user_id: int) -> None:
    """The operator's browser is alive: keep presence_at fresh (no event, nothing loaded)."""
    await uow.session.execute(update(User).where(User.id == user_id).values(presence_at=uow.now()))
