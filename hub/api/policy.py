"""Who may change which conversation.

Operators read everything (they need the client's whole history) but write only on
conversations that are theirs or still in the shared queue; supervisors and admins may do
anything. Handing a conversation to someone else is a supervisor's decision.
"""

from __future__ import annotations

from sqlalchemy import ColumnElement, or_, true

from hub.api.errors import ApiError
from hub.auth import Principal, has_role
from hub.models import Conversation, Role


def is_supervisor(principal: Principal) -> bool:
    return has_role(principal.role, Role.supervisor)


def ensure_can_write(principal: Principal, conversation: Conversation) -> None:
    if is_supervisor(principal) or conversation.assignee_id in (None, principal.user_id):
        return
    raise ApiError(
        403,
        "not-your-conversation",
        "This conversation is assigned to someone else; ask a supervisor to hand it over.",
        {"conversation_id": conversation.id, "assignee_id": conversation.assignee_id},
    )


def can_see_files(principal: Principal, conversation: Conversation) -> bool:
    """Files are opened by whoever works the conversation: its assignee, anyone while it is
    in the shared queue, and supervisors; not by a colleague it is not assigned to."""
    return is_supervisor(principal) or conversation.assignee_id in (None, principal.user_id)


def can_see_files_where(principal: Principal) -> ColumnElement[bool]:
    """`can_see_files` as a condition on `Conversation`, for queries that filter in SQL."""
    if is_supervisor(principal):
        return true()
    return or_(Conversation.assignee_id.is_(None), Conversation.assignee_id == principal.user_id)


def ensure_can_see_files(principal: Principal, conversation: Conversation) -> None:
    if not can_see_files(principal, conversation):
        raise ApiError(
            403,
            "not-your-conversation",
            "This file belongs to a conversation assigned to someone else.",
            {"conversation_id": conversation.id},
        )


def ensure_can_assign(
    principal: Principal, conversation: Conversation, user_id: int | None
) -> None:
    """Operators may take a conversation or give back their own; nothing more."""
    if is_supervisor(principal):
        return
    if user_id is not None and user_id != principal.user_id:
        raise ApiError(403, "forbidden", "Assigning to another user needs the supervisor role.")
    ensure_can_write(principal, conversation)


def takes_on_reply(principal: Principal, conversation: Conversation) -> bool:
    """An operator answering the shared queue takes the conversation, so no one else does."""
    return conversation.assignee_id is None and not is_supervisor(principal)
