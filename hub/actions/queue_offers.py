"""Writing a batch of queue-drain decisions at once: what `routing.offer` (and the after-hours
hand-over of `routing.route`) write for one conversation, for many, each kind of row in one
statement.

The conversations, the offers, the decisions with their reasons, the holdings of the work
history and the operators' `last_assigned_at` end as they would after the same offers made
one by one, and each assigned conversation is announced with the same `ConversationChanged`
("assigned"); the events are logged in this transaction and published after it commits
(the unit of work). The caller holds the rows: the conversations, and the operators whose
capacity the offers take, are locked by it (routing/queue_batch.py).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Table, bindparam, func, insert, select, text, update

from hub.events import ALL_ROLES, Audience, ConversationChanged, conversation_audience
from hub.models import AssignmentOffer, Conversation, ConversationHolding, RoutingDecision, User
from hub.models.base import UtcDateTime
from hub.queries.activities import among
from hub.queries.conversations import conversation_summaries
from hub.reasons import Reason

from .uow import UnitOfWork


@dataclass(frozen=True)
class TeamMove:
    """Hand a queued conversation to `team_id` (its team's after-hours team), for `reason`."""

    conversation_id: int
    team_id: int
    reason: Reason


@dataclass(frozen=True)
class QueueOffer:
    """Offer a queued conversation of `team_id` (as it is after any move) and `weight` to
    `user_id`, who has `accept_timeout_s` to accept it (0: no timeout). `turn` is the
    operator's `last_assigned_at` as of this offer."""

    conversation_id: int
    team_id: int | None
    weight: float
    user_id: int
    reason: Reason
    accept_timeout_s: int
    turn: datetime


_DECISIONS = cast(Table, RoutingDecision.__table__)
_OFFERS = cast(Table, AssignmentOffer.__table__)
_HOLDINGS = cast(Table, ConversationHolding.__table__)
_CONVERSATIONS = cast(Table, Conversation.__table__)

# PostgreSQL: every offered conversation in one statement, the new values as arrays
# unnested side by side (one round trip, planned once whatever the batch's size).
_ASSIGN_PG = text(
    "UPDATE conversations AS c SET assignee_id = v.assignee_id, queued_at = NULL,"
    " wait_alerted_at = NULL, offer_expires_at = v.expires_at,"
    " first_assigned_at = COALESCE(c.first_assigned_at, CAST(:now AS timestamptz))"
    " FROM unnest(CAST(:ids AS bigint[]), CAST(:assignees AS bigint[]),"
    " CAST(:expiries AS timestamptz[])) AS v(id, assignee_id, expires_at)"
    " WHERE c.id = v.id"
).bindparams(bindparam("now", type_=UtcDateTime()))
# SQLite (in process, no round trips): the same values, one prepared statement per row.
_ASSIGN_ONE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("cid"))
    .values(
        assignee_id=bindparam("assignee"),
        queued_at=None,
        wait_alerted_at=None,
        offer_expires_at=bindparam("expires", type_=UtcDateTime()),
        first_assigned_at=func.coalesce(
            _CONVERSATIONS.c.first_assigned_at, bindparam("now", type_=UtcDateTime())
        ),
    )
)
_USERS = cast(Table, User.__table__)
_TURN_ONE = (
    update(_USERS)
    .where(_USERS.c.id == bindparam("uid"))
    .values(last_assigned_at=bindparam("turn", type_=UtcDateTime()))
)
MOVE_ONE = (
    update(_CONVERSATIONS)
    .where(_CONVERSATIONS.c.id == bindparam("cid"))
    .values(team_id=bindparam("team"))
)


@dataclass(frozen=True)
class QueueWait:
    """A new conversation of `team_id` (as it is after any move) nobody can take now: it
    waits in the queue, for `reason`."""

    conversation_id: int
    team_id: int | None
    reason: Reason


