"""A rule's matches claimed and acted on together: one transaction per chunk, set-based.

A time rule's scan may match ten thousand objects at once (every stalled deal of a big
pipeline); an event rule matches one object per event, two hundred a second. Both go
through `claim_and_perform` when the rule's actions begin with flags and notices. Per chunk,
in one unit of work:

1. ids are reserved for the firings and their flags (a sequence; SQLite's single writer
   holds its lock from the transaction's start, so max(id) serves);
2. the flags and notices are planned (targets, responsibles, supervisors: reads only), which
   gives every firing its results before it exists;
3. the firings are inserted finished (or pending at the first action a batch cannot do),
   in one multi-row INSERT ... ON CONFLICT DO NOTHING RETURNING id: the claim. A firing
   some other node or scan inserted first (the unique rule, object, episode) comes back
   absent, and nothing of it is written here;
4. the claimed ones' flags (one executemany), re-announced cards, notices and e-mail or
   Telegram rows are written and their events logged (one multi-row INSERT), all in the same
   transaction, and published after its commit.

A crash anywhere leaves nothing: the chunk is done again whole by the next scan or the
event's catch-up, and the unique key keeps the retry from doubling.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, func, select, text
from sqlalchemy.dialects import sqlite

from hub.core import Hub
from hub.models import FiringStatus, RobotFiring, RobotFlag
from hub.models.base import UtcDateTime
from hub.policy import RobotActor

from .robot_bulk import leading
from .robot_flags import CHUNK, FiringRef, plan_flags, write_flags
from .robot_notices import emit_notices, plan_notices
from .robot_staff import insert_rows as insert_staff_rows
from .robot_staff import plan as plan_staff
from .uow import UnitOfWork, unit_of_work

# (rule, object type, object, episode, event cursor): uq_robot_firings_episode.
EPISODE_KEY = ["rule_id", "object_type", "object_id", "episode_at", "event_cursor"]
# Rows per INSERT on SQLite (15 columns each, within its bound-variable limit).
_SQLITE_ROWS = 500


@dataclass(frozen=True)
class Match:
    """One object a rule fires for: its episode, and the actions with its values filled."""

    object_id: int
    episode_at: datetime
    cursor: int
    actions: Sequence[Mapping[str, Any]]
    matched: Mapping[str, Any]


@dataclass
class Claimed:
    """Firings this node claimed: finished in the claim's transaction, or pending at the
    first action a batch cannot do (`rest`: firing id -> its match)."""

    done: list[int] = field(default_factory=list)
    rest: dict[int, Match] = field(default_factory=dict)


async def reserve_ids(uow: UnitOfWork, table: str, count: int) -> list[int]:
    """`count` fresh ids of `table` (its own sequence on PostgreSQL: gaps are harmless)."""
    if count <= 0:
        return []
    if uow.hub.db.dialect == "postgresql":
        rows = await uow.session.execute(
            text("SELECT nextval(pg_get_serial_sequence(:t, 'id')) FROM generate_series(1, :n)"),
            {"t": table, "n": count},
        )
        return sorted(rows.scalars())
    # SQLite: the unit of work began with BEGIN IMMEDIATE, no other writer until commit.
    model = RobotFiring if table == RobotFiring.__tablename__ else RobotFlag
    top = (await uow.session.execute(select(func.coalesce(func.max(model.id), 0)))).scalar_one()
    return list(range(int(top) + 1, int(top) + 1 + count))


async def claim_and_perform(
    hub: Hub,
    actor: RobotActor,
    rule_version: int,
    object_type: str,
    matches: Sequence[Match],
    retry_after_s: float,
) -> Claimed:
    """Claim a firing for each match (none twice, ever) and do its leading flag and notify
    actions with it; see the module's doc."""
    claimed = Claimed()
    for start in range(0, len(matches), CHUNK):
        part = matches[start : start + CHUNK]
        async with unit_of_work(hub) as uow:
            await _chunk(uow, actor, rule_version, object_type, part, retry_after_s, claimed)
    return claimed


