"""Robots' flags on deals and conversations: raised by firings, announced with the object.

A flag changes what the board card and the conversation list show, so raising or clearing
one re-announces its object (`deal.changed` "updated", `conversation.changed` "flagged")
to the people who see it, and the badge appears or goes live.

Everything here works on a batch: a time rule's scan may raise ten thousand flags at once,
so flags go in with one multi-row INSERT, calls are mapped to their conversations with one
query, and the re-announced cards and summaries are read with one query per kind.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select

from hub.events import ConversationChanged, DealChanged, conversation_audience
from hub.models import Activity, Call, Deal, RobotFiring, RobotFlag
from hub.queries.activities import among
from hub.queries.conversations import conversation_summaries
from hub.queries.crm_access import crm_audiences
from hub.queries.deals import card_payloads

from .uow import UnitOfWork

# Rows per statement: PostgreSQL binds a list as one array; SQLite's variables stay bounded.
CHUNK = 5000


@dataclass(frozen=True)
class FiringRef:
    """What a step needs to know of its firing (a row or a loaded firing)."""

    id: int
    rule_id: int
    object_type: str
    object_id: int
    episode_at: datetime

    @classmethod
    def of(cls, firing: RobotFiring) -> FiringRef:
        return cls(
            firing.id, firing.rule_id, firing.object_type, firing.object_id, firing.episode_at
        )


def chunks(ids: Sequence[int], size: int = CHUNK) -> Iterable[Sequence[int]]:
    return (ids[i : i + size] for i in range(0, len(ids), size))


async def flag_targets(
    uow: UnitOfWork, object_type: str, ids: Iterable[int]
) -> dict[int, tuple[str, int] | None]:
    """Where a flag about each object is shown: a call's flag stands on its conversation,
    an activity's on its deal (none when there is no such place)."""
    wanted = sorted(set(ids))
    shown_on: dict[str, tuple[Any, Any, str]] = {
        "call": (Call.id, Call.conversation_id, "conversation"),
        "activity": (Activity.id, Activity.deal_id, "deal"),
    }
    if object_type not in shown_on:
        return {i: (object_type, i) for i in wanted}
    key, place, place_type = shown_on[object_type]
    found: dict[int, tuple[str, int] | None] = dict.fromkeys(wanted)
    for part in chunks(wanted):
        rows = await uow.session.execute(
            select(key, place).where(among(key, part, uow.hub.db.dialect))
        )
        for object_id, place_id in rows.all():
            if place_id is not None:
                found[object_id] = (place_type, place_id)
    return found


async def raise_flags(
    uow: UnitOfWork, items: Sequence[tuple[FiringRef, str, str]]
) -> dict[int, dict[str, object]]:
    """One flag per firing (`items`: the firing, the code, the reason), announced; returns
    each firing's result. A firing that has its flag already (a retried step) raises none."""
    if not items:
        return {}
    dialect = uow.hub.db.dialect
    existing: dict[int, int] = {}
    for part in chunks([f.id for f, _, _ in items]):
        rows = await uow.session.execute(
            select(RobotFlag.firing_id, RobotFlag.id).where(
                among(RobotFlag.firing_id, part, dialect)
            )
        )
        existing.update({firing_id: flag_id for firing_id, flag_id in rows.all()})
    results: dict[int, dict[str, object]] = {f: {"flag_id": i} for f, i in existing.items()}
    targets = await _targets_of(uow, items)
    rows_to_add: list[dict[str, Any]] = []
    shown: set[tuple[str, int]] = set()
    for firing, code, reason in items:
        if firing.id in existing:
            continue
        target = targets[(firing.object_type, firing.object_id)]
        if target is None:
            results[firing.id] = {"skipped": "no conversation to show the flag on"}
            continue
        shown.add(target)
        rows_to_add.append(_flag_row(uow, firing, target, code, reason))
    if rows_to_add:
        # Core executemany with RETURNING: multi-row INSERTs ("insertmanyvalues"), no ORM.
        table = cast("Table", RobotFlag.__table__)
        added = await uow.session.execute(
            insert(table).returning(
                table.c.firing_id,
                table.c.id,
                sort_by_parameter_order=True,
            ),
            rows_to_add,
        )
        results.update({firing_id: {"flag_id": flag_id} for firing_id, flag_id in added.all()})
        await announce_flag_changes(uow, shown)
    return results