async def settle(
    uow: UnitOfWork,
    moves: Sequence[TeamMove],
    offers: Sequence[QueueOffer],
    *,
    fresh: bool = False,
    now: datetime | None = None,
) -> None:
    """Write the batch's after-hours moves, then its offers, in queue order, and announce
    the offers. `fresh`: the conversations were opened in this transaction, so none has an
    offer or a holding to end (`work_history.never_offered`) and none is looked for; the
    caller announces them (`announce_fresh`). `now`: the moment written (by default the
    clock's; a caller that shows the rows without reading them back passes its own)."""
    now = now or uow.now()
    connection = await uow.session.connection()
    if moves:
        await connection.execute(
            MOVE_ONE, [{"cid": m.conversation_id, "team": m.team_id} for m in moves]
        )
    # The decisions in the order they were taken: a moved conversation's hand-over comes
    # before its offer, as route() records them.
    decisions = [
        _decision(m.conversation_id, "after_hours", m.reason, m.team_id, None, now) for m in moves
    ] + [
        _decision(o.conversation_id, "assigned", o.reason, o.team_id, o.user_id, now)
        for o in offers
    ]
    if decisions:
        await connection.execute(insert(_DECISIONS), decisions)
    if not offers:
        return
    await _offer(uow, offers, now, fresh)
    await _hold(uow, offers, now, fresh)
    if not fresh:
        _announce(uow, offers, await _summaries(uow, [o.conversation_id for o in offers]))


async def queue_fresh(
    uow: UnitOfWork, waits: Sequence[QueueWait], now: datetime | None = None
) -> None:
    """`routing.enqueue` for conversations opened in this transaction that nobody can take
    now: queued from `now` (by default the clock's), the decision with its reason
    (`announce_fresh` shows them)."""
    if not waits:
        return
    now = now or uow.now()
    connection = await uow.session.connection()
    await connection.execute(
        update(_CONVERSATIONS)
        .where(among(_CONVERSATIONS.c.id, [w.conversation_id for w in waits], uow.hub.db.dialect))
        .values(queued_at=now)
    )
    await connection.execute(
        insert(_DECISIONS),
        [_decision(w.conversation_id, "queued", w.reason, w.team_id, None, now) for w in waits],
    )


def announce_fresh(
    uow: UnitOfWork,
    offers: Sequence[QueueOffer],
    waits: Sequence[QueueWait],
    cards: Mapping[int, dict[str, object]],
) -> None:
    """The events of `settle(fresh=True)` and `queue_fresh`, with the cards of their
    conversations as the batch built them (`hub.actions.fresh_cards`): opened in this
    transaction, they are what it wrote; nothing is read back."""
    _announce(uow, offers, cards)
    for w in waits:
        uow.emit(
            ConversationChanged(
                audience=conversation_audience(None),
                conversation=cards[w.conversation_id],
                change="queued",
                reason=w.reason.text(),
            )
        )


def _decision(
    conversation_id: int,
    kind: str,
    reason: Reason,
    team_id: int | None,
    to_user_id: int | None,
    now: datetime,
) -> dict[str, object]:
    # from_user_id: a queued conversation has no assignee (enqueue cleared it).
    return {
        "conversation_id": conversation_id,
        "created_at": now,
        "kind": kind,
        "reason": reason.text(),
        "reason_parts": reason.to_json(),
        "from_user_id": None,
        "to_user_id": to_user_id,
        "team_id": team_id,
        "by_user_id": None,
    }


def offer_expiry(offer: QueueOffer, now: datetime) -> datetime | None:
    """When an offer made now lapses unaccepted (None: it never does)."""
    return now + timedelta(seconds=offer.accept_timeout_s) if offer.accept_timeout_s else None


