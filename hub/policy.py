"""Who may do what, in one place.

The errors a refusal raises (`DomainError` and its kinds) and the actors (`Actor`) live in
`hub.policy_base` and are re-exported here, so a use case imports rules and errors alike from
`hub.policy`.

Conversations: Operators read everything (they need the client's whole history) but write only on
conversations that are theirs or still in the shared queue; supervisors and admins may do
anything. Handing a conversation to someone else is a supervisor's decision.

Robots and the system act like supervisors, but only where no person must be recorded: what
writes a message or names who did it as a user (a reply, a note, taking, accepting, a transfer)
needs a signed-in person for now (`person_of`).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_, true

from hub.auth import Principal, has_role
from hub.models import Call, Conversation, Role, User
from hub.policy_base import Actor as Actor
from hub.policy_base import Conflict as Conflict
from hub.policy_base import DomainError as DomainError
from hub.policy_base import Forbidden as Forbidden
from hub.policy_base import InvalidInput as InvalidInput
from hub.policy_base import NotFound as NotFound
from hub.policy_base import RobotActor as RobotActor
from hub.policy_base import SystemActor as SystemActor
from hub.policy_base import Unavailable as Unavailable


def is_supervisor(actor: Actor) -> bool:
    """Supervisors and admins, and robots and the system, which act on any work."""
    if isinstance(actor, Principal):
        return has_role(actor.role, Role.supervisor)
    return True


def _holds_or_queued(actor: Actor, conversation: Conversation) -> bool:
    """The conversation is the person's own or still in the shared queue."""
    return isinstance(actor, Principal) and conversation.assignee_id in (None, actor.user_id)


