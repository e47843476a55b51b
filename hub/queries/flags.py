"""Robots' flags as the board card, the conversation list and the flag list show them."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import RobotFlag, RobotRule
from hub.serialize import iso

from .activities import among, dialect_of
from .shapes import Shape, Timestamp


class FlagBrief(Shape):
    """A badge: `kind` is the rule's code ("stalled"), `label` the reason it gave."""

    id: int
    kind: str
    label: str
    rule_id: int
    rule_name: str
    raised_at: Timestamp


class FlagOut(FlagBrief):
    object_type: str
    object_id: int
    firing_id: int
    cleared_at: Timestamp | None
    cleared_by_id: int | None
    comment: str


def _brief(flag: Any, rule_name: str) -> dict[str, Any]:
    """`flag`: a RobotFlag or a row with its columns."""
    return {
        "id": flag.id,
        "kind": flag.code,
        "label": flag.reason,
        "rule_id": flag.rule_id,
        "rule_name": rule_name,
        "raised_at": iso(flag.raised_at),
    }


def flag_json(flag: RobotFlag, rule_name: str) -> dict[str, Any]:
    return {
        **_brief(flag, rule_name),
        "object_type": flag.object_type,
        "object_id": flag.object_id,
        "firing_id": flag.firing_id,
        "cleared_at": iso(flag.cleared_at),
        "cleared_by_id": flag.cleared_by_id,
        "comment": flag.comment,
    }


async def open_flags(
    session: AsyncSession, object_type: str, ids: Iterable[int]
) -> dict[int, list[dict[str, Any]]]:
    """The flags standing on each of these objects, oldest first: one query for a page."""
    wanted = list(set(ids))
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    if not wanted:
        return found
    # Columns, not entities: a batch of robot flags re-announces thousands of cards.
    rows = await session.execute(
        select(
            RobotFlag.id,
            RobotFlag.object_id,
            RobotFlag.code,
            RobotFlag.reason,
            RobotFlag.rule_id,
            RobotFlag.raised_at,
            RobotRule.name,
        )
        .join(RobotRule, RobotRule.id == RobotFlag.rule_id)
        .where(
            RobotFlag.object_type == object_type,
            among(RobotFlag.object_id, wanted, dialect_of(session)),
            RobotFlag.cleared_at.is_(None),
        )
        .order_by(RobotFlag.id)
    )
    for flag in rows.all():
        found[flag.object_id].append(_brief(flag, flag.name))
    return found


async def list_flags(
    session: AsyncSession,
    *,
    object_type: str | None,
    object_id: int | None,
    include_cleared: bool,
    limit: int,
    flag_id: int | None = None,
) -> list[FlagOut]:
    stmt = select(RobotFlag, RobotRule.name).join(RobotRule, RobotRule.id == RobotFlag.rule_id)
    if flag_id is not None:
        stmt = stmt.where(RobotFlag.id == flag_id)
    if object_type is not None:
        stmt = stmt.where(RobotFlag.object_type == object_type)
    if object_id is not None:
        stmt = stmt.where(RobotFlag.object_id == object_id)
    if not include_cleared:
        stmt = stmt.where(RobotFlag.cleared_at.is_(None))
    rows = await session.execute(stmt.order_by(RobotFlag.id.desc()).limit(limit))
    return [FlagOut.model_validate(flag_json(flag, name)) for flag, name in rows.all()]
