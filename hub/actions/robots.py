"""Robots' rules and firings: the writes behind the robots' engine and their settings.

Rules are set up by administrators (`ensure_can_manage_robots`); their specs arrive already
validated by `robots.rules` (the core does not import robots: the edges parse, this writes).
Editing makes a new version row; old firings keep the version they fired under.

A firing is claimed by inserting its row: unique per (rule, object, episode), so of two
nodes hearing the same event, or a scan and its retry, exactly one gets the row. Its actions
then run one transaction each (`hub.actions.robot_steps.perform`), each advancing `step`,
so a crash resumes where it stopped and nothing is done twice.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, exists, literal, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from hub.core import Hub
from hub.events import STAFF_ROLES, Audience, RobotRuleChanged
from hub.models import (
    CalendarDay,
    FiringStatus,
    RobotFiring,
    RobotFlag,
    RobotRule,
    RobotRuleVersion,
    RuleKind,
    WebhookDelivery,
)
from hub.models.base import JSONType, UtcDateTime
from hub.policy import (
    Actor,
    Conflict,
    NotFound,
    ensure_can_clear_flags,
    ensure_can_manage_robots,
    stale_version,
    user_id_of,
)

from .robot_flags import announce_flag_change
from .teams import announce_teams_or_calendar
from .uow import UnitOfWork, unit_of_work

# The firing's unique key (uq_robot_firings_episode): the claim.
# Claims this large refresh the planner's statistics of the firings (see claim_scan).
ANALYZE_AFTER = 1000
EPISODE_KEY = ["rule_id", "object_type", "object_id", "episode_at", "event_cursor"]


def no_such_rule(rule_id: int) -> NotFound:
    return NotFound("no-such-robot", "There is no such robot.", {"id": rule_id})


def _insert(hub: Hub) -> Any:
    return postgresql.insert if hub.db.dialect == "postgresql" else sqlite.insert


async def _name_free(uow: UnitOfWork, name: str, rule_id: int | None) -> None:
    found = (
        await uow.session.execute(select(RobotRule.id).where(RobotRule.name == name))
    ).scalar_one_or_none()
    if found is not None and found != rule_id:
        raise Conflict("robot-name-taken", "A robot with this name exists.", {"name": name})


async def create_rule(
    hub: Hub,
    actor: Actor,
    *,
    name: str,
    description: str,
    spec: dict[str, Any],
    enabled: bool = False,
    builtin_key: str | None = None,
) -> int:
    """A new rule at version 1 (switched off unless asked: a dry run comes first)."""
    ensure_can_manage_robots(actor)
    async with unit_of_work(hub) as uow:
        await _name_free(uow, name, None)
        now = uow.now()
        rule = RobotRule(
            name=name,
            kind=RuleKind.builtin if builtin_key else RuleKind.custom,
            builtin_key=builtin_key,
            description=description,
            enabled=enabled,
            trigger=spec["trigger"],
            conditions=spec.get("conditions") or {},
            actions=spec["actions"],
            version=1,
            created_at=now,
            updated_at=now,
        )
        uow.session.add(rule)
        await uow.session.flush()
        _add_version(uow, rule, actor)
        _changed(uow, rule.id, "created")
        return rule.id


def _changed(uow: UnitOfWork, rule_id: int, change: str) -> None:
    uow.emit(RobotRuleChanged(audience=Audience(roles=STAFF_ROLES), rule_id=rule_id, change=change))


def _add_version(uow: UnitOfWork, rule: RobotRule, actor: Actor) -> None:
    uow.session.add(
        RobotRuleVersion(
            rule_id=rule.id,
            version=rule.version,
            trigger=rule.trigger,
            conditions=rule.conditions,
            actions=rule.actions,
            created_at=uow.now(),
            created_by_id=user_id_of(actor),
        )
    )


async def _locked(uow: UnitOfWork, rule_id: int) -> RobotRule:
    stmt = select(RobotRule).where(RobotRule.id == rule_id)
    if uow.hub.db.dialect == "postgresql":
        stmt = stmt.with_for_update()
    rule = (await uow.session.execute(stmt)).scalar_one_or_none()
    if rule is None:
        raise no_such_rule(rule_id)
    return rule


async def update_rule(
    hub: Hub,
    actor: Actor,
    rule_id: int,
    *,
    version: int | None,
    name: str | None = None,
    description: str | None = None,
    spec: dict[str, Any] | None = None,
) -> int:
    """Rename, describe or change the rule; a changed spec is a new version. Returns it."""
    ensure_can_manage_robots(actor)
    async with unit_of_work(hub) as uow:
        rule = await _locked(uow, rule_id)
        if version is not None and version != rule.version:
            raise stale_version("robot", rule.id, rule.version)
        if name is not None and name != rule.name:
            await _name_free(uow, name, rule.id)
            rule.name = name
        if description is not None:
            rule.description = description
        if spec is not None:
            rule.trigger = spec["trigger"]
            rule.conditions = spec.get("conditions") or {}
            rule.actions = spec["actions"]
            rule.version += 1
            _add_version(uow, rule, actor)
        rule.updated_at = uow.now()
        _changed(uow, rule.id, "updated")
        return rule.version


async def set_enabled(hub: Hub, actor: Actor, rule_id: int, enabled: bool) -> None:
    ensure_can_manage_robots(actor)
    async with unit_of_work(hub) as uow:
        rule = await _locked(uow, rule_id)
        rule.enabled = enabled
        rule.updated_at = uow.now()
        _changed(uow, rule.id, "enabled" if enabled else "disabled")


async def claim_scan(
    hub: Hub, rule: RobotRule, object_type: str, candidates: Select[Any], retry_after_s: float
) -> list[int]:
    """Claim, in one statement, a firing for every candidate (`candidates` selects the
    object id and its episode anchor) that has none for this episode yet: INSERT ... SELECT
    ... ON CONFLICT DO NOTHING, so a concurrent claim of the same episode is skipped."""
    now = hub.clock()
    rows = candidates.subquery()
    source = select(
        literal(rule.id),
        literal(rule.version),
        literal(object_type),
        rows.c.object_id,
        rows.c.anchor,
        literal(0),
        literal({}, JSONType),
        literal([], JSONType),
        literal(0),
        literal(FiringStatus.pending),
        literal(0),
        literal(now + _seconds(retry_after_s), UtcDateTime()),
        literal(now, UtcDateTime()),
    ).where(rows.c.object_id.is_not(None))
    columns = [
        "rule_id",
        "rule_version",
        "object_type",
        "object_id",
        "episode_at",
        "event_cursor",
        "matched",
        "results",
        "step",
        "status",
        "attempts",
        "retry_at",
        "created_at",
    ]
    stmt = (
        _insert(hub)(RobotFiring)
        .from_select(columns, source)
        .on_conflict_do_nothing(index_elements=EPISODE_KEY)
        .returning(RobotFiring.id)
    )
    async with unit_of_work(hub) as uow:
        claimed = sorted((await uow.session.execute(stmt)).scalars())
    if len(claimed) >= ANALYZE_AFTER and hub.db.dialect == "postgresql":
        # The next scan's anti-join against the firings is planned on the table's
        # statistics; until autovacuum catches up after a burst it would think the table
        # empty and compare every candidate with every firing (seconds instead of ms).
        async with unit_of_work(hub) as uow:
            await uow.session.execute(text("ANALYZE robot_firings"))
    return claimed


def _seconds(value: float) -> timedelta:
    return timedelta(seconds=value)


async def claim_event(
    hub: Hub,
    rule: RobotRule,
    object_type: str,
    object_id: int,
    cursor: int,
    at: datetime,
    retry_after_s: float,
) -> int | None:
    """Claim this event for this rule: the firing's id for the one node that inserted it,
    None for every other (the unique key decides)."""
    now = hub.clock()
    stmt = (
        _insert(hub)(RobotFiring)
        .values(
            rule_id=rule.id,
            rule_version=rule.version,
            object_type=object_type,
            object_id=object_id,
            episode_at=at,
            event_cursor=cursor,
            matched={},
            results=[],
            step=0,
            status=FiringStatus.pending,
            attempts=0,
            retry_at=now + _seconds(retry_after_s),
            created_at=now,
        )
        .on_conflict_do_nothing(index_elements=EPISODE_KEY)
        .returning(RobotFiring.id)
    )
    async with unit_of_work(hub) as uow:
        return (await uow.session.execute(stmt)).scalar_one_or_none()


async def note_failure(
    hub: Hub, firing_id: int, error: str, retry_at: datetime, give_up: bool
) -> None:
    """An attempt crashed outside the action's own refusal: try again later, or stop."""
    async with unit_of_work(hub) as uow:
        firing = await uow.session.get(RobotFiring, firing_id)
        if firing is None or firing.status != FiringStatus.pending:
            return
        firing.attempts += 1
        firing.retry_at = retry_at
        if give_up:
            firing.status = FiringStatus.failed
            firing.results = [*firing.results, {"type": "error", "ok": False, "result": error}]
            firing.done_at = uow.now()


