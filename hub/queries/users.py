"""The team as supervisors see it: presence, load, extensions, skills and teams."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.models import Conversation, ConversationStatus, TeamMember, User
from hub.serialize import iso

from .shapes import UserRow


async def list_users(session: AsyncSession) -> list[UserRow]:
    """Every user with their count of open conversations (one grouped subquery) and their
    teams (one more query)."""
    load = (
        select(Conversation.assignee_id, func.count().label("open_count"))
        .where(
            Conversation.status == ConversationStatus.open, Conversation.assignee_id.is_not(None)
        )
        .group_by(Conversation.assignee_id)
        .subquery()
    )
    stmt = (
        select(User, func.coalesce(load.c.open_count, 0))
        .outerjoin(load, load.c.assignee_id == User.id)
        .order_by(User.name, User.id)
    )
    teams: dict[int, list[int]] = {}
    memberships = select(TeamMember.user_id, TeamMember.team_id).order_by(TeamMember.team_id)
    for user_id, team_id in await session.execute(memberships):
        teams.setdefault(user_id, []).append(team_id)
    return [
        UserRow(
            id=user.id,
            login=user.login,
            name=user.name,
            role=user.role,
            is_active=user.is_active,
            presence=user.presence,
            presence_at=iso(user.presence_at),
            max_conversations=user.max_conversations,
            open_conversations=int(open_count),
            locale=user.locale,
            extension=user.extension,
            telegram_chat_id=user.telegram_chat_id,
            skills=list(user.skills or []),
            team_ids=teams.get(user.id, []),
        )
        for user, open_count in await session.execute(stmt)
    ]
