"""Pipelines with their stages (any signed-in user reads them, admins change them) and the
board of one pipeline."""

from __future__ import annotations

from typing import Any

from hub.actions import pipelines
from hub.actions.keep import KEEP
from hub.models import Role
from hub.policy import NotFound
from hub.queries.crm_access import crm_view
from hub.queries.deal_lists import Board, PipelineList, PipelineOut, board, list_pipelines

from .deal_schemas import BoardQuery, PipelineIn, PipelinePatchIn, StageIn
from .registry import ApiCall, RouteTable

routes = RouteTable("deals")


def _specs(stages: list[StageIn]) -> list[pipelines.StageSpec]:
    return [pipelines.StageSpec(s.name, s.outcome, s.probability, s.id) for s in stages]


async def _read(call: ApiCall[Any, Any], pipeline_id: int) -> PipelineOut:
    async with call.hub.db.sessions() as session:
        found = await list_pipelines(session)
    return next(p for p in found.items if p.id == pipeline_id)


@routes.get("/pipelines", summary="Pipelines with their stages, in order", response=PipelineList)
async def get_pipelines(call: ApiCall[None, None]) -> PipelineList:
    async with call.hub.db.sessions() as session:
        return await list_pipelines(session)


@routes.post(
    "/pipelines",
    summary="Create a pipeline with its stages",
    body=PipelineIn,
    response=PipelineOut,
    status=201,
    role=Role.admin,
    conflicts=True,
)
async def create_pipeline(call: ApiCall[None, PipelineIn]) -> PipelineOut:
    body = call.body
    pipeline_id = await pipelines.create_pipeline(
        call.hub, call.principal, body.name, _specs(body.stages)
    )
    return await _read(call, pipeline_id)


@routes.patch(
    "/pipelines/{id}",
    summary="Rename a pipeline or change its stages (given in the new order; one left out "
    "is deleted, or 409 stage-has-deals while deals stand in it)",
    body=PipelinePatchIn,
    response=PipelineOut,
    role=Role.admin,
    conflicts=True,
)
async def update_pipeline(call: ApiCall[None, PipelinePatchIn]) -> PipelineOut:
    body = call.body
    await pipelines.update_pipeline(
        call.hub,
        call.principal,
        call.path_id(),
        name=KEEP if body.name is None else body.name,
        stages=KEEP if body.stages is None else _specs(body.stages),
    )
    return await _read(call, call.path_id())


@routes.get(
    "/pipelines/{id}/board",
    summary="The board: per stage its count, sum and first 50 deals by time in stage",
    query=BoardQuery,
    response=Board,
)
async def get_board(call: ApiCall[BoardQuery, None]) -> Board:
    async with call.hub.db.sessions() as session:
        view = await crm_view(session, call.principal)
        found = await board(
            session,
            view,
            call.path_id(),
            call.hub.clock(),
            responsible_id=call.query.responsible_id,
            q=call.query.q,
        )
    if found is None:
        raise NotFound("no-such-pipeline", "There is no such pipeline.", {"id": call.path_id()})
    return found
