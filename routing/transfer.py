"""Manual transfer of a conversation to an operator or a team, with a note saying why."""

from __future__ import annotations

from hub.actions import messages
from hub.actions import routing as routing_actions
from hub.actions.uow import UnitOfWork
from hub.models import Conversation, Presence, Team, User
from hub.reasons import reason as because

from . import assignment


class TransferError(ValueError):
    """The transfer cannot be done (target offline, unknown, the same holder)."""

    def __init__(self, error_id: str, message: str) -> None:
        super().__init__(message)
        self.error_id = error_id


async def to_operator(
    uow: UnitOfWork, conversation: Conversation, target: User, by: User, note: str = ""
) -> None:
    if not target.is_active or target.presence is Presence.offline:
        raise TransferError("operator-offline", f"{target.name} is offline")
    if conversation.assignee_id == target.id:
        raise TransferError("already-assigned", f"{target.name} already holds it")
    team = await uow.session.get(Team, conversation.team_id) if conversation.team_id else None
    timeout = team.accept_timeout_s if team else assignment.DEFAULT_ACCEPT_TIMEOUT_S
    reason = (
        because("transferred_note", target=target.name, by=by.name, note=note)
        if note
        else because("transferred", target=target.name, by=by.name)
    )
    if note:
        await messages.add_note(uow, conversation, by, note)
    # A deliberate hand-over may go past the target's capacity, as a supervisor decides.
    await routing_actions.offer(
        uow, conversation, target, reason, timeout, kind="transferred", by_user_id=by.id
    )


async def to_team(
    uow: UnitOfWork, conversation: Conversation, team: Team, by: User, note: str = ""
) -> bool:
    """Hand the conversation to another team's routing; True when someone there took it."""
    if note:
        await messages.add_note(uow, conversation, by, note)
    await routing_actions.move_to_team(uow, conversation, team.id)
    context = because("transferred_team", team=team.name, by=by.name)
    return await assignment.route(
        uow,
        conversation,
        exclude=frozenset({conversation.assignee_id}) if conversation.assignee_id else frozenset(),
        context=context,
    )
