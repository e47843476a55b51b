"""Robots as their settings page and API show them: rules with how often each fired this
week, a rule's firings (why it fired: version, matched values, actions and results)."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import RobotFiring, RobotRule, WebhookDelivery
from hub.serialize import iso

from .shapes import Shape, Timestamp

MOSCOW = ZoneInfo("Europe/Moscow")


class RobotOut(Shape):
    id: int
    name: str
    kind: str
    builtin_key: str | None
    description: str
    enabled: bool
    version: int
    trigger: dict[str, Any]
    conditions: dict[str, Any] | None
    actions: list[dict[str, Any]]
    # Firings since Monday 00:00 (Moscow).
    fired_this_week: int
    updated_at: Timestamp


class RobotList(Shape):
    items: list[RobotOut]


class FiringOut(Shape):
    id: int
    rule_id: int
    rule_version: int
    object_type: str
    object_id: int
    episode_at: Timestamp
    event_cursor: int
    matched: dict[str, Any]
    results: list[dict[str, Any]]
    status: str
    attempts: int
    created_at: Timestamp
    done_at: Timestamp | None
    # Its webhook calls: {id, url, status (queued|delivered|failed), attempts, last_error}.
    webhooks: list[dict[str, Any]]


class FiringList(Shape):
    items: list[FiringOut]


def week_start(now: datetime) -> datetime:
    local = now.astimezone(MOSCOW)
    monday = local.date() - timedelta(days=local.weekday())
    return datetime.combine(monday, time(), MOSCOW)


def masked(actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A webhook's secret is written, never read back."""
    return [{**a, "secret": "***"} if "secret" in a else a for a in actions]


def _out(rule: RobotRule, fired: int) -> RobotOut:
    return RobotOut(
        id=rule.id,
        name=rule.name,
        kind=rule.kind,
        builtin_key=rule.builtin_key,
        description=rule.description,
        enabled=rule.enabled,
        version=rule.version,
        trigger=rule.trigger,
        conditions=rule.conditions or None,
        actions=masked(rule.actions),
        fired_this_week=fired,
        updated_at=iso(rule.updated_at) or "",
    )


async def _week_counts(session: AsyncSession, now: datetime) -> dict[int, int]:
    rows = await session.execute(
        select(RobotFiring.rule_id, func.count())
        .where(RobotFiring.created_at >= week_start(now))
        .group_by(RobotFiring.rule_id)
    )
    return {rule_id: int(n) for rule_id, n in rows.all()}


async def list_robots(session: AsyncSession, now: datetime) -> RobotList:
    rules = (await session.execute(select(RobotRule).order_by(RobotRule.id))).scalars().all()
    counts = await _week_counts(session, now)
    return RobotList(items=[_out(rule, counts.get(rule.id, 0)) for rule in rules])


async def robot(session: AsyncSession, rule_id: int, now: datetime) -> RobotOut | None:
    rule = await session.get(RobotRule, rule_id)
    if rule is None:
        return None
    return _out(rule, (await _week_counts(session, now)).get(rule.id, 0))


async def robot_by_name(session: AsyncSession, name: str) -> RobotRule | None:
    stmt = select(RobotRule).where(RobotRule.name == name)
    return (await session.execute(stmt)).scalar_one_or_none()


async def firings(
    session: AsyncSession,
    *,
    rule_id: int | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    limit: int = 50,
) -> FiringList:
    """Newest first: a rule's history, or why robots fired on one object."""
    stmt = select(RobotFiring)
    if rule_id is not None:
        stmt = stmt.where(RobotFiring.rule_id == rule_id)
    if object_type is not None:
        stmt = stmt.where(RobotFiring.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(RobotFiring.object_id == object_id)
    rows = list(
        (await session.execute(stmt.order_by(RobotFiring.id.desc()).limit(limit))).scalars()
    )
    hooks: dict[int, list[dict[str, Any]]] = {}
    if rows:
        found = await session.execute(
            select(WebhookDelivery)
            .where(WebhookDelivery.firing_id.in_([f.id for f in rows]))
            .order_by(WebhookDelivery.id)
        )
        for d in found.scalars():
            hooks.setdefault(d.firing_id or 0, []).append(
                {
                    "id": d.id,
                    "url": d.url,
                    "status": d.status,
                    "attempts": d.attempts,
                    "last_error": d.last_error,
                }
            )
    return FiringList(
        items=[
            FiringOut(
                id=f.id,
                rule_id=f.rule_id,
                rule_version=f.rule_version,
                object_type=f.object_type,
                object_id=f.object_id,
                episode_at=iso(f.episode_at) or "",
                event_cursor=f.event_cursor,
                matched=f.matched,
                results=f.results,
                status=f.status,
                attempts=f.attempts,
                created_at=iso(f.created_at) or "",
                done_at=iso(f.done_at),
                webhooks=hooks.get(f.id, []),
            )
            for f in rows
        ]
    )
