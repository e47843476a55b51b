"""A firing's actions, done as the robot principal, one transaction per action.

`perform` runs the firing's remaining actions in order. Each runs in its own unit of work
together with the firing's `step` moving past it, so the action and the record that it was
done commit or vanish together: a node that dies mid-firing leaves the firing pending at
the first undone action, and whoever retries it (`retry_at` passed) starts there. A use
case's refusal (`DomainError`) is recorded as that action's result and the next one runs:
one impossible action does not block the others, nor other robots.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from hub.core import Hub
from hub.custom_values import clean_custom_values
from hub.models import (
    CrmEntity,
    Deal,
    FiringStatus,
    Lead,
    RobotFiring,
    Stage,
    User,
    WebhookDelivery,
)
from hub.policy import DomainError, RobotActor, ensure_can_assign
from hub.queries.custom_fields import field_rules

from . import conversations, messages, robot_messages, robot_tasks
from .deal_writes import announce as announce_deal
from .deal_writes import bad, change_stage
from .robot_flags import FiringRef, flag_targets, raise_flag
from .robot_notices import notify_all, responsibles, supervisors_of
from .uow import UnitOfWork, unit_of_work


async def _firing(uow: UnitOfWork, firing_id: int) -> RobotFiring | None:
    stmt = select(RobotFiring).where(RobotFiring.id == firing_id)
    if uow.hub.db.dialect == "postgresql":
        stmt = stmt.with_for_update()
    return (await uow.session.execute(stmt)).scalar_one_or_none()


def _advance(uow: UnitOfWork, firing: RobotFiring, total: int, entry: dict[str, Any]) -> None:
    firing.results = [*firing.results, entry]
    firing.step += 1
    if firing.step >= total:
        firing.status = FiringStatus.done
        firing.done_at = uow.now()


async def perform(
    hub: Hub,
    actor: RobotActor,
    firing_id: int,
    actions: Sequence[Mapping[str, Any]],
    matched: Mapping[str, Any],
) -> str:
    """Do what is left of the firing; returns its status afterwards."""
    status: str = FiringStatus.pending
    while status == FiringStatus.pending:
        index = -1
        try:
            async with unit_of_work(hub) as uow:
                firing = await _firing(uow, firing_id)
                if firing is None or firing.status != FiringStatus.pending:
                    return firing.status if firing else FiringStatus.failed
                if not firing.matched:
                    firing.matched = dict(matched)
                index = firing.step
                if index >= len(actions):
                    firing.status = FiringStatus.done
                    firing.done_at = uow.now()
                    return firing.status
                action = actions[index]
                result = await _do(uow, actor, firing, action)
                _advance(
                    uow,
                    firing,
                    len(actions),
                    {"type": action["type"], "ok": True, "result": result},
                )
                # Known once committed (the block's end): no transaction just to look.
                status = firing.status
        except robot_messages.NotYet as wait:
            # Rolled back; the firing waits at this step (no attempt spent) and the retry
            # pass takes it up again at `until`.
            async with unit_of_work(hub) as uow:
                firing = await _firing(uow, firing_id)
                if firing is not None and firing.status == FiringStatus.pending:
                    firing.retry_at = wait.until
            return FiringStatus.pending
        except DomainError as refused:
            # Rolled back with whatever the action began; record the refusal and go on.
            async with unit_of_work(hub) as uow:
                firing = await _firing(uow, firing_id)
                if firing is None or firing.status != FiringStatus.pending or firing.step != index:
                    continue
                if not firing.matched:
                    firing.matched = dict(matched)
                entry = {"type": actions[index]["type"], "ok": False, "result": refused.to_json()}
                _advance(uow, firing, len(actions), entry)
                status = firing.status
    return status


async def _do(
    uow: UnitOfWork, actor: RobotActor, firing: RobotFiring, action: Mapping[str, Any]
) -> Any:
    kind = action["type"]
    if kind == "flag":
        return await raise_flag(uow, firing, action["code"], action["reason"])
    if kind == "notify":
        return (await notify_all(uow, actor, [(FiringRef.of(firing), action)]))[firing.id]
    if kind == "reassign":
        return await _reassign(uow, actor, firing, int(action["user_id"]))
    if kind == "move_stage":
        deal = await _deal(uow, firing)
        stage = await uow.session.get(Stage, int(action["stage_id"]))
        if stage is None:
            raise bad("stage_id", "no-such-stage", "there is no such stage")
        return {"moved": await change_stage(uow, actor, deal, stage)}
    if kind == "note":
        target = (await flag_targets(uow, firing.object_type, [firing.object_id]))[firing.object_id]
        if target is None:
            return {"skipped": "no conversation"}
        conversation = await conversations.locked(uow, target[1])
        note = await messages.add_robot_note(
            uow, conversation, {"id": actor.robot_id, "name": actor.name}, action["text"]
        )
        return {"message_id": note.id}
    if kind == "set_field":
        return await _set_field(uow, firing, action["field"], action["value"])
    if kind == "webhook":
        return await _queue_webhook(uow, firing, action)
    if kind == "message":
        target = (await flag_targets(uow, firing.object_type, [firing.object_id]))[firing.object_id]
        return await robot_messages.send_template(uow, actor, target[1] if target else None, action)
    if kind == "create_task":
        assignee = await _task_assignee(uow, firing, action)
        return await robot_tasks.create_task(uow, actor, firing, action, assignee)
    raise DomainError("unknown-action", 422, f"unknown action {kind!r}")


async def _task_assignee(
    uow: UnitOfWork, firing: RobotFiring, action: Mapping[str, Any]
) -> int | None:
    """Who the robot's task goes to: a named user, else the object's responsible manager
    or (assignee "supervisor") the first supervisor of his teams, else him."""
    if action.get("assignee") == "user" and action.get("user_id"):
        return int(action["user_id"])
    owners = await responsibles(uow, firing.object_type, [firing.object_id])
    responsible = owners.get(firing.object_id)
    if action.get("assignee") == "supervisor" and responsible is not None:
        supervisors = sorted((await supervisors_of(uow, [responsible]))[responsible])
        return supervisors[0] if supervisors else responsible
    return responsible


async def _deal(uow: UnitOfWork, firing: RobotFiring) -> Deal:
    if firing.object_type != "deal":
        raise bad("type", "not-for-object", f"not for a {firing.object_type}")
    stmt = select(Deal).where(Deal.id == firing.object_id)
    if uow.hub.db.dialect == "postgresql":
        stmt = stmt.with_for_update()
    deal = (await uow.session.execute(stmt)).scalar_one_or_none()
    if deal is None:
        raise DomainError("no-such-deal", 404, "The deal is gone.")
    return deal


async def _active_user(uow: UnitOfWork, user_id: int) -> None:
    user = await uow.session.get(User, user_id)
    if user is None or not user.is_active:
        raise bad("user_id", "no-such-user", "there is no such active user")


async def _reassign(uow: UnitOfWork, actor: RobotActor, firing: RobotFiring, user_id: int) -> Any:
    await _active_user(uow, user_id)
    if firing.object_type == "deal":
        deal = await _deal(uow, firing)
        was = deal.responsible_user_id
        if was == user_id:
            return {"changed": False}
        deal.responsible_user_id = user_id
        deal.version += 1
        deal.updated_at = uow.now()
        await uow.session.flush()
        await announce_deal(uow, deal, "updated", None, was=was)
        return {"changed": True, "from": was}
    if firing.object_type == "conversation":
        conversation = await conversations.locked(uow, firing.object_id)
        ensure_can_assign(actor, conversation, user_id)
        was = conversation.assignee_id
        if was == user_id:
            return {"changed": False}
        await conversations.release_open_offers(uow, conversation, "released")
        conversation.queued_at = None
        conversation.offer_expires_at = None
        await conversations.assign(uow, conversation, user_id, f"robot:{actor.name}")
        return {"changed": True, "from": was}
    lead = await uow.session.get(Lead, firing.object_id)
    if lead is None:
        raise DomainError("no-such-lead", 404, "The lead is gone.")
    was = lead.responsible_user_id
    lead.responsible_user_id = user_id
    return {"changed": was != user_id, "from": was}


async def _set_field(uow: UnitOfWork, firing: RobotFiring, field: str, value: Any) -> Any:
    deal = await _deal(uow, firing)
    key = field.removeprefix("cf.")
    rules = await field_rules(uow.session, CrmEntity.deal)
    values = clean_custom_values(rules, {key: value}, deal.custom_fields or {})
    if values == (deal.custom_fields or {}):
        return {"changed": False}
    deal.custom_fields = values
    deal.version += 1
    deal.updated_at = uow.now()
    await uow.session.flush()
    await announce_deal(uow, deal, "updated", None)
    return {"changed": True}


async def _queue_webhook(uow: UnitOfWork, firing: RobotFiring, action: Mapping[str, Any]) -> Any:
    """Queued with the firing's step: delivered (signed, retried) by the robots' worker."""
    delivery = WebhookDelivery(
        firing_id=firing.id,
        url=str(action["url"]),
        secret=str(action["secret"]),
        payload={
            "rule_id": firing.rule_id,
            "rule_version": firing.rule_version,
            "object_type": firing.object_type,
            "object_id": firing.object_id,
            "matched": firing.matched,
        },
        status="queued",
        attempts=0,
        next_attempt_at=uow.now(),
        created_at=uow.now(),
    )
    uow.session.add(delivery)
    await uow.session.flush()
    return {"delivery_id": delivery.id}