async def _chunk(
    uow: UnitOfWork,
    actor: RobotActor,
    rule_version: int,
    object_type: str,
    part: Sequence[Match],
    retry_after_s: float,
    claimed: Claimed,
) -> None:
    firing_ids = await reserve_ids(uow, RobotFiring.__tablename__, len(part))
    refs = [
        FiringRef(fid, actor.robot_id, object_type, m.object_id, m.episode_at)
        for fid, m in zip(firing_ids, part, strict=True)
    ]
    # One rule, one version: every match has the same actions, texts aside.
    total = len(part[0].actions)
    steps = min(leading(m.actions) for m in part)
    results: dict[int, list[dict[str, Any]]] = {f.id: [] for f in refs}
    flag_rows: list[dict[str, Any]] = []
    notices = []
    staff_rows: list[dict[str, Any]] = []
    flag_steps = sum(1 for step in range(steps) if part[0].actions[step]["type"] == "flag")
    # Reserved at once: SQLite's max(id) does not see flags planned and not yet written.
    flag_ids = await reserve_ids(uow, RobotFlag.__tablename__, flag_steps * len(part))
    for step in range(steps):
        kind = part[0].actions[step]["type"]
        done: dict[int, Any]
        if kind == "flag":
            items = [
                (f, str(m.actions[step]["code"]), str(m.actions[step]["reason"]))
                for f, m in zip(refs, part, strict=True)
            ]
            ids, flag_ids = flag_ids[: len(items)], flag_ids[len(items) :]
            rows, done = await plan_flags(uow, items, ids)
            flag_rows.extend(rows.values())
        else:
            planned = await plan_notices(
                uow, [(f, m.actions[step]) for f, m in zip(refs, part, strict=True)]
            )
            done = {n.firing.id: n.result() for n in planned}
            rows_, sent = await plan_staff(
                uow, actor, [(n.firing, n.action, n.users) for n in planned]
            )
            for firing_id, by_medium in sent.items():
                done[firing_id].update(by_medium)
            notices.extend(planned)
            staff_rows.extend(rows_)
        for f in refs:
            results[f.id].append({"type": kind, "ok": True, "result": done[f.id]})
    inserted = await _insert_firings(
        uow, actor.robot_id, rule_version, object_type, refs, part, results, steps, total,
        retry_after_s,
    )  # fmt: skip
    # Only what this transaction claimed acts: a firing someone else holds writes nothing.
    await write_flags(uow, [row for row in flag_rows if row["firing_id"] in inserted])
    emit_notices(uow, actor, (n for n in notices if n.firing.id in inserted))
    await insert_staff_rows(uow, [row for row in staff_rows if row["firing_id"] in inserted])
    for f, m in zip(refs, part, strict=True):
        if f.id not in inserted:
            continue
        if steps >= total:
            claimed.done.append(f.id)
        else:
            claimed.rest[f.id] = m


async def _insert_firings(
    uow: UnitOfWork,
    rule_id: int,
    rule_version: int,
    object_type: str,
    refs: Sequence[FiringRef],
    part: Sequence[Match],
    results: Mapping[int, list[dict[str, Any]]],
    steps: int,
    total: int,
    retry_after_s: float,
) -> set[int]:
    now = uow.now()
    finished = steps >= total
    status = FiringStatus.done if finished else FiringStatus.pending
    retry_at = now + timedelta(seconds=retry_after_s)
    done_at = now if finished else None
    if uow.hub.db.dialect == "postgresql":
        found = await uow.session.execute(
            _INSERT_FIRINGS,
            {
                "ids": [f.id for f in refs],
                "objects": [f.object_id for f in refs],
                "episodes": [f.episode_at for f in refs],
                "cursors": [m.cursor for m in part],
                "matched": [json.dumps(dict(m.matched)) for m in part],
                "results": [json.dumps(results[f.id]) for f in refs],
                "rule_id": rule_id,
                "version": rule_version,
                "kind": object_type,
                "step": steps,
                "status": status,
                "retry_at": retry_at,
                "now": now,
                "done_at": done_at,
            },
        )
        return set(found.scalars())
    rows = [
        {
            "id": f.id,
            "rule_id": rule_id,
            "rule_version": rule_version,
            "object_type": object_type,
            "object_id": f.object_id,
            "episode_at": f.episode_at,
            "event_cursor": m.cursor,
            "matched": dict(m.matched),
            "results": results[f.id],
            "step": steps,
            "status": status,
            "attempts": 0,
            "retry_at": retry_at,
            "created_at": now,
            "done_at": done_at,
        }
        for f, m in zip(refs, part, strict=True)
    ]
    inserted: set[int] = set()
    for start in range(0, len(rows), _SQLITE_ROWS):
        stmt = (
            sqlite.insert(RobotFiring)
            .values(rows[start : start + _SQLITE_ROWS])
            .on_conflict_do_nothing(index_elements=EPISODE_KEY)
            .returning(RobotFiring.id)
        )
        inserted.update((await uow.session.execute(stmt)).scalars())
    return inserted


# The chunk's firings as arrays, unnested: one statement, one round trip, each firing's
# JSON encoded once (an executemany of thousands of rows took seconds under load).
_INSERT_FIRINGS = text(
    "INSERT INTO robot_firings (id, rule_id, rule_version, object_type, object_id, episode_at,"
    " event_cursor, matched, results, step, status, attempts, retry_at, created_at, done_at)"
    " SELECT u.id, CAST(:rule_id AS integer), CAST(:version AS integer), CAST(:kind AS text),"
    " u.object_id, u.episode_at, u.cursor, u.matched, u.results, CAST(:step AS integer),"
    " CAST(:status AS text), 0, CAST(:retry_at AS timestamptz), CAST(:now AS timestamptz),"
    " CAST(:done_at AS timestamptz)"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:objects AS bigint[]),"
    " CAST(:episodes AS timestamptz[]), CAST(:cursors AS bigint[]),"
    " CAST(CAST(:matched AS text[]) AS jsonb[]), CAST(CAST(:results AS text[]) AS jsonb[]))"
    " AS u(id, object_id, episode_at, cursor, matched, results)"
    " ON CONFLICT (rule_id, object_type, object_id, episode_at, event_cursor) DO NOTHING"
    " RETURNING id"
).bindparams(
    bindparam("retry_at", type_=UtcDateTime()),
    bindparam("now", type_=UtcDateTime()),
    bindparam("done_at", type_=UtcDateTime()),
)
