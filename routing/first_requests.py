"""A group commit's first requests, processed together: messages from senders nobody knows.

Most of a busy node's inbound events are of this kind (every web-form submission from a new
visitor, a new client's first chat message), and each costs two dozen statements when
processed alone (`handlers.apply_message`). Here a batch's first requests are found with one
lookup of every identity they claim, written with one statement per kind of row
(`hub.actions.first_requests`), and routed together, their operators locked once, in id order
(`routing.queue_batch`'s staff): about twenty statements for the whole batch.

Only what would certainly become a new lead is taken: an `InboundMessage` on a channel that
does not join a conversation by its headers or its visitor (not e-mail, not the website
chat), with no attachment and no conversation hinted, whose every identity is unknown to the
database and claimed by no other event of the batch. Anything else is processed one by one
after them, as before; since none of those events shares a sender with a first request, the
order of each sender's events holds.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from connectors.base import Inbound, InboundMessage
from hub.actions import first_requests, queue_offers
from hub.actions.contacts import NormalisedIdentity
from hub.actions.first_requests import FirstRequest, Opened
from hub.actions.fresh_cards import fresh_cards
from hub.actions.fresh_routing import settle_fresh
from hub.actions.fresh_sources import fresh_sources
from hub.actions.inbound import ClaimedEvent
from hub.actions.inbound_batch import Done, mark_processed_many
from hub.actions.queue_offers import QueueOffer, QueueWait, TeamMove
from hub.actions.uow import UnitOfWork
from hub.models import Channel, Team, User
from hub.reasons import reason as because

from . import identity, queue_batch
from .assignment import DEFAULT_ACCEPT_TIMEOUT_S, weight_of
from .handlers import LEAD_SOURCE_KEYS
from .hours import is_open

# Channels that may thread an unknown sender into an existing conversation: e-mail by its
# headers (a colleague answering in Cc), the website chat by its visitor.
_THREADING_KINDS = frozenset({"email", "widget"})


@dataclass(frozen=True)
class Arrived:
    """A stored event of the batch, read, with its channel (None: not configured)."""

    event: ClaimedEvent
    item: Inbound
    channel: Channel | None


async def open_and_route(uow: UnitOfWork, batch: Sequence[Arrived]) -> dict[int, int]:
    """Process the batch's first requests; per event processed, its conversation's id."""
    requests = await _first_requests(uow, batch)
    if not requests:
        return {}
    opened = await first_requests.open_first_requests(uow, requests)
    await route_opened(uow, opened)
    await mark_processed_many(
        uow, [Done(o.request.event_id, o.conversation_id, o.message_id) for o in opened]
    )
    return {o.request.event_id: o.conversation_id for o in opened}


async def _first_requests(uow: UnitOfWork, batch: Sequence[Arrived]) -> list[FirstRequest]:
    region = uow.hub.settings.default_region
    claims: list[list[NormalisedIdentity]] = []
    for arrived in batch:
        sender = getattr(arrived.item, "sender", None)
        claims.append(identity.normalise_claims(sender.identities, region) if sender else [])
    # Claimed by two events of the batch: the second may belong to the first one's sender.
    claimed = Counter((i.kind, i.value) for ids in claims for i in ids)
    maybe = [
        (arrived, ids)
        for arrived, ids in zip(batch, claims, strict=True)
        if _may_be_first(arrived) and all(claimed[(i.kind, i.value)] == 1 for i in ids)
    ]
    if len(maybe) == 1 and not opens_anew(maybe[0][0]):
        # A known sender's chat message into his open conversation needs no lookup before
        # it (`conversations.touch_open`): one alone is processed as alone.
        return []
    known = await identity.known(uow.session, [i for _, ids in maybe for i in ids])
    return [
        _request(arrived, ids, region)
        for arrived, ids in maybe
        if not any((i.kind, i.value) in known for i in ids)
    ]


def opens_anew(arrived: Arrived) -> bool:
    """A message on a channel where each one opens a request of its own (a web form): its
    sender is looked up whatever happens, so a first request costs no extra statement."""
    return (
        arrived.channel is not None
        and arrived.channel.kind == "webform"
        and isinstance(arrived.item, InboundMessage)
    )


def _may_be_first(arrived: Arrived) -> bool:
    item, channel = arrived.item, arrived.channel
    return (
        isinstance(item, InboundMessage)
        and channel is not None
        and channel.kind not in _THREADING_KINDS
        and not item.attachments
        and item.meta.get("thread_hint") is None
    )


def _request(arrived: Arrived, ids: list[NormalisedIdentity], region: str) -> FirstRequest:
    item, channel = arrived.item, arrived.channel
    assert isinstance(item, InboundMessage) and channel is not None  # _may_be_first
    meta: dict[str, Any] = {**item.meta, "request_number": arrived.event.id}
    return FirstRequest(
        event_id=arrived.event.id,
        channel=channel,
        sender_name=item.sender.name,
        identities=ids,
        unparsed_phones=identity.unparsed_phones(item.sender.identities, region),
        lead_source_detail={k: item.meta[k] for k in LEAD_SOURCE_KEYS if item.meta.get(k)},
        lead_title=item.subject or item.text[:80],
        subject=item.subject or item.text[:120] or item.sender.name,
        text=item.text,
        meta=meta,
        message_ref=item.message_ref,
        weight=weight_of(channel.kind),
    )


async def route_opened(uow: UnitOfWork, opened: Sequence[Opened]) -> None:
    """`assignment.route` for each new conversation, decided together: the operators who
    may take one are locked once, in id order, and their loads read after the lock; each
    offer then adds its weight to its operator's load, so capacity is taken exactly once."""
    now = uow.now()
    waiting = [
        queue_batch.Waiting(
            o.conversation_id,
            o.request.channel.team_id,
            o.request.channel.required_skill,
            o.request.weight,
            None,  # a new contact has no responsible manager
            now,
        )
        for o in opened
    ]
    teams = await queue_batch.all_teams(uow)
    staff = await queue_batch.lock_staff(uow, waiting, teams)
    moves, offers, waits = decide_new(waiting, teams, staff, now)
    # The offers' operators as their cards name them (transient: never added to the session).
    assignees = {
        op.id: User(id=op.id, login=op.login, name=op.name, role=op.role)
        for op in (staff.operators[i] for i in {o.user_id for o in offers})
    }
    await settle_fresh(uow, moves, offers, waits, now)
    cards = fresh_cards(opened, offers, waits, assignees, now)
    queue_offers.announce_fresh(uow, offers, waits, cards)
    # Their figures' source rows too are what the batch wrote: not read back before commit.
    uow.know(fresh_sources(opened, moves, offers, waits, now))


