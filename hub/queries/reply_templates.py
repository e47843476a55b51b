"""Reads of canned answers: which templates a person may use, and the values their variables
take in one conversation."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.auth import Principal
from hub.models import (
    Contact,
    Conversation,
    Deal,
    DealConversation,
    Identity,
    IdentityKind,
    ReplyTemplate,
    TemplateScope,
    User,
)
from hub.models.crm import search_key
from hub.policy import NotFound, is_supervisor
from hub.settings import Settings

from .workspace_views import team_ids_of

# A reply box's list: enough to pick from; typing more narrows it.
LIST_LIMIT = 200


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def visible_where(session: AsyncSession, principal: Principal) -> ColumnElement[bool]:
    """The company's templates, the person's own, and his teams' (a supervisor's: every
    team's, as he manages them)."""
    mine = ReplyTemplate.owner_id == principal.user_id
    company = ReplyTemplate.scope == TemplateScope.company
    if is_supervisor(principal):
        teams: ColumnElement[bool] = ReplyTemplate.scope == TemplateScope.team
    else:
        team_ids = await team_ids_of(session, principal.user_id)
        teams = and_(ReplyTemplate.scope == TemplateScope.team, ReplyTemplate.team_id.in_(team_ids))
    return or_(company, and_(ReplyTemplate.scope == TemplateScope.personal, mine), teams)


async def list_templates(
    session: AsyncSession,
    principal: Principal,
    *,
    q: str = "",
    locale: str | None = None,
    scope: TemplateScope | None = None,
) -> list[ReplyTemplate]:
    """Templates the person may use whose name or text holds every word of `q`, in `locale`
    if given; by name."""
    query = select(ReplyTemplate).where(await visible_where(session, principal))
    for word in search_key(q).split():
        query = query.where(ReplyTemplate.search_text.like(f"%{_escape_like(word)}%", escape="\\"))
    if locale:
        query = query.where(ReplyTemplate.locale == locale)
    if scope:
        query = query.where(ReplyTemplate.scope == scope)
    query = query.order_by(ReplyTemplate.name, ReplyTemplate.id).limit(LIST_LIMIT)
    return list((await session.scalars(query)).all())


async def usable_template(
    session: AsyncSession, principal: Principal, template_id: int
) -> ReplyTemplate:
    """The template if the person may use it; one he may not is as good as absent."""
    query = select(ReplyTemplate).where(
        ReplyTemplate.id == template_id, await visible_where(session, principal)
    )
    template = await session.scalar(query)
    if template is None:
        raise NotFound("no-such-template", "There is no such template.", {"id": template_id})
    return template


async def _first_identity(session: AsyncSession, contact_id: int, kind: IdentityKind) -> str:
    query = (
        select(Identity.value)
        .where(Identity.contact_id == contact_id, Identity.kind == kind)
        .order_by(Identity.id)
        .limit(1)
    )
    return (await session.scalar(query)) or ""


async def variable_values(
    session: AsyncSession, principal: Principal, conversation: Conversation, settings: Settings
) -> dict[str, dict[str, str]]:
    """What `{{ client.name }}` and the others stand for in this conversation."""
    operator = await session.get_one(User, principal.user_id)
    return await conversation_values(session, conversation, settings, operator.name)


async def conversation_values(
    session: AsyncSession, conversation: Conversation, settings: Settings, operator_name: str
) -> dict[str, dict[str, str]]:
    """The variables' values in this conversation, the operator being `operator_name` (a
    robot's message names whoever holds the conversation)."""
    contact = await session.get_one(Contact, conversation.contact_id)
    deal_title = await session.scalar(
        select(Deal.title)
        .join(DealConversation, DealConversation.deal_id == Deal.id)
        .where(DealConversation.conversation_id == conversation.id)
        .order_by(Deal.id.desc())
        .limit(1)
    )
    return {
        "client": {
            "name": contact.name,
            "phone": await _first_identity(session, contact.id, IdentityKind.phone),
            "email": await _first_identity(session, contact.id, IdentityKind.email),
        },
        "operator": {"name": operator_name},
        "request": {"number": str(conversation.id)},
        "deal": {"title": deal_title or ""},
        "company": {"name": settings.company_name, "phone": settings.company_phone},
    }