def ensure_can_write(actor: Actor, conversation: Conversation) -> None:
    if is_supervisor(actor) or _holds_or_queued(actor, conversation):
        return
    raise DomainError(
        "not-your-conversation",
        403,
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
        raise DomainError(
            "not-your-conversation",
            403,
            "This file belongs to a conversation assigned to someone else.",
            {"conversation_id": conversation.id},
        )


def ensure_can_assign(actor: Actor, conversation: Conversation, user_id: int | None) -> None:
    """Operators may take a conversation, give back their own, or hand their own to a
    colleague (`ensure_can_hand_over`, as a transfer does); anything else is a supervisor's."""
    if is_supervisor(actor):
        return
    if user_id is not None and not (isinstance(actor, Principal) and user_id == actor.user_id):
        ensure_can_hand_over(actor, conversation)
        return
    ensure_can_write(actor, conversation)


def ensure_can_hand_over(actor: Actor, conversation: Conversation) -> None:
    """Handing a conversation to someone else (by /assign or /transfer, to an operator or a
    team): a supervisor may hand any; an operator only one he holds. A conversation in the
    shared queue or held by a colleague is moved by a supervisor, whichever endpoint is used."""
    if is_supervisor(actor):
        return
    if isinstance(actor, Principal) and conversation.assignee_id == actor.user_id:
        return
    raise DomainError(
        "forbidden",
        403,
        "Only the operator holding a conversation, or a supervisor, may hand it to someone else.",
        {"conversation_id": conversation.id},
    )


def takes_on_reply(actor: Actor, conversation: Conversation) -> bool:
    """An operator answering the shared queue takes the conversation, so no one else does."""
    return conversation.assignee_id is None and not is_supervisor(actor)


def person_of(actor: Actor, doing: str) -> Principal:
    """The person behind `actor`, for use cases that record one (a message's author, who took
    or handed over a conversation); robots and the system are refused until they have a
    recorded identity of their own."""
    if isinstance(actor, Principal):
        return actor
    raise Forbidden(
        "needs-a-person",
        f"Only a signed-in person may {doing}; {actor.name} may not.",
        {"actor": actor.name},
    )


def ensure_offered_to(principal: Principal, conversation: Conversation) -> None:
    """Accepting is the offered operator's own step; anyone else has nothing to accept."""
    if conversation.assignee_id != principal.user_id:
        raise Conflict("not-offered-to-you", "This conversation is not offered to you.")


def on_the_call(call: Call, extension: str | None) -> bool:
    """Whether `extension` answered the call or it was transferred to it."""
    return extension is not None and extension in (call.answered_by_extension, call.transferred_to)


def ensure_can_transfer_call(actor: Actor, call: Call, extension: str | None) -> None:
    """A live call is moved by the operator on it (by extension or as its answerer), by a
    supervisor, or by a robot or the system; `extension` is the person's on the call's PBX."""
    if is_supervisor(actor) or on_the_call(call, extension):
        return
    if isinstance(actor, Principal) and call.answered_by_user_id == actor.user_id:
        return
    raise Forbidden("not-your-call", "Only the operator on the call may transfer it.")


# Configuration (accounts, teams, channels) and people's routing settings.
#
# Each actor acts with a rank: a user with their role; a robot as a supervisor (robots act on
# work, never on who works or how the hub is set up); Okno itself (CLI, demo seed) as an admin.


def user_id_of(actor: Actor) -> int | None:
    """The user behind the action, for "by whom" columns; None for robots and the system."""
    return actor.user_id if isinstance(actor, Principal) else None


def _rank(actor: Actor) -> Role:
    if isinstance(actor, Principal):
        return actor.role
    return Role.supervisor if isinstance(actor, RobotActor) else Role.admin


def _ensure_rank(actor: Actor, needed: Role, doing: str) -> None:
    # The same id and status as the API's role check, so a refusal reads alike everywhere.
    if not has_role(_rank(actor), needed):
        raise Forbidden("forbidden", f"{doing} needs the {needed.value} role.")


def ensure_can_manage_accounts(actor: Actor) -> None:
    _ensure_rank(actor, Role.admin, "Managing user accounts")


def ensure_can_handle_personal_data(actor: Actor) -> None:
    """Exporting or erasing everything about a person (152-ФЗ requests)."""
    _ensure_rank(actor, Role.admin, "Exporting or erasing a person's data")


def ensure_can_manage_teams(actor: Actor) -> None:
    _ensure_rank(actor, Role.admin, "Changing teams")


def ensure_can_manage_channels(actor: Actor) -> None:
    _ensure_rank(actor, Role.admin, "Changing channels")


def ensure_can_set_routing(actor: Actor) -> None:
    """Capacity, skills, extension and activity of operators: a supervisor's daily work."""
    _ensure_rank(actor, Role.supervisor, "Changing operators' routing settings")


def ensure_can_merge_contacts(actor: Actor) -> None:
    _ensure_rank(actor, Role.supervisor, "Merging contacts")


def ensure_can_switch_user(actor: Actor, user: User) -> None:
    """Switching an account on or off is for its equals or betters: a supervisor may not
    switch an admin off."""
    if not has_role(_rank(actor), user.role):
        raise Forbidden(
            "forbidden",
            f"Switching a user with the {user.role.value} role on or off needs that role.",
        )


def ensure_not_locking_out(
    actor: Actor, user: User, *, role: Role | None = None, is_active: bool | None = None
) -> None:
    """Nobody demotes or deactivates their own account: an admin could lock everyone out."""
    if user.id != user_id_of(actor):
        return
    if role is not None and role != user.role:
        field = "role"
    elif is_active is False:
        field = "is_active"
    else:
        return
    raise Conflict(
        "cannot-change-self", "you cannot demote or deactivate yourself", {"field": field}
    )


def ensure_contact_visible(contact_id: int, exists: bool, merged_into_id: int | None) -> None:
    """A contact merged into another one is gone from view: its survivor is shown instead."""
    if not exists:
        raise NotFound("no-such-contact", "There is no such contact.", {"contact_id": contact_id})
    if merged_into_id is not None:
        raise NotFound(
            "contact-merged",
            "This contact was merged into another one.",
            {"contact_id": contact_id, "merged_into_id": merged_into_id},
        )


def ensure_can_edit_record(
    actor: Actor, responsible_user_id: int | None, actors_team_mates: frozenset[int]
) -> None:
    """Clients, organisations and deals: the responsible manager edits, so do supervisors of
    a team he is in (`actors_team_mates`: the supervisor and everyone sharing a team with
    him), admins, robots and the system. A record nobody is responsible for is anyone's."""
    if not isinstance(actor, Principal) or responsible_user_id in (None, actor.user_id):
        return
    if has_role(actor.role, Role.admin):
        return
    if has_role(actor.role, Role.supervisor) and responsible_user_id in actors_team_mates:
        return
    raise Forbidden(
        "not-responsible",
        "Only the responsible manager, his supervisor or an administrator may change this.",
        {"responsible_user_id": responsible_user_id},
    )


def ensure_can_manage_robots(actor: Actor) -> None:
    """Robots' rules and the production calendar: what Okno does by itself is set up by
    administrators."""
    _ensure_rank(actor, Role.admin, "Setting up robots")


def ensure_can_manage_sla(actor: Actor) -> None:
    """SLA targets are the supervisors' yardstick: they and administrators set them."""
    _ensure_rank(actor, Role.supervisor, "Setting SLA targets")


def ensure_can_clear_flags(actor: Actor) -> None:
    _ensure_rank(actor, Role.supervisor, "Clearing a robot's flag")


def ensure_can_configure_crm(actor: Actor) -> None:
    """Custom fields, pipelines and stages, visibility scopes."""
    _ensure_rank(actor, Role.admin, "Setting up the CRM")


def stale_version(what: str, record_id: int, current: int, current_record: Any = None) -> Conflict:
    """A concurrent edit: the caller started from an older version. Never overwrite silently."""
    return Conflict(
        "stale-version",
        f"This {what} was changed by someone else meanwhile; reload it and edit again.",
        {"id": record_id, "current_version": current, "current": current_record},
    )


def ensure_contact_in_view(contact_id: int, in_view: bool) -> None:
    """A contact outside the person's CRM view is answered like a missing one: a 404 tells
    nobody that it exists."""
    if not in_view:
        raise NotFound("no-such-contact", "There is no such contact.", {"contact_id": contact_id})


# Activities: who plans for whom, who changes what.


def may_plan_for(
    actor: Actor, user_id: int | None, actors_team_mates: frozenset[int], sees_owner: bool
) -> bool:
    """Whether the actor may make `user_id` responsible for, or a participant of, an
    activity: himself, people sharing a team with him, and people whose records his CRM view
    covers (`sees_owner`); admins, robots and the system plan for anyone. Someone from a team
    the actor may not see is refused, so scheduling cannot probe another team's calendar."""
    if not isinstance(actor, Principal) or user_id is None or user_id == actor.user_id:
        return True
    return has_role(actor.role, Role.admin) or user_id in actors_team_mates or sees_owner


def ensure_can_change_activity(
    actor: Actor,
    responsible_user_id: int | None,
    created_by_id: int | None,
    actors_team_mates: frozenset[int],
) -> None:
    """The responsible user and whoever planned it change (complete, cancel, snooze) an
    activity; so do the responsible user's supervisor, admins, robots and the system."""
    if isinstance(actor, Principal) and created_by_id == actor.user_id:
        return
    ensure_can_edit_record(actor, responsible_user_id, actors_team_mates)


def already_closed(activity_id: int, status: str, done_by_id: int | None, at: Any) -> Conflict:
    """Someone else completed (or cancelled) it first: say so, with who and when."""
    return Conflict(
        "activity-already-done" if status == "done" else "activity-cancelled",
        "This activity is already done." if status == "done" else "This activity was cancelled.",
        {"id": activity_id, "status": status, "done_by_id": done_by_id, "at": at},
    )


def ensure_can_manage_absence(actor: Actor, user_id: int, actors_mates: frozenset[int]) -> None:
    """One's own absences; a supervisor's team members' (`actors_mates`); an admin's, a
    robot's or the system's anyone's. Visibility (404) is checked before this refusal."""
    if not isinstance(actor, Principal) or user_id == actor.user_id:
        return
    if has_role(actor.role, Role.admin) or (
        has_role(actor.role, Role.supervisor) and user_id in actors_mates
    ):
        return
    message = "Only the person, his team's supervisor or an administrator may change this."
    raise Forbidden("not-your-absence", message, {"user_id": user_id})


# Canned answers («Шаблоны»).


def ensure_can_edit_template(actor: Actor, scope: str, owner_id: int | None) -> None:
    """A personal template is its owner's alone (not even an admin edits another's); team and
    company templates are the supervisors' and admins' (an operator only uses them)."""
    if scope == "personal":
        if isinstance(actor, Principal) and owner_id == actor.user_id:
            return
        raise NotFound("no-such-template", "There is no such template.")
    _ensure_rank(actor, Role.supervisor, "Changing team and company templates")


def ensure_can_set_plans(actor: Actor) -> None:
    """Managers' monthly plans («Управление показателями») are the supervisor's to set."""
    _ensure_rank(actor, Role.supervisor, "Setting managers' plans")