async def clear_stale_flags(hub: Hub, rule_id: int, still_true: Select[Any]) -> int:
    """Clear this rule's standing flags whose firing's episode is no longer among the rule's
    current candidates (`still_true`: object id and anchor): the condition turned false.
    One statement for the lot; each cleared object is announced so boards drop the badge."""
    current = still_true.subquery()
    gone = (
        select(RobotFlag.id)
        .join(RobotFiring, RobotFiring.id == RobotFlag.firing_id)
        .where(
            RobotFlag.rule_id == rule_id,
            RobotFlag.cleared_at.is_(None),
            RobotFiring.event_cursor == 0,
            ~exists(
                select(current.c.object_id).where(
                    and_(
                        current.c.object_id == RobotFiring.object_id,
                        current.c.anchor == RobotFiring.episode_at,
                    )
                )
            ),
        )
    )
    async with unit_of_work(hub) as uow:
        ids = list((await uow.session.execute(gone)).scalars())
        if not ids:
            return 0
        cleared = await uow.session.execute(
            update(RobotFlag)
            .where(RobotFlag.id.in_(ids), RobotFlag.cleared_at.is_(None))
            .values(cleared_at=uow.now(), comment="условие больше не выполняется")
            .returning(RobotFlag.object_type, RobotFlag.object_id)
        )
        for object_type, object_id in set(cleared.all()):
            await announce_flag_change(uow, object_type, object_id)
        return len(ids)


