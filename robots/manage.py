"""Saving a rule: parse it (robots.rules), check it against the data (stages, pipelines,
users, teams), then hand it to `hub.actions.robots` as the person editing it."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actions import robots as robot_actions
from hub.core import Hub
from hub.models import Channel, ReplyTemplate, Stage, Team, TemplateScope, User
from hub.policy import Actor, InvalidInput

from .rules import (
    AllOf,
    Leaf,
    MessageAction,
    MoveStageAction,
    NotifyAction,
    ReassignAction,
    RuleSpec,
    TimeTrigger,
    parse_rule,
)


def _error(field: str, error_type: str, message: str) -> dict[str, str]:
    return {"field": field, "location": "body", "type": error_type, "message": message}


def pinned(spec: RuleSpec, field: str) -> set[int]:
    """The values a top-level condition (or one of a top-level `all`) fixes `field` to."""
    leaves: list[Any] = []
    if isinstance(spec.conditions, Leaf):
        leaves = [spec.conditions]
    elif isinstance(spec.conditions, AllOf):
        leaves = [c for c in spec.conditions.all if isinstance(c, Leaf)]
    values: set[int] = set()
    for leaf in leaves:
        if leaf.field == field and leaf.op == "eq" and isinstance(leaf.value, int):
            values.add(leaf.value)
        elif leaf.field == field and leaf.op == "in" and isinstance(leaf.value, list):
            values.update(v for v in leaf.value if isinstance(v, int))
    return values


async def _pipelines_of(session: AsyncSession, stage_ids: set[int]) -> dict[int, int]:
    if not stage_ids:
        return {}
    rows = await session.execute(
        select(Stage.id, Stage.pipeline_id).where(Stage.id.in_(sorted(stage_ids)))
    )
    return {stage_id: pipeline_id for stage_id, pipeline_id in rows.all()}


async def check_against_data(session: AsyncSession, spec: RuleSpec) -> None:
    """A stage of another pipeline, a missing user or team: named per field, nothing saved."""
    found: list[dict[str, str]] = []
    per_stage = set(spec.trigger.per_stage) if isinstance(spec.trigger, TimeTrigger) else set()
    moves = {i: a.stage_id for i, a in enumerate(spec.actions) if isinstance(a, MoveStageAction)}
    known = await _pipelines_of(session, per_stage | set(moves.values()) | pinned(spec, "stage_id"))
    pipelines = pinned(spec, "pipeline_id") | {
        known[s] for s in pinned(spec, "stage_id") if s in known
    }
    for stage_id in sorted(per_stage):
        if stage_id not in known:
            found.append(
                _error(f"trigger.per_stage.{stage_id}", "no-such-stage", "there is no such stage")
            )
        elif pipelines and known[stage_id] not in pipelines:
            found.append(
                _error(
                    f"trigger.per_stage.{stage_id}",
                    "stage-not-in-pipeline",
                    "this stage is in another pipeline",
                )
            )
    for index, stage_id in moves.items():
        at = f"actions.{index}.stage_id"
        if stage_id not in known:
            found.append(_error(at, "no-such-stage", "there is no such stage"))
        elif not pipelines:
            found.append(
                _error(
                    at,
                    "pipeline-not-pinned",
                    "add a condition on pipeline_id: a deal moves only within its pipeline",
                )
            )
        elif pipelines != {known[stage_id]}:
            found.append(
                _error(
                    at,
                    "stage-not-in-pipeline",
                    f"stage {stage_id} is in pipeline {known[stage_id]}, "
                    f"the rule watches {sorted(pipelines)}",
                )
            )
    for index, action in enumerate(spec.actions):
        user_id = action.user_id if isinstance(action, ReassignAction | NotifyAction) else None
        if user_id is not None:
            user = await session.get(User, user_id)
            if user is None or not user.is_active:
                found.append(
                    _error(
                        f"actions.{index}.user_id", "no-such-user", "there is no such active user"
                    )
                )
        if isinstance(action, NotifyAction):
            if action.to == "team" and (
                action.team_id is None or await session.get(Team, action.team_id) is None
            ):
                found.append(
                    _error(f"actions.{index}.team_id", "no-such-team", "there is no such team")
                )
            if action.to == "user" and action.user_id is None:
                found.append(
                    _error(f"actions.{index}.user_id", "missing", "name the user to notify")
                )
            for field, kind in (("email_channel_id", "email"), ("telegram_channel_id", "telegram")):
                channel_id = getattr(action, field)
                if channel_id is None:
                    continue
                channel = await session.get(Channel, channel_id)
                if channel is None or channel.kind != kind:
                    found.append(
                        _error(
                            f"actions.{index}.{field}",
                            "no-such-channel",
                            f"there is no {kind} channel with this id",
                        )
                    )
        if isinstance(action, MessageAction):
            template = await session.get(ReplyTemplate, action.template_id)
            # A personal template is its owner's words; a robot speaks with the company's
            # or a team's.
            if template is None or template.scope is TemplateScope.personal:
                found.append(
                    _error(
                        f"actions.{index}.template_id",
                        "no-such-template",
                        "there is no company or team template with this id",
                    )
                )
    if found:
        raise InvalidInput(found)


async def validated(hub: Hub, data: Any) -> RuleSpec:
    spec = parse_rule(data)
    async with hub.db.sessions() as session:
        await check_against_data(session, spec)
    return spec


async def create(
    hub: Hub, actor: Actor, *, name: str, description: str, rule: Any, enabled: bool = False
) -> int:
    spec = await validated(hub, rule)
    return await robot_actions.create_rule(
        hub, actor, name=name, description=description, spec=spec.to_json(), enabled=enabled
    )


async def update(
    hub: Hub,
    actor: Actor,
    rule_id: int,
    *,
    version: int | None,
    name: str | None = None,
    description: str | None = None,
    rule: Any = None,
) -> int:
    spec = None if rule is None else (await validated(hub, rule)).to_json()
    return await robot_actions.update_rule(
        hub, actor, rule_id, version=version, name=name, description=description, spec=spec
    )
