"""A time rule as one SQL statement: the objects in its state long enough, with the anchor
of their episode, minus those that already have a firing for that episode.

Working time enters as one cutoff per team (hub.worktime.cutoff): "entered the state at or
before the cutoff" is "spent at least N working minutes in it", so the database compares a
column with a constant per team and never needs a loop over the objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, Select, and_, exists, false, literal, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Deal, RobotFiring, Team
from hub.models.base import UtcDateTime
from hub.queries.sla import Setup, load_setup
from hub.worktime import COMPANY_HOURS, ProductionCalendar, cutoff, load_calendar

from .fields import column_of, compile_condition, id_column
from .rules import DailyTrigger, DateTrigger, Delay, RuleSpec, TimeTrigger
from .states import STATES


@dataclass(frozen=True)
class ScanContext:
    now: datetime
    calendar: ProductionCalendar
    # Every team's business hours (None: the team set none).
    teams: dict[int, dict[str, Any] | None]
    # Every team's wait target in seconds (the supervisors' board's, `Team.wait_limit_s`).
    wait_limits: dict[int, int] = field(default_factory=dict)
    # The enabled SLA policies with what their deadlines need (hub.queries.sla).
    sla: Setup = field(default_factory=lambda: Setup([]))


async def load_context(session: AsyncSession, now: datetime) -> ScanContext:
    rows = (await session.execute(select(Team.id, Team.business_hours, Team.wait_limit_s))).all()
    teams = {tid: hours for tid, hours, _ in rows}
    limits = {tid: limit for tid, _, limit in rows}
    return ScanContext(now, await load_calendar(session), teams, limits, await load_setup(session))


def _at(value: datetime) -> ColumnElement[Any]:
    return literal(value, UtcDateTime())


def _due(
    delay: Delay, parts: tuple[Any, ...], team: ColumnElement[Any] | None, ctx: ScanContext
) -> ColumnElement[bool]:
    """The anchor (the latest of `parts`) lies at least `delay` (calendar or working time)
    before now."""

    def before(moment: datetime) -> ColumnElement[bool]:
        return and_(*(part <= _at(moment) for part in parts))

    if not delay.working_time:
        return before(ctx.now - timedelta(seconds=delay.seconds))
    company = cutoff(COMPANY_HOURS, ctx.calendar, ctx.now, delay.seconds)
    if team is None:
        return before(company)
    per_team = [
        and_(team == team_id, before(cutoff(hours, ctx.calendar, ctx.now, delay.seconds)))
        for team_id, hours in sorted(ctx.teams.items())
    ]
    return or_(and_(team.is_(None), before(company)), *per_team)


WORKING_DAY_KEYS = frozenset({"mon", "tue", "wed", "thu", "fri"})


def occurrence(trigger: DailyTrigger, ctx: ScanContext) -> datetime | None:
    """Today's moment of a daily rule, once it has come, on a working day; else None."""
    zone = ZoneInfo(trigger.tz)
    local = ctx.now.astimezone(zone)
    if ctx.calendar.day_key(local.date()) not in WORKING_DAY_KEYS:
        return None
    hours, minutes = (int(part) for part in trigger.at.split(":"))
    moment = datetime.combine(local.date(), time(hours, minutes), tzinfo=zone)
    return moment.astimezone(UTC) if local >= moment else None


def _daily(spec: RuleSpec, trigger: DailyTrigger, ctx: ScanContext) -> Select[Any]:
    """Every object the conditions hold for, anchored at today's moment (none before it)."""
    kind = trigger.object
    moment = occurrence(trigger, ctx)
    where = compile_condition(kind, spec.conditions) if moment is not None else false()
    anchor = _at(moment or ctx.now)
    return select(id_column(kind).label("object_id"), anchor.label("anchor")).where(where)


def _dated(spec: RuleSpec, trigger: DateTrigger, ctx: ScanContext) -> Select[Any]:
    """The objects whose date field lies `offset` before now (after) or is at most `offset`
    ahead (before), anchored at that field's value."""
    kind = trigger.object
    moment = column_of(kind, trigger.field)
    shift = timedelta(seconds=trigger.offset.seconds)
    limit = ctx.now - shift if trigger.when == "after" else ctx.now + shift
    where = and_(
        moment.is_not(None), moment <= _at(limit), compile_condition(kind, spec.conditions)
    )
    return select(id_column(kind).label("object_id"), moment.label("anchor")).where(where)


def anchor_of(spec: RuleSpec, ctx: ScanContext) -> tuple[str, Any]:
    """The kind of object a scanned rule watches and its episode's anchor (SQL)."""
    trigger = spec.trigger
    if isinstance(trigger, DateTrigger):
        return trigger.object, column_of(trigger.object, trigger.field)
    if isinstance(trigger, DailyTrigger):
        return trigger.object, _at(occurrence(trigger, ctx) or ctx.now)
    assert isinstance(trigger, TimeTrigger)
    state = STATES[trigger.state]
    return state.kind, state.anchor()


def in_state(spec: RuleSpec, ctx: ScanContext, *, due: bool = True) -> Select[Any]:
    """(object_id, anchor) of the objects the rule's condition holds for now."""
    trigger = spec.trigger
    if isinstance(trigger, DailyTrigger):
        return _daily(spec, trigger, ctx)
    if isinstance(trigger, DateTrigger):
        return _dated(spec, trigger, ctx)
    assert isinstance(trigger, TimeTrigger)
    state = STATES[trigger.state]
    anchor = state.anchor()
    parts = state.parts() if state.parts is not None else (anchor,)
    team = state.team() if state.team is not None else None
    where = and_(state.where(), compile_condition(state.kind, spec.conditions))
    if due:
        if state.due is not None:
            when: ColumnElement[bool] = state.due(trigger.after.seconds, ctx)
        elif trigger.per_stage:
            special = sorted(trigger.per_stage)
            when = or_(
                and_(Deal.stage_id.not_in(special), _due(trigger.after, parts, team, ctx)),
                *(
                    and_(
                        Deal.stage_id == stage_id,
                        _due(trigger.per_stage[stage_id], parts, team, ctx),
                    )
                    for stage_id in special
                ),
            )
        else:
            when = _due(trigger.after, parts, team, ctx)
        where = and_(where, when)
    return select(id_column(state.kind).label("object_id"), anchor.label("anchor")).where(where)


def not_fired(rule_id: int, spec: RuleSpec, ctx: ScanContext) -> Select[Any]:
    """The candidates without a firing of this rule for their episode (the anti-join)."""
    kind, anchor = anchor_of(spec, ctx)
    fired = exists(
        select(RobotFiring.id).where(
            RobotFiring.rule_id == rule_id,
            RobotFiring.object_type == kind,
            RobotFiring.object_id == id_column(kind),
            RobotFiring.episode_at == anchor,
            RobotFiring.event_cursor == 0,
        )
    )
    return in_state(spec, ctx).where(~fired)
