"""The workspace's views of the conversation list (Мои, Очередь, Команда, Все, Закрытые,
Отложенные), their counts in one grouped query, and the colleagues a conversation can be
handed to.

A view is a WHERE clause, so the list and its count can never disagree about what a view
holds. Operators see their own work, the shared queue, their teams' work and the closed
conversations they or their teams had; supervisors see everything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from sqlalchemy import ColumnElement, case, false, func, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Channel, Conversation, ConversationStatus, Team, TeamMember, User

from .conversations import narrowing

View = Literal["mine", "queue", "team", "all", "closed", "snoozed"]
VIEWS: tuple[View, ...] = ("mine", "queue", "team", "all", "closed", "snoozed")


async def team_ids_of(session: AsyncSession, user_id: int) -> list[int]:
    rows = await session.scalars(select(TeamMember.team_id).where(TeamMember.user_id == user_id))
    return list(rows)


def view_filter(view: View, me: int, teams: list[int], supervisor: bool) -> ColumnElement[bool]:
    """The conversations a view holds for this user (the role check is the caller's)."""
    is_open = Conversation.status == ConversationStatus.open
    in_my_teams = Conversation.team_id.in_(teams) if teams else false()
    mine = is_open & (Conversation.assignee_id == me)
    if view == "mine":
        # Put aside: out of «Мои» until it wakes (the client writes, or its time comes).
        return mine & Conversation.snoozed.is_(False)
    if view == "snoozed":
        return mine & Conversation.snoozed.is_(True)
    if view == "queue":
        return is_open & Conversation.assignee_id.is_(None)
    if view == "team":
        return is_open & in_my_teams
    if view == "all":
        return is_open & (true() if supervisor else false())
    closed = Conversation.status == ConversationStatus.closed
    if supervisor:
        return closed
    return closed & or_(Conversation.assignee_id == me, in_my_teams)


async def view_counts(
    session: AsyncSession,
    me: int,
    supervisor: bool,
    channel_kind: str | None = None,
    tag: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> dict[str, int]:
    """Every view's size in one pass over the conversations (conditional sums), under the
    same channel, tag and period filters as the list."""
    teams = await team_ids_of(session, me)
    columns = [
        func.coalesce(func.sum(case((view_filter(v, me, teams, supervisor), 1), else_=0)), 0)
        for v in VIEWS
    ]
    stmt = select(*columns)
    if channel_kind is not None:
        stmt = stmt.join(Channel, Channel.id == Conversation.channel_id).where(
            Channel.kind == channel_kind
        )
    else:
        stmt = stmt.select_from(Conversation)
    stmt = stmt.where(*narrowing(tag, since, until))
    row = (await session.execute(stmt)).one()
    counts: dict[str, int] = {view: int(value) for view, value in zip(VIEWS, row, strict=True)}
    if not supervisor:
        del counts["all"]
    return counts


async def colleagues(
    session: AsyncSession, me: int
) -> tuple[list[dict[str, object]], list[dict[str, object]]]:
    """Active operators (not me) with presence and load, online first; and every team."""
    load = (
        select(Conversation.assignee_id, func.count().label("open_count"))
        .where(
            Conversation.status == ConversationStatus.open, Conversation.assignee_id.is_not(None)
        )
        .group_by(Conversation.assignee_id)
        .subquery()
    )
    rows = await session.execute(
        select(User, func.coalesce(load.c.open_count, 0))
        .outerjoin(load, load.c.assignee_id == User.id)
        .where(User.is_active.is_(True), User.id != me)
        .order_by(User.name, User.id)
    )
    people: list[dict[str, object]] = [
        {
            "id": user.id,
            "name": user.name,
            "presence": user.presence.value,
            "open_conversations": int(count),
            "max_conversations": user.max_conversations,
        }
        for user, count in rows
    ]
    # Who can take work now comes first; the order within stays alphabetical.
    rank = {"online": 0, "away": 1}
    people.sort(key=lambda person: rank.get(str(person["presence"]), 2))
    teams = await session.execute(select(Team.id, Team.name).order_by(Team.name))
    return people, [{"id": team_id, "name": name} for team_id, name in teams]
