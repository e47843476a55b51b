"""Use cases that move a conversation between people: assign (take, give back, hand over),
accept an offer, transfer to an operator or a team.

All go through the routing engine's actions (offers, queue, recorded decisions), so the sweeper
never moves a conversation someone has taken. Each runs in one unit of work with the
conversation locked (see `conversation_cases`).

Robots and the system may give a conversation back to the queue. Taking, accepting and
transferring record the person who did it (the decision's `by_user`, the author of the
hand-over note), so they need a person (403 `needs-a-person`).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

from hub.auth import Principal
from hub.core import Hub
from hub.models import Conversation, Team, User
from hub.policy import (
    Actor,
    Conflict,
    InvalidInput,
    NotFound,
    ensure_can_assign,
    ensure_can_hand_over,
    ensure_offered_to,
    person_of,
)
from hub.reasons import Reason
from hub.reasons import reason as because
from routing import transfer

from . import conversations
from . import routing as routing_actions
from .conversation_cases import take, writing
from .uow import UnitOfWork, unit_of_work

RowT = TypeVar("RowT", User, Team)


def _noted(note: str) -> Reason | None:
    """A hand-over note the person typed is the reason itself, shown as written."""
    return because("note", text=note) if note else None


async def assign(
    hub: Hub, actor: Actor, conversation_id: int, user_id: int | None, note: str = ""
) -> None:
    """`user_id` None gives it back to the queue; the actor's own id takes it (or accepts the
    offer they have); anyone else's hands it over (supervisors)."""
    note = note.strip()
    async with unit_of_work(hub) as uow:
        conversation = await conversations.locked(uow, conversation_id)
        ensure_can_assign(actor, conversation, user_id)
        if user_id is None:
            if conversation.assignee_id is not None:
                why = _noted(note) or because("returned_by", name=actor.name)
                by = actor.user_id if isinstance(actor, Principal) else None
                await routing_actions.enqueue(uow, conversation, "returned", why, by_user_id=by)
        elif isinstance(actor, Principal) and user_id == actor.user_id:
            me = await uow.session.get_one(User, actor.user_id)
            if conversation.assignee_id == me.id:
                # Already offered to the caller: taking it is accepting the offer.
                await routing_actions.accept(uow, conversation, me.id)
            else:
                await take(uow, conversation, me, _noted(note) or because("taken_by", name=me.name))
        else:
            person = person_of(actor, "hand a conversation over")
            target = await _assignable(uow, user_id)
            me = await uow.session.get_one(User, person.user_id)
            await _hand_over(uow, conversation, target, me, note)


async def accept(hub: Hub, actor: Actor, conversation_id: int) -> None:
    """The offered operator keeps it: it no longer moves on when the accept timeout ends."""
    person = person_of(actor, "accept a conversation")
    async with unit_of_work(hub) as uow:
        conversation = await conversations.locked(uow, conversation_id)
        ensure_offered_to(person, conversation)
        await routing_actions.accept(uow, conversation, person.user_id)


async def transfer_to_operator(
    hub: Hub, actor: Actor, conversation_id: int, user_id: int, note: str = ""
) -> None:
    """Whoever may write on it hands it to an online operator, with a note saying why."""
    async with _transferring(hub, actor, conversation_id) as (uow, conversation, me):
        target = await _found(uow, User, user_id, "user")
        await _hand_over(uow, conversation, target, me, note.strip())


async def transfer_to_team(
    hub: Hub, actor: Actor, conversation_id: int, team_id: int, note: str = ""
) -> None:
    """Hand it to another team's routing (offered there or queued), with a note saying why."""
    async with _transferring(hub, actor, conversation_id) as (uow, conversation, me):
        team = await _found(uow, Team, team_id, "team")
        await transfer.to_team(uow, conversation, team, me, note.strip())


@asynccontextmanager
async def _transferring(
    hub: Hub, actor: Actor, conversation_id: int
) -> AsyncIterator[tuple[UnitOfWork, Conversation, User]]:
    """A transfer is done by a person who may write on the conversation and hand it over
    (`ensure_can_hand_over`: the same rule as /assign), and is its note's author."""
    person = person_of(actor, "transfer a conversation")
    async with writing(hub, person, conversation_id) as (uow, conversation):
        ensure_can_hand_over(person, conversation)
        yield uow, conversation, await uow.session.get_one(User, person.user_id)


async def _found(uow: UnitOfWork, model: type[RowT], row_id: int, what: str) -> RowT:
    row = await uow.session.get(model, row_id)
    if row is None:
        raise NotFound(f"no-such-{what}", f"There is no such {what}.", {"id": row_id})
    return row


async def _assignable(uow: UnitOfWork, user_id: int) -> User:
    user = await uow.session.get(User, user_id)
    if user is None or not user.is_active:
        raise InvalidInput(
            [
                {
                    "field": "user_id",
                    "location": "body",
                    "type": "no-such-user",
                    "message": "There is no active user with this id.",
                }
            ]
        )
    return user


async def _hand_over(
    uow: UnitOfWork, conversation: Conversation, target: User, by: User, note: str
) -> None:
    try:
        await transfer.to_operator(uow, conversation, target, by, note)
    except transfer.TransferError as exc:
        raise Conflict(exc.error_id, str(exc), {"user_id": target.id}) from exc
