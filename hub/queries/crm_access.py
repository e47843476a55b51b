"""Whose clients, organisations and deals a person sees, and who is told of a change.

An administrator sets a scope per role (`crm_visibility`): own records, the records of the
person's teams, or all. Records nobody is responsible for are everyone's to pick up, so they
are visible whatever the scope. Admins, robots and the system see everything. The same answer
filters lists, guards single reads and exports, and picks the audience of `*.changed` events.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth import Principal
from hub.events import Audience
from hub.models import CrmVisibility, Role, TeamMember, User, VisibilityScope
from hub.policy import Actor


@dataclass(frozen=True)
class CrmView:
    """The owners whose records someone sees; `None` means every owner."""

    owner_ids: frozenset[int] | None

    def where(self, responsible_column: Any) -> ColumnElement[bool]:
        """A filter on a `responsible_user_id` column."""
        if self.owner_ids is None:
            return true()
        return or_(responsible_column.is_(None), responsible_column.in_(sorted(self.owner_ids)))

    def sees(self, responsible_user_id: int | None) -> bool:
        return (
            self.owner_ids is None
            or responsible_user_id is None
            or responsible_user_id in self.owner_ids
        )


SEES_ALL = CrmView(None)


async def scopes(session: AsyncSession) -> dict[Role, VisibilityScope]:
    """The scope of every role; a role without a row sees all (Okno's behaviour before
    scopes existed), and admins always do."""
    rows = (await session.execute(select(CrmVisibility.role, CrmVisibility.scope))).all()
    return _every_role({Role(role): VisibilityScope(scope) for role, scope in rows})


def scopes_column() -> ScalarSelect[Any]:
    """The rows `scopes` reads, as one text ("operator:own,supervisor:team", or null): a
    column another query reads along (a deal's move reads it with the deal it locks), so
    telling who sees the change costs no round trip of its own. `scopes_of` reads it."""
    return select(
        func.aggregate_strings(CrmVisibility.role + ":" + CrmVisibility.scope, ",")
    ).scalar_subquery()


def scopes_of(column: str | None) -> dict[Role, VisibilityScope]:
    """`scopes` from the text of `scopes_column`."""
    pairs = (item.split(":", 1) for item in (column or "").split(",") if item)
    return _every_role({Role(role): VisibilityScope(scope) for role, scope in pairs})


def _every_role(found: dict[Role, VisibilityScope]) -> dict[Role, VisibilityScope]:
    return {
        role: VisibilityScope.all if role is Role.admin else found.get(role, VisibilityScope.all)
        for role in Role
    }


async def team_mates(session: AsyncSession, user_id: int) -> frozenset[int]:
    """The user and everyone sharing a team with them."""
    mine = select(TeamMember.team_id).where(TeamMember.user_id == user_id)
    rows = await session.execute(
        select(TeamMember.user_id).where(TeamMember.team_id.in_(mine)).distinct()
    )
    return frozenset(rows.scalars()) | {user_id}


async def crm_view(session: AsyncSession, actor: Actor) -> CrmView:
    if not isinstance(actor, Principal):
        return SEES_ALL
    scope = (await scopes(session))[actor.role]
    if scope is VisibilityScope.all:
        return SEES_ALL
    if scope is VisibilityScope.own:
        return CrmView(frozenset({actor.user_id}))
    return CrmView(await team_mates(session, actor.user_id))


async def crm_audience(
    session: AsyncSession,
    responsible_user_id: int | None,
    by_role: dict[Role, VisibilityScope] | None = None,
) -> Audience:
    """Everyone who may see a record with this responsible manager: the roles that see all,
    the manager, and those of their team mates whose role sees their team's records.
    `by_role`: the scopes, when the caller read them already (`scopes_column`)."""
    if responsible_user_id is None:
        return Audience(roles=frozenset(Role))
    if by_role is None:
        by_role = await scopes(session)
    roles = frozenset(role for role, scope in by_role.items() if scope is VisibilityScope.all)
    team_roles = [role for role, scope in by_role.items() if scope is VisibilityScope.team]
    users = {responsible_user_id}
    if team_roles:
        mates = await team_mates(session, responsible_user_id)
        rows = await session.execute(
            select(User.id).where(User.id.in_(sorted(mates)), User.role.in_(team_roles))
        )
        users.update(rows.scalars())
    return Audience(users=frozenset(users), roles=roles)


async def crm_audiences(
    session: AsyncSession, responsible_user_ids: Iterable[int | None]
) -> dict[int | None, Audience]:
    """`crm_audience` of many responsible managers at once: the scopes read once (a batch
    of robot flags re-announces thousands of deals of a few hundred managers)."""
    by_role = await scopes(session)
    roles = frozenset(role for role, scope in by_role.items() if scope is VisibilityScope.all)
    team_roles = [role for role, scope in by_role.items() if scope is VisibilityScope.team]
    found: dict[int | None, Audience] = {}
    for owner in set(responsible_user_ids):
        if owner is None or team_roles:
            found[owner] = await crm_audience(session, owner)
        else:
            found[owner] = Audience(users=frozenset({owner}), roles=roles)
    return found


async def mates_of(session: AsyncSession, actor: Actor) -> frozenset[int]:
    """`team_mates` of a person, for `ensure_can_edit_record`; nobody's for robots and the
    system (they may edit anything anyway)."""
    if not isinstance(actor, Principal):
        return frozenset()
    return await team_mates(session, actor.user_id)