def decide_new(
    waiting: Sequence[queue_batch.Waiting],
    teams: dict[int, Team],
    staff: queue_batch.Staff,
    now: datetime,
) -> tuple[list[TeamMove], list[QueueOffer], list[QueueWait]]:
    """`assignment.route`'s decisions for new conversations, in order, each on its own (no
    queue order to keep among them: none waited before), with the reason of each wait."""
    moves: list[TeamMove] = []
    offers: list[QueueOffer] = []
    waits: list[QueueWait] = []
    for conversation in waiting:
        team = teams.get(conversation.team_id) if conversation.team_id is not None else None
        if team is not None and not is_open(team.business_hours, now):
            if team.after_hours_team_id is None:
                why = because("outside_hours", team=team.name)
                waits.append(QueueWait(conversation.id, team.id, why))
                continue
            why = because("after_hours_team", team=team.name)
            moves.append(TeamMove(conversation.id, team.after_hours_team_id, why))
            team = teams[team.after_hours_team_id]
        team_id = team.id if team is not None else None
        decided = queue_batch.decide(staff, conversation, team, set(), None)
        if decided is None:
            why = queue_batch.why_waiting(staff, conversation, team)
            waits.append(QueueWait(conversation.id, team_id, why))
            continue
        operator, reason = decided
        # One moment apart by a microsecond each, as in the queue drain: round-robin and
        # longest-idle read the order the operators got work in.
        turn = now + timedelta(microseconds=len(offers))
        staff.take(operator, conversation.weight, turn)
        timeout = team.accept_timeout_s if team is not None else DEFAULT_ACCEPT_TIMEOUT_S
        offers.append(
            QueueOffer(
                conversation.id, team_id, conversation.weight, operator.id, reason, timeout, turn
            )
        )
    return moves, offers, waits
