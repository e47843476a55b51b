"""Robots: the rules (list with this week's firings, create, read, edit as a new version,
switch on and off), a dry run on real data, each rule's firings; robots' flags (list, and a
supervisor clearing one with a comment). Administrators set robots up."""

from __future__ import annotations

from typing import Any

from hub.actions import robots as robot_actions
from hub.models import Role
from hub.policy import InvalidInput
from hub.queries import robots as robot_queries
from hub.queries.flags import list_flags
from hub.queries.robots import FiringList, RobotList, RobotOut
from robots import engine, manage

from .registry import ApiCall, RouteTable
from .robot_schemas import (
    DraftIn,
    DryRunIn,
    DryRunOut,
    FiringQuery,
    FlagClearIn,
    FlagList,
    FlagQuery,
    RobotIn,
    RobotPatchIn,
)

routes = RouteTable("robots")


async def _robot(call: ApiCall[Any, Any], rule_id: int) -> RobotOut:
    async with call.hub.db.sessions() as session:
        found = await robot_queries.robot(session, rule_id, call.hub.clock())
    if found is None:
        raise robot_actions.no_such_rule(rule_id)
    return found


def _rule(body: RobotIn | RobotPatchIn | DryRunIn | DraftIn) -> dict[str, Any]:
    return {"trigger": body.trigger, "conditions": body.conditions, "actions": body.actions}


@routes.get(
    "/robots",
    summary="Robots with what each does and how often it fired this week",
    response=RobotList,
    role=Role.supervisor,
)
async def list_robots(call: ApiCall[None, None]) -> RobotList:
    async with call.hub.db.sessions() as session:
        return await robot_queries.list_robots(session, call.hub.clock())


@routes.post(
    "/robots",
    summary="Create a robot (switched off unless `enabled`); bad rules are named per field",
    body=RobotIn,
    response=RobotOut,
    status=201,
    role=Role.admin,
    conflicts=True,
)
async def create_robot(call: ApiCall[None, RobotIn]) -> RobotOut:
    body = call.body
    rule_id = await manage.create(
        call.hub,
        call.principal,
        name=body.name,
        description=body.description,
        rule=_rule(body),
        enabled=body.enabled,
    )
    return await _robot(call, rule_id)


@routes.get("/robots/{id}", summary="A robot", response=RobotOut, role=Role.supervisor)
async def get_robot(call: ApiCall[None, None]) -> RobotOut:
    return await _robot(call, call.path_id())


@routes.patch(
    "/robots/{id}",
    summary="Edit a robot; a changed rule is a new version (old firings keep theirs)",
    body=RobotPatchIn,
    response=RobotOut,
    role=Role.admin,
    conflicts=True,
)
async def update_robot(call: ApiCall[None, RobotPatchIn]) -> RobotOut:
    body = call.body
    given = {"trigger", "conditions", "actions"} & body.model_fields_set
    if given and not {"trigger", "actions"} <= given:
        raise InvalidInput(
            [
                {
                    "field": "trigger" if "trigger" not in given else "actions",
                    "location": "body",
                    "type": "missing",
                    "message": "a new version gives trigger, conditions and actions together",
                }
            ]
        )
    await manage.update(
        call.hub,
        call.principal,
        call.path_id(),
        version=body.version,
        name=body.name,
        description=body.description,
        rule=_rule(body) if given else None,
    )
    return await _robot(call, call.path_id())


@routes.post("/robots/{id}/enable", summary="Switch a robot on", response=RobotOut, role=Role.admin)
async def enable_robot(call: ApiCall[None, None]) -> RobotOut:
    await robot_actions.set_enabled(call.hub, call.principal, call.path_id(), True)
    return await _robot(call, call.path_id())


@routes.post(
    "/robots/{id}/disable", summary="Switch a robot off", response=RobotOut, role=Role.admin
)
async def disable_robot(call: ApiCall[None, None]) -> RobotOut:
    await robot_actions.set_enabled(call.hub, call.principal, call.path_id(), False)
    return await _robot(call, call.path_id())


@routes.post(
    "/robots/dry-run",
    summary="Which objects a draft rule (not saved yet) would fire for right now, and what it "
    "would do; nothing is written",
    body=DraftIn,
    response=DryRunOut,
    role=Role.admin,
)
async def dry_run_draft(call: ApiCall[None, DraftIn]) -> DryRunOut:
    spec = await manage.validated(call.hub, _rule(call.body))
    return DryRunOut(items=await engine.dry_run(call.hub, spec, None))


@routes.post(
    "/robots/{id}/dry-run",
    summary="Which objects the robot (or the draft in the body) would fire for right now, "
    "and what it would do; nothing is written",
    body=DryRunIn,
    response=DryRunOut,
    role=Role.admin,
)
async def dry_run(call: ApiCall[None, DryRunIn]) -> DryRunOut:
    saved = await _robot(call, call.path_id())
    if call.body.trigger is not None:
        spec = await manage.validated(call.hub, _rule(call.body))
    else:
        spec = engine.spec_of(saved.trigger, saved.conditions, _unmasked(saved))
    return DryRunOut(items=await engine.dry_run(call.hub, spec, saved.id))


def _unmasked(saved: RobotOut) -> list[dict[str, Any]]:
    # The dry run writes nothing and shows secrets masked: a placeholder passes validation.
    return [{**a, "secret": "********"} if "secret" in a else a for a in saved.actions]


@routes.get(
    "/robots/{id}/firings",
    summary="A robot's firings, newest first: version, object, matched values, results",
    query=FiringQuery,
    response=FiringList,
    role=Role.supervisor,
)
async def robot_firings(call: ApiCall[FiringQuery, None]) -> FiringList:
    await _robot(call, call.path_id())
    async with call.hub.db.sessions() as session:
        return await robot_queries.firings(session, rule_id=call.path_id(), limit=call.query.limit)


@routes.get(
    "/flags",
    summary="Robots' flags (standing ones unless include_cleared), newest first",
    query=FlagQuery,
    response=FlagList,
)
async def get_flags(call: ApiCall[FlagQuery, None]) -> FlagList:
    query = call.query
    async with call.hub.db.sessions() as session:
        found = await list_flags(
            session,
            object_type=query.object_type,
            object_id=query.object_id,
            include_cleared=query.include_cleared,
            limit=query.limit,
        )
    return FlagList(items=found)


@routes.post(
    "/flags/{id}/clear",
    summary="Clear a robot's flag with a comment (supervisors)",
    body=FlagClearIn,
    response=FlagList,
    role=Role.supervisor,
    conflicts=True,
)
async def clear_flag(call: ApiCall[None, FlagClearIn]) -> FlagList:
    flag_id = call.path_id()
    await robot_actions.clear_flag(call.hub, call.principal, flag_id, call.body.comment)
    async with call.hub.db.sessions() as session:
        found = await list_flags(
            session,
            object_type=None,
            object_id=None,
            include_cleared=True,
            limit=1,
            flag_id=flag_id,
        )
    return FlagList(items=found)
