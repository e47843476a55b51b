"""Pipelines and their stages: what an administrator sets up for the deal board.

Entry points take the actor and need the admin rank (`ensure_can_configure_crm`):
`create_pipeline` (a name and its stages in order) and `update_pipeline` (rename; the stages
given in their new order replace the old list: a stage with an id is kept and renamed, one
without is added, one left out is deleted unless deals stand or stood in it).

`add_pipeline` is the same write for Okno itself (the demo seed, tests), inside a caller's
unit of work.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import func, select

from hub.core import Hub
from hub.models import Deal, DealStageChange, Pipeline, Stage, StageOutcome
from hub.policy import Actor, Conflict, InvalidInput, ensure_can_configure_crm

from . import lookup
from .keep import KEEP, Keep
from .uow import UnitOfWork, unit_of_work


@dataclass(frozen=True)
class StageSpec:
    """A stage as asked for: `id` names an existing stage of the pipeline to keep."""

    name: str
    outcome: str = StageOutcome.open
    probability: int = 0
    id: int | None = None


class PipelineExistsError(Conflict):
    def __init__(self, name: str) -> None:
        super().__init__(
            "pipeline-exists", f"A pipeline named {name!r} exists already.", {"name": name}
        )


def _problem(field: str, error_type: str, message: str) -> dict[str, str]:
    return {"field": field, "location": "body", "type": error_type, "message": message}


def check_stages(stages: Sequence[StageSpec]) -> None:
    """Every problem with the stage list at once, per field (`stages.2.probability`)."""
    problems = []
    if not stages:
        problems.append(_problem("stages", "no-stages", "a pipeline needs at least one stage"))
    for n, spec in enumerate(stages):
        if not spec.name.strip():
            problems.append(_problem(f"stages.{n}.name", "blank", "must not be blank"))
        if spec.outcome not in StageOutcome.all:
            problems.append(
                _problem(f"stages.{n}.outcome", "bad-outcome", "must be open, won or lost")
            )
        if not 0 <= spec.probability <= 100:
            problems.append(
                _problem(f"stages.{n}.probability", "bad-probability", "must be 0 to 100")
            )
    if stages and not any(s.outcome == StageOutcome.open for s in stages):
        problems.append(
            _problem("stages", "no-open-stage", "at least one stage must be open (not won/lost)")
        )
    ids = [s.id for s in stages if s.id is not None]
    if len(ids) != len(set(ids)):
        problems.append(_problem("stages", "duplicate-stage", "a stage is listed twice"))
    if problems:
        raise InvalidInput(problems)


async def _ensure_free_name(uow: UnitOfWork, name: str, pipeline_id: int | None = None) -> None:
    taken = select(Pipeline.id).where(Pipeline.name == name)
    if pipeline_id is not None:
        taken = taken.where(Pipeline.id != pipeline_id)
    if (await uow.session.execute(taken)).first():
        raise PipelineExistsError(name)


async def add_pipeline(uow: UnitOfWork, name: str, stages: Sequence[StageSpec]) -> Pipeline:
    """A pipeline after the existing ones, with its stages in the given order (1, 2, ...)."""
    check_stages(stages)
    name = name.strip()
    await _ensure_free_name(uow, name)
    last = (await uow.session.execute(select(func.max(Pipeline.position)))).scalar_one()
    pipeline = Pipeline(name=name, position=(last or 0) + 1)
    uow.session.add(pipeline)
    await uow.session.flush()
    uow.session.add_all(
        Stage(
            pipeline_id=pipeline.id,
            name=spec.name.strip(),
            position=position,
            outcome=spec.outcome,
            probability=spec.probability,
        )
        for position, spec in enumerate(stages, start=1)
    )
    await uow.session.flush()
    return pipeline


async def pipeline_stages(uow: UnitOfWork, pipeline_id: int) -> list[Stage]:
    stmt = select(Stage).where(Stage.pipeline_id == pipeline_id).order_by(Stage.position)
    return list((await uow.session.execute(stmt)).scalars())


async def create_pipeline(hub: Hub, actor: Actor, name: str, stages: Sequence[StageSpec]) -> int:
    ensure_can_configure_crm(actor)
    if any(s.id is not None for s in stages):
        raise InvalidInput([_problem("stages", "stage-id", "a new pipeline has no stages yet")])
    async with unit_of_work(hub) as uow:
        return (await add_pipeline(uow, name, stages)).id


async def update_pipeline(
    hub: Hub,
    actor: Actor,
    pipeline_id: int,
    *,
    name: str | Keep = KEEP,
    stages: Sequence[StageSpec] | Keep = KEEP,
) -> None:
    ensure_can_configure_crm(actor)
    if stages is not KEEP:
        check_stages(stages)
    async with unit_of_work(hub) as uow:
        pipeline = await lookup.row(uow, Pipeline, pipeline_id, "pipeline")
        if name is not KEEP and name.strip() != pipeline.name:
            await _ensure_free_name(uow, name.strip(), pipeline_id)
            pipeline.name = name.strip()
        if stages is not KEEP:
            await _replace_stages(uow, pipeline_id, stages)
        await uow.session.flush()


async def _replace_stages(uow: UnitOfWork, pipeline_id: int, stages: Sequence[StageSpec]) -> None:
    current = {s.id: s for s in await pipeline_stages(uow, pipeline_id)}
    strangers = [
        _problem(f"stages.{n}.id", "stage-not-in-pipeline", "not a stage of this pipeline")
        for n, spec in enumerate(stages)
        if spec.id is not None and spec.id not in current
    ]
    if strangers:
        raise InvalidInput(strangers)
    kept = {spec.id for spec in stages if spec.id is not None}
    removed = sorted(set(current) - kept)
    if removed:
        await _ensure_unused(uow, removed)
    # (pipeline_id, position) is unique: park the kept stages on negative positions first,
    # so no intermediate state of the renumbering collides with another stage's place.
    for n, spec in enumerate(stages, start=1):
        if spec.id is not None:
            current[spec.id].position = -n
    for stage_id in removed:
        await uow.session.delete(current[stage_id])
    await uow.session.flush()
    for n, spec in enumerate(stages, start=1):
        if spec.id is None:
            uow.session.add(
                Stage(
                    pipeline_id=pipeline_id,
                    name=spec.name.strip(),
                    position=n,
                    outcome=spec.outcome,
                    probability=spec.probability,
                )
            )
            continue
        stage = current[spec.id]
        stage.position = n
        stage.name = spec.name.strip()
        stage.outcome = spec.outcome
        stage.probability = spec.probability
    await uow.session.flush()


async def _ensure_unused(uow: UnitOfWork, stage_ids: list[int]) -> None:
    """A stage deals stand in cannot go (move them first); nor one they passed through,
    whose time in the deals' histories would be lost."""
    standing = await uow.session.execute(
        select(Deal.stage_id, func.count())
        .where(Deal.stage_id.in_(stage_ids))
        .group_by(Deal.stage_id)
        .order_by(Deal.stage_id)
    )
    counts = {stage_id: n for stage_id, n in standing}
    if counts:
        raise Conflict(
            "stage-has-deals",
            "Deals stand in a stage you removed; move them to another stage first.",
            {"stages": [{"id": s, "deals": n} for s, n in counts.items()]},
        )
    passed = await uow.session.execute(
        select(DealStageChange.to_stage_id)
        .where(DealStageChange.to_stage_id.in_(stage_ids))
        .distinct()
        .order_by(DealStageChange.to_stage_id)
    )
    used = list(passed.scalars())
    if used:
        raise Conflict(
            "stage-has-history",
            "Deals have passed through a stage you removed; it stays in their history.",
            {"stages": [{"id": s} for s in used]},
        )
