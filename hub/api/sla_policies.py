"""SLA targets («Цели SLA»): the policies per team and channel (supervisors and
administrators manage them), and the running clocks of the conversations a person works,
for the workspace's countdowns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import Field, field_validator, model_validator
from sqlalchemy import select

from hub.actions import sla_policies
from hub.models import Role, SlaPolicy
from hub.policy import can_see_files_where
from hub.queries import Shape
from hub.queries.shapes import Timestamp
from hub.queries.sla import Clock, clocks_for

from .inputs import Body, OneLine, Query, RowId
from .registry import ApiCall, RouteTable

routes = RouteTable("sla")

MAX_IDS = 200
# A target: from a minute to 90 days.
Target = Annotated[int, Field(ge=60, le=90 * 24 * 3600)]
PolicyName = Annotated[str, OneLine, Field(min_length=1, max_length=200)]


def _some_target(body: SlaPolicyIn) -> None:
    if not any((body.first_response_s, body.next_response_s, body.resolution_s)):
        raise ValueError(
            "set at least one target: first_response_s, next_response_s or resolution_s"
        )


class SlaPolicyIn(Body):
    name: PolicyName
    team_id: RowId | None = Field(default=None, description="Its team; none: every team.")
    channel_id: RowId | None = Field(default=None, description="Its channel; none: every channel.")
    first_response_s: Target | None = None
    next_response_s: Target | None = None
    resolution_s: Target | None = None
    working_time: bool = Field(
        default=True, description="Count the team's business hours only (else calendar time)."
    )
    enabled: bool = True

    @model_validator(mode="after")
    def _targets(self) -> SlaPolicyIn:
        _some_target(self)
        return self


class SlaPolicyPatchIn(Body):
    """Only the fields given change; a target given as null is taken off."""

    name: PolicyName | None = None
    team_id: RowId | None = None
    channel_id: RowId | None = None
    first_response_s: Target | None = None
    next_response_s: Target | None = None
    resolution_s: Target | None = None
    working_time: bool | None = None
    enabled: bool | None = None

    @model_validator(mode="after")
    def _not_null(self) -> SlaPolicyPatchIn:
        for name in ("name", "working_time", "enabled"):
            if name in self.model_fields_set and getattr(self, name) is None:
                raise ValueError(f"{name} cannot be null")
        return self


class SlaPolicyOut(Shape):
    id: int
    name: str
    team_id: int | None
    channel_id: int | None
    first_response_s: int | None
    next_response_s: int | None
    resolution_s: int | None
    working_time: bool
    enabled: bool
    version: int
    updated_at: datetime


class SlaPolicyList(Shape):
    items: list[SlaPolicyOut]


class Deleted(Shape):
    id: int


class ClocksQuery(Query):
    ids: str = Field(
        max_length=200 * 19,
        pattern=r"^\d{1,18}(,\d{1,18})*$",
        description="Conversation ids, comma-separated (at most 200).",
    )

    @field_validator("ids")
    @classmethod
    def _at_most(cls, value: str) -> str:
        if value.count(",") >= MAX_IDS:
            raise ValueError(f"at most {MAX_IDS} ids")
        return value


class ClockList(Shape):
    # The server's now: the page counts down against it, not the browser's clock.
    at: Timestamp
    items: list[Clock]


def _out(policy: SlaPolicy) -> SlaPolicyOut:
    return SlaPolicyOut(
        id=policy.id,
        name=policy.name,
        team_id=policy.team_id,
        channel_id=policy.channel_id,
        first_response_s=policy.first_response_s,
        next_response_s=policy.next_response_s,
        resolution_s=policy.resolution_s,
        working_time=policy.working_time,
        enabled=policy.enabled,
        version=policy.version,
        updated_at=policy.updated_at,
    )


@routes.get(
    "/sla-policies",
    summary="SLA policies: targets per team and channel (the most specific one holds a "
    "conversation)",
    response=SlaPolicyList,
    role=Role.supervisor,
)
async def list_policies(call: ApiCall[None, None]) -> SlaPolicyList:
    async with call.hub.db.sessions() as session:
        found = (await session.scalars(select(SlaPolicy).order_by(SlaPolicy.id))).all()
    return SlaPolicyList(items=[_out(p) for p in found])


@routes.post(
    "/sla-policies",
    summary="Create an SLA policy for a team, a channel, both or neither",
    body=SlaPolicyIn,
    response=SlaPolicyOut,
    status=201,
    role=Role.supervisor,
    conflicts=True,
    missing=True,
)
async def create_policy(call: ApiCall[None, SlaPolicyIn]) -> SlaPolicyOut:
    created = await sla_policies.create_policy(call.hub, call.principal, **call.body.model_dump())
    return _out(created)


@routes.patch(
    "/sla-policies/{id}",
    summary="Change an SLA policy's scope, targets or switch it on or off",
    body=SlaPolicyPatchIn,
    response=SlaPolicyOut,
    role=Role.supervisor,
    conflicts=True,
)
async def update_policy(call: ApiCall[None, SlaPolicyPatchIn]) -> SlaPolicyOut:
    changes = call.body.model_dump(exclude_unset=True)
    changed = await sla_policies.update_policy(call.hub, call.principal, call.path_id(), **changes)
    return _out(changed)


@routes.delete(
    "/sla-policies/{id}",
    summary="Delete an SLA policy (its breaches stay in the reports)",
    response=Deleted,
    role=Role.supervisor,
)
async def delete_policy(call: ApiCall[None, None]) -> Deleted:
    await sla_policies.delete_policy(call.hub, call.principal, call.path_id())
    return Deleted(id=call.path_id())


@routes.get(
    "/sla/clocks",
    summary="The running SLA clocks of these open conversations (those you may work: your "
    "own and the queue's; supervisors any), soonest due first",
    query=ClocksQuery,
    response=ClockList,
)
async def get_clocks(call: ApiCall[ClocksQuery, None]) -> ClockList:
    ids = [int(part) for part in call.query.ids.split(",")]
    now = call.hub.clock()
    async with call.hub.db.sessions() as session:
        found = await clocks_for(session, now, ids, can_see_files_where(call.principal))
    return ClockList(at=now.isoformat(), items=found)
