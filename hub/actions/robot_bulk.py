"""A batch of claimed firings' leading flags and notices, done together, set-based.

A time rule's scan may claim ten thousand firings at once (every stalled deal of a big
pipeline). Their leading "flag" and "notify" actions need no use case of their own: they
are inserted and emitted for the whole batch in one transaction per chunk: one multi-row
INSERT of flags, the re-announced cards read in bulk, the notices and events logged
together, and one executemany moving every firing past those steps. What follows them
(a task, a move, a webhook) goes on firing by firing (`hub.actions.robot_steps.perform`)
from the step this left them at.

Done once: a firing is taken only at step 0 and pending (locked, on PostgreSQL skipping
one a retry holds), and its step moves in the same transaction as its flags and notices,
so a crash leaves the whole chunk as it was, to be done again whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, select, text, update

from hub.core import Hub
from hub.models import FiringStatus, RobotFiring
from hub.models.base import UtcDateTime
from hub.policy import RobotActor
from hub.queries.activities import among

from .robot_flags import FiringRef, chunks, raise_flags
from .robot_notices import notify_all
from .uow import UnitOfWork, unit_of_work

BULK_ACTIONS = frozenset({"flag", "notify"})


def leading(actions: Sequence[Mapping[str, Any]]) -> int:
    """How many of the rule's first actions can be done for a batch at once."""
    count = 0
    for action in actions:
        if action["type"] not in BULK_ACTIONS:
            break
        count += 1
    return count


async def perform_leading(
    hub: Hub,
    actor: RobotActor,
    rendered: Mapping[int, Sequence[Mapping[str, Any]]],
    matched: Mapping[int, Mapping[str, Any]],
) -> set[int]:
    """Do the leading flag and notify actions of these firings (`rendered`: each firing's
    actions with their texts filled; `matched`: the values it fired on). Returns the firings
    advanced past them; the others (taken by someone else meanwhile) are left alone."""
    advanced: set[int] = set()
    for part in chunks(sorted(rendered)):
        advanced |= await _chunk(hub, actor, part, rendered, matched)
    return advanced


async def _chunk(
    hub: Hub,
    actor: RobotActor,
    ids: Sequence[int],
    rendered: Mapping[int, Sequence[Mapping[str, Any]]],
    matched: Mapping[int, Mapping[str, Any]],
) -> set[int]:
    async with unit_of_work(hub) as uow:
        stmt = select(
            RobotFiring.id,
            RobotFiring.rule_id,
            RobotFiring.object_type,
            RobotFiring.object_id,
            RobotFiring.episode_at,
        ).where(
            among(RobotFiring.id, ids, hub.db.dialect),
            RobotFiring.status == FiringStatus.pending,
            RobotFiring.step == 0,
        )
        if hub.db.dialect == "postgresql":
            stmt = stmt.with_for_update(skip_locked=True)
        firings = [FiringRef(*row) for row in (await uow.session.execute(stmt)).all()]
        if not firings:
            return set()
        results: dict[int, list[dict[str, Any]]] = {f.id: [] for f in firings}
        total = {f.id: len(rendered[f.id]) for f in firings}
        steps = min(leading(rendered[f.id]) for f in firings)
        for step in range(steps):
            # One rule, one version: every firing of the batch has the same action here.
            kind = rendered[firings[0].id][step]["type"]
            if kind == "flag":
                done = await raise_flags(
                    uow,
                    [
                        (f, str(rendered[f.id][step]["code"]), str(rendered[f.id][step]["reason"]))
                        for f in firings
                    ],
                )
            else:
                done = await notify_all(uow, actor, [(f, rendered[f.id][step]) for f in firings])
            for f in firings:
                results[f.id].append({"type": kind, "ok": True, "result": done[f.id]})
        now = uow.now()
        if hub.db.dialect == "postgresql":
            await _advance_on_postgresql(uow, firings, matched, results, steps, total, now)
            return {f.id for f in firings}
        table = cast("Table", RobotFiring.__table__)
        # Core executemany: one prepared UPDATE for the chunk, no ORM bookkeeping.
        await uow.session.execute(
            update(table)
            .where(table.c.id == bindparam("firing_id"))
            .values(
                matched=bindparam("matched"),
                results=bindparam("results"),
                step=bindparam("step"),
                status=bindparam("status"),
                done_at=bindparam("done_at"),
            ),
            [
                {
                    "firing_id": f.id,
                    "matched": dict(matched.get(f.id) or {"id": f.object_id}),
                    "results": results[f.id],
                    "step": steps,
                    "status": FiringStatus.done if steps >= total[f.id] else FiringStatus.pending,
                    "done_at": now if steps >= total[f.id] else None,
                }
                for f in firings
            ],
        )
        return {f.id for f in firings}


# One UPDATE for the whole chunk: each firing's new values as arrays, unnested and joined by
# id (an executemany of thousands of single-row UPDATEs took seconds under load).
_ADVANCE = text(
    "UPDATE robot_firings AS f SET matched = v.matched, results = v.results, step = :step,"
    " status = CASE WHEN v.done THEN :done ELSE :pending END,"
    " done_at = CASE WHEN v.done THEN :now ELSE NULL END"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(CAST(:matched AS text[]) AS jsonb[]),"
    " CAST(CAST(:results AS text[]) AS jsonb[]), CAST(:finished AS boolean[]))"
    " AS v(id, matched, results, done)"
    " WHERE f.id = v.id"
).bindparams(bindparam("now", type_=UtcDateTime()))


async def _advance_on_postgresql(
    uow: UnitOfWork,
    firings: Sequence[FiringRef],
    matched: Mapping[int, Mapping[str, Any]],
    results: Mapping[int, list[dict[str, Any]]],
    steps: int,
    total: Mapping[int, int],
    now: datetime,
) -> None:
    await uow.session.execute(
        _ADVANCE,
        {
            "ids": [f.id for f in firings],
            "matched": [
                json.dumps(dict(matched.get(f.id) or {"id": f.object_id})) for f in firings
            ],
            "results": [json.dumps(results[f.id]) for f in firings],
            "finished": [steps >= total[f.id] for f in firings],
            "step": steps,
            "done": FiringStatus.done,
            "pending": FiringStatus.pending,
            "now": now,
        },
    )