async def _targets_of(
    uow: UnitOfWork, items: Sequence[tuple[FiringRef, str, str]]
) -> dict[tuple[str, int], tuple[str, int] | None]:
    """Where each firing's flag is shown, by (object type, object id): one query per kind."""
    by_kind: dict[str, set[int]] = {}
    for firing, _, _ in items:
        by_kind.setdefault(firing.object_type, set()).add(firing.object_id)
    return {
        (kind, object_id): target
        for kind, ids in by_kind.items()
        for object_id, target in (await flag_targets(uow, kind, ids)).items()
    }


def _flag_row(
    uow: UnitOfWork, firing: FiringRef, target: tuple[str, int], code: str, reason: str
) -> dict[str, Any]:
    """A robot_flags row of a firing, shown on `target` (the object or its conversation)."""
    return {
        "object_type": target[0],
        "object_id": target[1],
        "rule_id": firing.rule_id,
        "firing_id": firing.id,
        "episode_at": firing.episode_at,
        "code": code,
        "reason": reason[:2000],
        "raised_at": uow.now(),
        "comment": "",
    }


async def plan_flags(
    uow: UnitOfWork, items: Sequence[tuple[FiringRef, str, str]], flag_ids: Sequence[int]
) -> tuple[dict[int, dict[str, Any]], dict[int, dict[str, object]]]:
    """The flag rows of new firings (`items`: the firing, the code, the reason; `flag_ids`:
    ids reserved for them, one per item), by firing, not written yet; and each firing's
    result. Reads only: a batch is planned before its firings are claimed."""
    targets = await _targets_of(uow, items)
    rows: dict[int, dict[str, Any]] = {}
    results: dict[int, dict[str, object]] = {}
    for (firing, code, reason), flag_id in zip(items, flag_ids, strict=True):
        target = targets[(firing.object_type, firing.object_id)]
        if target is None:
            results[firing.id] = {"skipped": "no conversation to show the flag on"}
            continue
        rows[firing.id] = {"id": flag_id, **_flag_row(uow, firing, target, code, reason)}
        results[firing.id] = {"flag_id": flag_id}
    return rows, results


async def write_flags(uow: UnitOfWork, rows: Sequence[dict[str, Any]]) -> None:
    """Insert planned flags (one executemany, ids given) and re-announce their objects."""
    if not rows:
        return
    await uow.session.execute(insert(cast("Table", RobotFlag.__table__)), list(rows))
    await announce_flag_changes(uow, {(r["object_type"], r["object_id"]) for r in rows})


async def raise_flag(
    uow: UnitOfWork, firing: RobotFiring, code: str, reason: str
) -> dict[str, object]:
    ref = FiringRef.of(firing)
    return (await raise_flags(uow, [(ref, code, reason)]))[ref.id]


async def announce_flag_changes(uow: UnitOfWork, targets: Iterable[tuple[str, int]]) -> None:
    """Re-announce the flagged objects: the deals' cards ("updated": the card changed, it
    did not move) and the conversations' summaries ("flagged"), read in bulk."""
    await uow.session.flush()
    deal_ids = sorted({i for kind, i in targets if kind == "deal"})
    conversation_ids = sorted({i for kind, i in targets if kind == "conversation"})
    dialect = uow.hub.db.dialect
    for part in chunks(deal_ids):
        found = await card_payloads(uow.session, among(Deal.id, part, dialect), uow.now())
        audiences = await crm_audiences(uow.session, (owner for owner, _ in found))
        for owner, card in found:
            uow.emit(
                DealChanged(
                    audience=audiences[owner], deal=card, change="updated", from_stage_id=None
                )
            )
    for part in chunks(conversation_ids):
        for assignee_id, summary in await conversation_summaries(uow.session, part, dialect):
            uow.emit(
                ConversationChanged(
                    audience=conversation_audience(assignee_id),
                    conversation=summary,
                    change="flagged",
                    reason="",
                )
            )


async def announce_flag_change(uow: UnitOfWork, object_type: str, object_id: int) -> None:
    await announce_flag_changes(uow, [(object_type, object_id)])
