"""Firing rules: claim (the unique firing row decides), then act as the robot principal.

Robots decide; `hub.actions` writes. A time rule's scan claims every due object in one
statement (`hub.actions.robots.claim_scan`), then each claimed firing's actions run through
`hub.actions.robot_steps.perform`. A firing left pending (its node died, a use case crashed)
is retried after `RETRY_AFTER_S` from the step it reached: done once.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from enum import Enum
from typing import Any

from sqlalchemy import ColumnElement, Select, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from hub.actions import robot_batch, robot_bulk, robot_steps, unit_of_work
from hub.actions import robots as robot_actions
from hub.cancellation import raise_if_cancelling
from hub.core import Hub
from hub.models import FiringStatus, RobotFiring, RobotRule, RobotRuleVersion
from hub.policy import RobotActor
from hub.queries.activities import among
from hub.serialize import iso

from .fields import FIELDS, column_of, compile_condition, id_column
from .rules import SCANNED, SCANNED_TYPES, FlagAction, RuleSpec, template_variables
from .scan import ScanContext, in_state, load_context, not_fired

log = logging.getLogger(__name__)

# A pending firing untouched this long is presumed abandoned by its runner and retried.
RETRY_AFTER_S = 60.0
MAX_ATTEMPTS = 5
DRY_RUN_LIMIT = 100
# Firings acted on at once on PostgreSQL (within the database pool of 10).
PARALLEL = 4
# Firings read, rendered and done together (their flags and notices in one transaction).
FIRE_CHUNK = 5000


@dataclass(frozen=True)
class LoadedRule:
    rule: RobotRule
    spec: RuleSpec

    @property
    def actor(self) -> RobotActor:
        return RobotActor(self.rule.id, self.rule.name)


def spec_of(trigger: Any, conditions: Any, actions: Any) -> RuleSpec:
    """A stored spec (validated when saved) back as the model."""
    return RuleSpec.model_validate(
        {"trigger": trigger, "conditions": conditions or None, "actions": actions}
    )


async def enabled_rules(session: AsyncSession, trigger_type: str) -> list[LoadedRule]:
    rows = (
        await session.execute(
            select(RobotRule).where(RobotRule.enabled.is_(True)).order_by(RobotRule.id)
        )
    ).scalars()
    found = []
    for rule in rows:
        if rule.trigger.get("type") != trigger_type:
            continue
        try:
            found.append(LoadedRule(rule, spec_of(rule.trigger, rule.conditions, rule.actions)))
        except ValueError:
            log.exception("robot %s has a spec that no longer validates; skipped", rule.name)
    return found


def _plain(value: Any) -> Any:
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, Enum):
        return value.value
    return value


async def snapshot(
    session: AsyncSession,
    kind: str,
    ids: Iterable[int],
    condition: ColumnElement[bool] | None = None,
) -> dict[int, dict[str, Any]]:
    """The registry's fields of these objects, as the firing keeps them ("what matched");
    with `condition`, of those of them it holds for only."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    names = list(FIELDS[kind])
    dialect = session.get_bind().dialect.name
    stmt = select(*(column_of(kind, n).label(n) for n in names)).where(
        among(id_column(kind), wanted, dialect)
    )
    if condition is not None:
        stmt = stmt.where(condition)
    rows = (await session.execute(stmt)).mappings().all()
    return {int(row["id"]): {n: _plain(row[n]) for n in names} for row in rows}


