"""The figures' source rows of a batch's new conversations, as the batch wrote them.

The metric facts of a conversation (hub/queries/metric_sources.py) come from its row (created,
closed, first assigned, team, channel, holder) and its waits (the client's messages and the
answers to them). A batch of first requests (hub/actions/first_requests.py, routed by
routing/first_requests.py) wrote all of that itself a moment ago: each conversation was
created with the client's one message and moved to another team, offered or queued, and
nobody has answered it. So the refresh before commit derives their facts from these values
(`UnitOfWork.know`) instead of reading the rows back: two statements and their rows fewer
per batch. tests/routing/test_first_requests.py compares these facts with a rebuild's.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hub.queries.metric_sources import KnownConversation, SourceConversation, Wait

from .first_requests import Opened
from .queue_offers import QueueOffer, QueueWait, TeamMove


def fresh_sources(
    opened: Sequence[Opened],
    moves: Sequence[TeamMove],
    offers: Sequence[QueueOffer],
    waits: Sequence[QueueWait],
    now: datetime,
) -> list[KnownConversation]:
    """Per conversation offered or queued, its source rows: created at `Opened.at` with
    its channel's team (or the one it moved to), first assigned `now` if offered, and one
    wait, unanswered, from its first message (written at the same moment)."""
    moved = {m.conversation_id: m.team_id for m in moves}
    offered = {o.conversation_id: o for o in offers}
    queued = {w.conversation_id for w in waits}
    sources: list[KnownConversation] = []
    for o in opened:
        conversation_id = o.conversation_id
        offer = offered.get(conversation_id)
        if offer is None and conversation_id not in queued:
            continue
        channel = o.request.channel
        row = SourceConversation(
            id=conversation_id,
            created_at=o.at,
            closed_at=None,
            first_assigned_at=now if offer else None,
            team_id=moved.get(conversation_id, channel.team_id),
            channel_id=channel.id,
            assignee_id=offer.user_id if offer else None,
        )
        sources.append(KnownConversation(row, (Wait(conversation_id, o.at, None, None, True),)))
    return sources
