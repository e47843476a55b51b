"""A robot plans an activity: the same use case a person's «Перезвонить» goes through
(`activities.add_activity`), inside the firing's unit of work, as the robot principal.

The task is linked to what the robot fired for: a deal (its client and organisation come
with it), a conversation (its client comes with it), a lead's contact, a call's conversation
or caller. Its due time is `due_in` after the firing (at once without one); the assignee is
resolved by the caller (the responsible manager, his supervisor, or a named user).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import select

from hub.models import Activity, Call, Lead, RobotFiring
from hub.policy import RobotActor

from .activities import add_activity
from .uow import UnitOfWork

_UNIT_SECONDS = {"minutes": 60, "hours": 3600, "days": 86400}
_OBJECT_WORDS = {
    "deal": "сделка",
    "conversation": "обращение",
    "lead": "лид",
    "call": "звонок",
    "activity": "задача",
}


async def _links(uow: UnitOfWork, firing: RobotFiring) -> dict[str, Any]:
    object_id = firing.object_id
    if firing.object_type == "deal":
        return {"deal_id": object_id}
    if firing.object_type == "conversation":
        return {"conversation_id": object_id}
    if firing.object_type == "activity":
        task = await uow.session.get(Activity, object_id)
        if task is None:
            return {}
        links = {"deal_id": task.deal_id, "contact_id": task.contact_id}
        return {k: v for k, v in links.items() if v is not None}
    if firing.object_type == "lead":
        contact = await uow.session.scalar(select(Lead.contact_id).where(Lead.id == object_id))
        return {"contact_id": contact} if contact is not None else {}
    call = await uow.session.get(Call, object_id)
    if call is None:
        return {}
    if call.conversation_id is not None:
        return {"conversation_id": call.conversation_id}
    return {"contact_id": call.contact_id} if call.contact_id is not None else {}


async def create_task(
    uow: UnitOfWork,
    actor: RobotActor,
    firing: RobotFiring,
    action: Mapping[str, Any],
    assignee_id: int | None,
) -> dict[str, Any]:
    delay = action.get("due_in") or None
    due = uow.now()
    if delay:
        due += timedelta(seconds=int(delay["amount"]) * _UNIT_SECONDS[delay["unit"]])
    word = _OBJECT_WORDS.get(firing.object_type, firing.object_type)
    subject = str(action.get("subject") or "").strip() or (
        f"{actor.name}: {word} №{firing.object_id}"
    )
    values: dict[str, Any] = {
        "kind": action.get("kind") or "task",
        "subject": subject[:300],
        "due_at": due,
        "responsible_id": assignee_id,
        **await _links(uow, firing),
    }
    activity = await add_activity(uow, actor, values)
    return {"activity_id": activity.id, "responsible_id": activity.user_id}