class _Values(dict[str, Any]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(actions: list[dict[str, Any]], values: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The actions with their texts filled with the object's values ({title}, {amount})."""
    filled = []
    for action in actions:
        action = dict(action)
        for attr in ("text", "reason"):
            text = action.get(attr)
            if isinstance(text, str) and template_variables(text):
                action[attr] = text.format_map(
                    _Values({k: "" if v is None else v for k, v in values.items()})
                )
        filled.append(action)
    return filled


async def fire(hub: Hub, loaded: LoadedRule, firing_ids: list[int]) -> int:
    """Run the claimed firings' actions; returns how many finished."""
    done = 0
    for start in range(0, len(firing_ids), FIRE_CHUNK):
        done += await _fire_chunk(hub, loaded, firing_ids[start : start + FIRE_CHUNK])
    return done


async def _fire_chunk(hub: Hub, loaded: LoadedRule, firing_ids: list[int]) -> int:
    if not firing_ids:
        return 0
    kind = loaded.spec.object_kind
    async with hub.db.sessions() as session:
        objects = dict(
            (
                await session.execute(
                    select(RobotFiring.id, RobotFiring.object_id).where(
                        among(RobotFiring.id, firing_ids, hub.db.dialect)
                    )
                )
            ).all()
        )
        values = await snapshot(session, kind, objects.values())
    actions = [a.model_dump(mode="json", by_alias=True) for a in loaded.spec.actions]
    matched = {f: values.get(o, {"id": o}) for f, o in objects.items()}
    rendered = {f: render(actions, matched[f]) for f in objects}
    lead = robot_bulk.leading(actions)
    advanced: set[int] = set()
    if lead:
        try:
            advanced = await robot_bulk.perform_leading(hub, loaded.actor, rendered, matched)
        except Exception as exc:
            raise_if_cancelling(exc)
            # The chunk rolled back whole; firing by firing below isolates what broke it.
            log.exception("robot %s: batch of %d failed", loaded.rule.name, len(objects))
    # Firings with actions after the batch's go on one by one from where it left them.
    finished = len(advanced) if lead == len(actions) else 0
    rest = sorted(f for f in objects if lead < len(actions) or f not in advanced)
    # Firings are independent (each locks its own rows), so on PostgreSQL a few run side by
    # side; SQLite has one writer anyway.
    gate = asyncio.Semaphore(PARALLEL if hub.db.dialect == "postgresql" else 1)

    async def one(firing_id: int) -> bool:
        async with gate:
            return await _perform(
                hub, loaded.actor, firing_id, rendered[firing_id], matched[firing_id]
            )

    return finished + sum(await asyncio.gather(*(one(f) for f in rest)))


async def _perform(
    hub: Hub,
    actor: RobotActor,
    firing_id: int,
    actions: list[dict[str, Any]],
    matched: dict[str, Any],
) -> bool:
    try:
        status = await robot_steps.perform(hub, actor, firing_id, actions, matched)
    except Exception as exc:  # a crash, not a refusal: keep it pending for a retry
        raise_if_cancelling(exc)
        log.exception("robot %s: firing %d failed", actor.name, firing_id)
        async with hub.db.sessions() as session:
            attempts = (
                await session.execute(
                    select(RobotFiring.attempts).where(RobotFiring.id == firing_id)
                )
            ).scalar() or 0
        await robot_actions.note_failure(
            hub,
            firing_id,
            repr(exc)[:500],
            hub.clock() + timedelta(seconds=RETRY_AFTER_S * (2**attempts)),
            give_up=attempts + 1 >= MAX_ATTEMPTS,
        )
        return False
    return status != FiringStatus.pending


async def scan_rule(hub: Hub, loaded: LoadedRule, ctx: ScanContext) -> int:
    """One tick of one time rule: claim the due episodes, act, clear flags gone false."""
    kind = loaded.spec.object_kind
    candidates = not_fired(loaded.rule.id, loaded.spec, ctx)
    fired = None
    if robot_bulk.leading(_dumped(loaded)):
        try:
            fired = await claim_matches(hub, loaded, candidates, cursor=0)
        except Exception as exc:
            raise_if_cancelling(exc)
            # The batch rolled back whole, claims included: claimed again below in one
            # statement and done firing by firing, what broke it stays with its own firing.
            log.exception("robot %s: batch claim failed", loaded.rule.name)
    if fired is None:
        claimed = await robot_actions.claim_scan(hub, loaded.rule, kind, candidates, RETRY_AFTER_S)
        fired = await fire(hub, loaded, claimed)
    if any(isinstance(a, FlagAction) for a in loaded.spec.actions):
        await robot_actions.clear_stale_flags(hub, loaded.rule.id, in_state(loaded.spec, ctx))
    return fired


def _dumped(loaded: LoadedRule) -> list[dict[str, Any]]:
    return [a.model_dump(mode="json", by_alias=True) for a in loaded.spec.actions]


def _moment(value: Any) -> datetime:
    """An anchor as it came back from SQL (an expression's type may be lost on SQLite)."""
    moment: datetime = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


async def claim_matches(
    hub: Hub, loaded: LoadedRule, candidates: Select[Any], *, cursor: int
) -> int:
    """A rule whose actions begin with flags or notices: its candidates (object id and
    episode anchor) read with their values, then claimed and acted on together
    (`hub.actions.robot_batch`); actions after those go on firing by firing."""
    async with hub.db.sessions() as session:
        rows = [
            (r.object_id, _moment(r.anchor), cursor)
            for r in (await session.execute(candidates)).all()
            if r.object_id is not None
        ]
    return await claim_episodes(hub, loaded, rows)


async def claim_episodes(
    hub: Hub,
    loaded: LoadedRule,
    episodes: list[tuple[int, datetime, int]],
    values: dict[int, dict[str, Any]] | None = None,
) -> int:
    """Claim and act on these episodes (object id, anchor, event cursor) of a rule whose
    actions begin with flags or notices (`values`: their objects' snapshot, when the caller
    read it already); returns how many firings finished."""
    if not episodes:
        return 0
    kind = loaded.spec.object_kind
    if values is None:
        async with hub.db.sessions() as session:
            values = await snapshot(session, kind, (object_id for object_id, _, _ in episodes))
    actions = _dumped(loaded)
    matches = []
    for object_id, anchor, cursor in episodes:
        matched = values.get(object_id, {"id": object_id})
        matches.append(
            robot_batch.Match(object_id, anchor, cursor, render(actions, matched), matched)
        )
    claimed = await robot_batch.claim_and_perform(
        hub, loaded.actor, loaded.rule.version, kind, matches, RETRY_AFTER_S
    )
    if len(claimed.done) + len(claimed.rest) >= robot_actions.ANALYZE_AFTER and (
        hub.db.dialect == "postgresql"
    ):
        # The next scan's anti-join against the firings is planned on the table's
        # statistics; until autovacuum catches up after a burst it would think the table
        # empty and compare every candidate with every firing.
        async with unit_of_work(hub) as uow:
            await uow.session.execute(text("ANALYZE robot_firings"))
    gate = asyncio.Semaphore(PARALLEL if hub.db.dialect == "postgresql" else 1)

    async def one(firing_id: int, match: robot_batch.Match) -> bool:
        async with gate:
            return await _perform(
                hub, loaded.actor, firing_id, [dict(a) for a in match.actions], dict(match.matched)
            )

    rest = sorted(claimed.rest.items())
    return len(claimed.done) + sum(await asyncio.gather(*(one(f, m) for f, m in rest)))


async def retry_pending(hub: Hub, limit: int = 200) -> int:
    """Firings left pending past their retry time, resumed under the version they fired."""
    async with hub.db.sessions() as session:
        rows = (
            await session.execute(
                select(RobotFiring, RobotRule.name, RobotRuleVersion)
                .join(RobotRule, RobotRule.id == RobotFiring.rule_id)
                .join(
                    RobotRuleVersion,
                    (RobotRuleVersion.rule_id == RobotFiring.rule_id)
                    & (RobotRuleVersion.version == RobotFiring.rule_version),
                )
                .where(
                    RobotFiring.status == FiringStatus.pending, RobotFiring.retry_at <= hub.clock()
                )
                .order_by(RobotFiring.retry_at, RobotFiring.id)
                .limit(limit)
            )
        ).all()
        missing = {(f.object_type, f.object_id) for f, _, _ in rows if not f.matched}
        values: dict[tuple[str, int], dict[str, Any]] = {}
        for kind in {k for k, _ in missing}:
            for object_id, found in (
                await snapshot(session, kind, (i for k, i in missing if k == kind))
            ).items():
                values[(kind, object_id)] = found
    done = 0
    for firing, name, version in rows:
        spec = spec_of(version.trigger, version.conditions, version.actions)
        matched = firing.matched or values.get(
            (firing.object_type, firing.object_id), {"id": firing.object_id}
        )
        actions = render([a.model_dump(mode="json", by_alias=True) for a in spec.actions], matched)
        if await _perform(hub, RobotActor(firing.rule_id, name), firing.id, actions, matched):
            done += 1
    return done


async def dry_run(hub: Hub, spec: RuleSpec, rule_id: int | None) -> list[dict[str, Any]]:
    """What the rule would fire for right now, and what it would do: nothing is written."""
    kind = spec.object_kind
    async with hub.db.sessions() as session:
        if isinstance(spec.trigger, SCANNED_TYPES):
            ctx = await load_context(session, hub.clock())
            stmt = not_fired(rule_id, spec, ctx) if rule_id is not None else in_state(spec, ctx)
        else:
            # An event rule: the objects its conditions hold for now, as if the event came.
            stmt = select(
                id_column(kind).label("object_id"), id_column(kind).label("anchor")
            ).where(compile_condition(kind, spec.conditions))
        rows = (await session.execute(stmt.limit(DRY_RUN_LIMIT))).all()
        values = await snapshot(session, kind, (r.object_id for r in rows))
    actions = [a.model_dump(mode="json", by_alias=True) for a in spec.actions]
    return [
        {
            "object_type": kind,
            "object_id": row.object_id,
            "episode_at": (_plain(row.anchor) if isinstance(spec.trigger, SCANNED_TYPES) else None),
            "matched": values.get(row.object_id, {}),
            "actions": _masked(render(actions, values.get(row.object_id, {}))),
        }
        for row in rows
    ]


def _masked(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**a, "secret": "***"} if "secret" in a else a for a in actions]


async def tick(hub: Hub) -> dict[str, int]:
    """One pass of the scheduler: every enabled time rule, then the pending retries."""
    async with hub.db.sessions() as session:
        rules = [r for kind in SCANNED for r in await enabled_rules(session, kind)]
        ctx = await load_context(session, hub.clock())
    fired = 0
    for loaded in rules:
        try:
            fired += await scan_rule(hub, loaded, ctx)
        except Exception as exc:
            raise_if_cancelling(exc)
            # One broken rule never stops the others.
            log.exception("robot %s: scan failed", loaded.rule.name)
    return {"rules": len(rules), "fired": fired, "retried": await retry_pending(hub)}