async def clear_flag(hub: Hub, actor: Actor, flag_id: int, comment: str) -> None:
    """A supervisor takes a flag down with a comment (the robot may raise it again in a new
    episode, never in this one: the firing stays)."""
    ensure_can_clear_flags(actor)
    async with unit_of_work(hub) as uow:
        flag = await uow.session.get(RobotFlag, flag_id)
        if flag is None:
            raise NotFound("no-such-flag", "There is no such flag.", {"id": flag_id})
        if flag.cleared_at is not None:
            raise Conflict("flag-cleared", "This flag was cleared already.", {"id": flag_id})
        flag.cleared_at = uow.now()
        flag.cleared_by_id = user_id_of(actor)
        flag.comment = comment.strip()[:2000]
        await announce_flag_change(uow, flag.object_type, flag.object_id)


async def set_calendar_day(
    hub: Hub, actor: Actor, day: Any, kind: str | None, note: str = ""
) -> None:
    """Mark a day a holiday or a transferred working day (None: an ordinary day again)."""
    ensure_can_manage_robots(actor)
    async with unit_of_work(hub) as uow:
        found = await uow.session.get(CalendarDay, day)
        if kind is None:
            if found is not None:
                await uow.session.delete(found)
                announce_teams_or_calendar(uow, "calendar")
            return
        if found is None:
            uow.session.add(CalendarDay(day=day, kind=kind, note=note))
        else:
            found.kind, found.note = kind, note
        announce_teams_or_calendar(uow, "calendar")


async def record_webhook_attempt(
    hub: Hub, delivery_id: int, error: str | None, *, next_attempt_at: datetime, give_up: bool
) -> None:
    """A webhook attempt's outcome: delivered, queued again after the backoff, or failed."""
    async with unit_of_work(hub) as uow:
        delivery = await uow.session.get(WebhookDelivery, delivery_id)
        if delivery is None or delivery.status != "queued":
            return
        delivery.attempts += 1
        if error is None:
            delivery.status = "delivered"
            delivery.delivered_at = uow.now()
            delivery.last_error = None
            return
        delivery.last_error = error
        if give_up:
            delivery.status = "failed"
        else:
            delivery.next_attempt_at = next_attempt_at
