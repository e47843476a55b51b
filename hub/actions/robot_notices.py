"""Whom a robot tells, and the telling: `robot.notice` events to the responsible manager,
his supervisors, a team or a user, for any number of firings at once.

The responsible people of a batch of objects come from one query per kind, their
supervisors from one query for all of them, so notifying about ten thousand stalled deals
costs a few statements and the events (logged together by the unit of work).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import aliased

from hub.events import STAFF_ROLES, Audience, RobotNotice
from hub.models import Activity, Call, Conversation, Deal, Lead, Role, TeamMember, User
from hub.policy import RobotActor
from hub.queries.activities import among

from . import robot_staff
from .robot_flags import FiringRef, chunks
from .uow import UnitOfWork

# Who is responsible for each kind of object a robot fires for.
RESPONSIBLE: dict[str, Any] = {
    "deal": Deal.responsible_user_id,
    "conversation": Conversation.assignee_id,
    "lead": Lead.responsible_user_id,
    "call": Call.answered_by_user_id,
    "activity": Activity.user_id,
}


async def responsibles(
    uow: UnitOfWork, object_type: str, ids: Iterable[int]
) -> dict[int, int | None]:
    column = RESPONSIBLE[object_type]
    model = column.class_
    found: dict[int, int | None] = {}
    for part in chunks(sorted(set(ids))):
        rows = await uow.session.execute(
            select(model.id, column).where(among(model.id, part, uow.hub.db.dialect))
        )
        found.update({object_id: user_id for object_id, user_id in rows.all()})
    return found


async def supervisors_of(uow: UnitOfWork, user_ids: Iterable[int]) -> dict[int, set[int]]:
    """The active supervisors and admins of each user's teams."""
    wanted = sorted(set(user_ids))
    found: dict[int, set[int]] = {u: set() for u in wanted}
    member, boss = aliased(TeamMember), aliased(TeamMember)
    for part in chunks(wanted):
        rows = await uow.session.execute(
            select(member.user_id, User.id)
            .join(boss, boss.team_id == member.team_id)
            .join(User, User.id == boss.user_id)
            .where(
                among(member.user_id, part, uow.hub.db.dialect),
                User.role.in_([Role.supervisor, Role.admin]),
                User.is_active.is_(True),
            )
        )
        for user_id, supervisor_id in rows.all():
            found[user_id].add(supervisor_id)
    return found


async def _team_members(uow: UnitOfWork, team_ids: Iterable[int]) -> dict[int, set[int]]:
    found: dict[int, set[int]] = {t: set() for t in team_ids}
    if found:
        rows = await uow.session.execute(
            select(TeamMember.team_id, TeamMember.user_id).where(
                TeamMember.team_id.in_(sorted(found))
            )
        )
        for team_id, user_id in rows.all():
            found[team_id].add(user_id)
    return found


@dataclass(frozen=True)
class Notice:
    """One firing's notice, planned: whom it goes to (nobody named: the staff roles)."""

    firing: FiringRef
    action: Mapping[str, Any]
    users: frozenset[int]

    @property
    def audience(self) -> Audience:
        # Nobody to tell (no responsible, no supervisor in his teams): the supervisors are.
        return Audience(users=self.users) if self.users else Audience(roles=STAFF_ROLES)

    def result(self) -> dict[str, Any]:
        return {"users": sorted(self.users), "roles": sorted(r.value for r in self.audience.roles)}


async def plan_notices(
    uow: UnitOfWork, items: Sequence[tuple[FiringRef, Mapping[str, Any]]]
) -> list[Notice]:
    """Whom each firing's notify action (`items`: the firing and its action, its text
    filled) tells: reads only, so a batch can be planned before it is claimed."""
    owners: dict[tuple[str, int], int | None] = {}
    for kind in {f.object_type for f, _ in items}:
        ids = [f.object_id for f, _ in items if f.object_type == kind]
        owners.update({(kind, i): u for i, u in (await responsibles(uow, kind, ids)).items()})
    bosses = await supervisors_of(
        uow,
        {
            owner
            for f, action in items
            if action["to"] == "supervisor"
            and (owner := owners.get((f.object_type, f.object_id))) is not None
        },
    )
    teams = await _team_members(
        uow, {int(a["team_id"]) for _, a in items if a["to"] == "team" and a.get("team_id")}
    )
    planned = []
    for firing, action in items:
        to = action["to"]
        owner = owners.get((firing.object_type, firing.object_id))
        users: set[int] = set()
        if to == "responsible" and owner is not None:
            users = {owner}
        elif to == "supervisor" and owner is not None:
            users = bosses.get(owner, set())
        elif to == "team" and action.get("team_id"):
            users = teams.get(int(action["team_id"]), set())
        elif to == "user" and action.get("user_id"):
            users = {int(action["user_id"])}
        planned.append(Notice(firing, action, frozenset(users)))
    return planned


def emit_notices(uow: UnitOfWork, actor: RobotActor, notices: Iterable[Notice]) -> None:
    for notice in notices:
        uow.emit(
            RobotNotice(
                audience=notice.audience,
                rule_id=actor.robot_id,
                rule_name=actor.name,
                object_type=notice.firing.object_type,
                object_id=notice.firing.object_id,
                text=str(notice.action["text"]),
            )
        )


async def notify_all(
    uow: UnitOfWork, actor: RobotActor, items: Sequence[tuple[FiringRef, Mapping[str, Any]]]
) -> dict[int, dict[str, Any]]:
    """A `robot.notice` per firing (`items`: the firing and its notify action, its text
    filled); returns each firing's result: whom it went to."""
    notices = await plan_notices(uow, items)
    emit_notices(uow, actor, notices)
    results = {n.firing.id: n.result() for n in notices}
    # By e-mail and Telegram too, where the action asks: to the same people, by name (the
    # supervisors' fallback above has no one to write to).
    told = [(n.firing, n.action, n.users) for n in notices]
    for firing_id, sent in (await robot_staff.queue(uow, actor, told)).items():
        results[firing_id].update(sent)
    return results