async def _offer(uow: UnitOfWork, offers: Sequence[QueueOffer], now: datetime, fresh: bool) -> None:
    dialect = uow.hub.db.dialect
    ids = [o.conversation_id for o in offers]
    connection = await uow.session.connection()
    if not fresh:
        # Any offer still pending on them ends, as `release_open_offers` ends it.
        await connection.execute(
            update(_OFFERS)
            .where(
                among(_OFFERS.c.conversation_id, ids, dialect),
                _OFFERS.c.accepted_at.is_(None),
                _OFFERS.c.timed_out_at.is_(None),
                _OFFERS.c.released_at.is_(None),
            )
            .values(released_at=now)
        )
    await connection.execute(
        insert(_OFFERS),
        [
            {"conversation_id": o.conversation_id, "user_id": o.user_id, "offered_at": now}
            for o in offers
        ],
    )
    expiries = [offer_expiry(o, now) for o in offers]
    if dialect == "postgresql":
        await connection.execute(
            _ASSIGN_PG,
            {
                "ids": ids,
                "assignees": [o.user_id for o in offers],
                "expiries": expiries,
                "now": now,
            },
        )
    else:
        await connection.execute(
            _ASSIGN_ONE,
            [
                {"cid": o.conversation_id, "assignee": o.user_id, "expires": e, "now": now}
                for o, e in zip(offers, expiries, strict=True)
            ],
        )
    # Each operator's latest turn: round-robin and longest-idle read the order they got work.
    turns = {o.user_id: o.turn for o in offers}
    await connection.execute(
        _TURN_ONE, [{"uid": user_id, "turn": turn} for user_id, turn in sorted(turns.items())]
    )


async def _hold(uow: UnitOfWork, offers: Sequence[QueueOffer], now: datetime, fresh: bool) -> None:
    """`work_history.follow_holder` for every offered conversation: its open holding is
    the new assignee's; any other open one ends now."""
    dialect = uow.hub.db.dialect
    holder = {o.conversation_id: o for o in offers}
    connection = await uow.session.connection()
    current: Sequence[Any] = ()
    if not fresh:
        current = (
            await connection.execute(
                select(_HOLDINGS.c.id, _HOLDINGS.c.conversation_id, _HOLDINGS.c.user_id)
                .where(
                    among(_HOLDINGS.c.conversation_id, list(holder), dialect),
                    _HOLDINGS.c.ended_at.is_(None),
                )
                .order_by(_HOLDINGS.c.id)
            )
        ).all()
    kept: set[int] = set()
    ended: list[int] = []
    for holding_id, conversation_id, user_id in current:
        if user_id == holder[conversation_id].user_id and conversation_id not in kept:
            kept.add(conversation_id)
        else:
            ended.append(holding_id)
    if ended:
        await connection.execute(
            update(_HOLDINGS).where(among(_HOLDINGS.c.id, ended, dialect)).values(ended_at=now)
        )
    started = [
        {
            "conversation_id": o.conversation_id,
            "user_id": o.user_id,
            "weight": o.weight,
            "started_at": now,
        }
        for o in offers
        if o.conversation_id not in kept
    ]
    if started:
        await connection.execute(insert(_HOLDINGS), started)


def _announce(
    uow: UnitOfWork, offers: Sequence[QueueOffer], summaries: Mapping[int, dict[str, object]]
) -> None:
    """Each conversation leaves the shared queue every operator was shown and lands in its
    assignee's list: `conversations.assign`'s event, the summaries read in one go."""
    for o in offers:
        uow.emit(
            ConversationChanged(
                audience=Audience(users=frozenset({o.user_id}), roles=ALL_ROLES),
                conversation=summaries[o.conversation_id],
                change="assigned",
                reason=o.reason.text(),
            )
        )


async def _summaries(uow: UnitOfWork, ids: list[int]) -> dict[int, dict[str, object]]:
    """The conversations as events carry them, read in one go."""
    found = await conversation_summaries(uow.session, ids, uow.hub.db.dialect)
    return {int(cast(int, summary["id"])): summary for _, summary in found}
