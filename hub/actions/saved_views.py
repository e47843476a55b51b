"""A person's saved list filters: `save_view` and `delete_view`, his own only."""

from __future__ import annotations

from typing import Any

from hub.auth import Principal
from hub.core import Hub
from hub.models import SavedView
from hub.policy import NotFound

from .uow import unit_of_work


async def save_view(
    hub: Hub, principal: Principal, name: str, filters: dict[str, Any]
) -> SavedView:
    async with unit_of_work(hub) as uow:
        view = SavedView(
            user_id=principal.user_id, name=name, filters=filters, created_at=uow.now()
        )
        uow.session.add(view)
        await uow.session.flush()
    return view


async def delete_view(hub: Hub, principal: Principal, view_id: int) -> None:
    async with unit_of_work(hub) as uow:
        view = await uow.session.get(SavedView, view_id)
        # Another person's saved view is as good as absent.
        if view is None or view.user_id != principal.user_id:
            raise NotFound("no-such-view", "There is no such saved view.", {"id": view_id})
        await uow.session.delete(view)
