"""Writing a batch's routing of new conversations: `queue_offers.settle(fresh=True)` and
`queue_offers.queue_fresh`, on PostgreSQL in one statement.

A batch of first requests (routing/first_requests.py) ends with its decisions written: the
routing decisions, the offers, the offered conversations' assignee and expiry, the waiting
ones' place in the queue, the operators' turns and the new holdings. Separately that is six
statements, each a round trip while the batch's transaction holds its operators' locks; on
PostgreSQL they are one, each part a data-modifying CTE fed from arrays (the text does not
change with the batch's size, so it is prepared once). Its parts touch different rows (the
offered and the queued conversations are not the same), which a single statement requires.
A batch's after-hours moves come first, on their own: they change rows the offers change
too. The rows end as the separate statements leave them, in the same order of ids
(tests/routing/test_first_requests.py, on both databases). SQLite runs in process, where a
statement costs no round trip: there the separate statements run.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import bindparam, text

from hub.models.base import UtcDateTime

from . import queue_offers
from .queue_offers import QueueOffer, QueueWait, TeamMove, offer_expiry
from .uow import UnitOfWork

_SETTLE_FRESH_PG = text(
    "WITH decided AS ("
    " INSERT INTO routing_decisions (conversation_id, created_at, kind, reason, reason_parts,"
    " from_user_id, to_user_id, team_id, by_user_id)"
    " SELECT d.cid, CAST(:now AS timestamptz), d.kind, d.reason, d.parts, NULL, d.to_user,"
    " d.team, NULL"
    " FROM unnest(CAST(:d_cid AS bigint[]), CAST(:d_kind AS varchar[]), CAST(:d_reason AS text[]),"
    " CAST(CAST(:d_parts AS text[]) AS jsonb[]), CAST(:d_to AS bigint[]),"
    " CAST(:d_team AS bigint[])) WITH ORDINALITY AS d(cid, kind, reason, parts, to_user, team, n)"
    " ORDER BY d.n),"
    " offered AS ("
    " INSERT INTO assignment_offers (conversation_id, user_id, offered_at)"
    " SELECT o.cid, o.uid, CAST(:now AS timestamptz)"
    " FROM unnest(CAST(:o_cid AS bigint[]), CAST(:o_uid AS bigint[]))"
    " WITH ORDINALITY AS o(cid, uid, n) ORDER BY o.n),"
    " assigned AS ("
    " UPDATE conversations AS c SET assignee_id = v.uid, queued_at = NULL,"
    " wait_alerted_at = NULL, offer_expires_at = v.expires,"
    " first_assigned_at = COALESCE(c.first_assigned_at, CAST(:now AS timestamptz))"
    " FROM unnest(CAST(:o_cid AS bigint[]), CAST(:o_uid AS bigint[]),"
    " CAST(:o_expires AS timestamptz[])) AS v(cid, uid, expires) WHERE c.id = v.cid),"
    " queued AS ("
    " UPDATE conversations SET queued_at = CAST(:now AS timestamptz)"
    " WHERE id = ANY(CAST(:w_cid AS bigint[]))),"
    " turned AS ("
    " UPDATE users AS u SET last_assigned_at = t.turn"
    " FROM unnest(CAST(:t_uid AS bigint[]), CAST(:t_turn AS timestamptz[])) AS t(uid, turn)"
    " WHERE u.id = t.uid),"
    " held AS ("
    " INSERT INTO conversation_holdings (conversation_id, user_id, weight, started_at)"
    " SELECT h.cid, h.uid, h.weight, CAST(:now AS timestamptz)"
    " FROM unnest(CAST(:o_cid AS bigint[]), CAST(:o_uid AS bigint[]),"
    " CAST(:o_weight AS float8[])) WITH ORDINALITY AS h(cid, uid, weight, n) ORDER BY h.n)"
    " SELECT 1"
).bindparams(bindparam("now", type_=UtcDateTime()))


async def settle_fresh(
    uow: UnitOfWork,
    moves: Sequence[TeamMove],
    offers: Sequence[QueueOffer],
    waits: Sequence[QueueWait],
    now: datetime,
) -> None:
    """Write the routing of conversations opened in this transaction: after-hours moves,
    offers (with their holdings and the operators' turns) and waits, in that order, all at
    `now` (the moment the caller decided them and shows them at: `fresh_cards`)."""
    if uow.hub.db.dialect != "postgresql":
        await queue_offers.settle(uow, moves, offers, fresh=True, now=now)
        await queue_offers.queue_fresh(uow, waits, now)
        return
    if not (moves or offers or waits):
        return
    connection = await uow.session.connection()
    if moves:
        await connection.execute(
            queue_offers.MOVE_ONE, [{"cid": m.conversation_id, "team": m.team_id} for m in moves]
        )
    decisions = (
        [("after_hours", m.conversation_id, m.reason, m.team_id, None) for m in moves]
        + [("assigned", o.conversation_id, o.reason, o.team_id, o.user_id) for o in offers]
        + [("queued", w.conversation_id, w.reason, w.team_id, None) for w in waits]
    )
    # Each operator's latest turn: round-robin and longest-idle read the order they got work.
    turns = sorted({o.user_id: o.turn for o in offers}.items())
    await connection.execute(
        _SETTLE_FRESH_PG,
        {
            "now": now,
            "d_cid": [d[1] for d in decisions],
            "d_kind": [d[0] for d in decisions],
            "d_reason": [d[2].text() for d in decisions],
            "d_parts": [json.dumps(d[2].to_json()) for d in decisions],
            "d_to": [d[4] for d in decisions],
            "d_team": [d[3] for d in decisions],
            "o_cid": [o.conversation_id for o in offers],
            "o_uid": [o.user_id for o in offers],
            "o_expires": [offer_expiry(o, now) for o in offers],
            "o_weight": [o.weight for o in offers],
            "w_cid": [w.conversation_id for w in waits],
            "t_uid": [uid for uid, _ in turns],
            "t_turn": [turn for _, turn in turns],
        },
    )
