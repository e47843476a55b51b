"""Canned answers («Шаблоны»): the templates a person may use, searched by name and text,
their management, and one rendered for a conversation."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from hub.actions import reply_templates
from hub.actions.reply_templates import body_error
from hub.models import Conversation, ReplyTemplate, TemplateScope
from hub.policy import NotFound
from hub.queries import Shape
from hub.queries.reply_templates import list_templates, usable_template, variable_values
from hub.reply_text import VARIABLES, TemplateTextError, render

from .inputs import Body, OneLine, Query, RowId
from .registry import ApiCall, RouteTable

routes = RouteTable("templates")

Locale = Literal["ru", "en"]
TemplateBody = Annotated[str, Field(min_length=1, max_length=4000)]
TemplateName = Annotated[str, OneLine, Field(min_length=1, max_length=200)]


class TemplateQuery(Query):
    q: str = Field(default="", max_length=200, description="Words of the name or the text.")
    locale: Locale | None = None
    scope: TemplateScope | None = None


class TemplateIn(Body):
    scope: TemplateScope = TemplateScope.personal
    team_id: RowId | None = Field(default=None, description="The team of a team template.")
    locale: Locale = "ru"
    name: TemplateName
    body: TemplateBody


class TemplatePatchIn(Body):
    name: TemplateName | None = None
    body: TemplateBody | None = None
    locale: Locale | None = None


class RenderIn(Body):
    conversation_id: RowId


class TemplateOut(Shape):
    id: int
    scope: TemplateScope
    owner_id: int | None
    team_id: int | None
    locale: str
    name: str
    body: str
    updated_at: datetime


class TemplateList(Shape):
    items: list[TemplateOut]
    # The variables a template may name: {"client": ["name", "phone", "email"], ...}.
    variables: dict[str, list[str]]


class RenderedOut(Shape):
    text: str


class Deleted(Shape):
    id: int


def _out(template: ReplyTemplate) -> TemplateOut:
    return TemplateOut(
        id=template.id,
        scope=template.scope,
        owner_id=template.owner_id,
        team_id=template.team_id,
        locale=template.locale,
        name=template.name,
        body=template.body,
        updated_at=template.updated_at,
    )


@routes.get(
    "/templates",
    summary="Templates you may use (the company's, your teams', your own), by name; `q` "
    "narrows them to those whose name or text holds every word",
    query=TemplateQuery,
    response=TemplateList,
)
async def get_templates(call: ApiCall[TemplateQuery, None]) -> TemplateList:
    query = call.query
    async with call.hub.db.sessions() as session:
        found = await list_templates(
            session, call.principal, q=query.q, locale=query.locale, scope=query.scope
        )
    variables = {name: list(fields) for name, fields in VARIABLES.items()}
    return TemplateList(items=[_out(t) for t in found], variables=variables)


@routes.post(
    "/templates",
    summary="Create a template: personal for yourself; team and company ones need the "
    "supervisor role",
    body=TemplateIn,
    response=TemplateOut,
    status=201,
    missing=True,  # no-such-team: a team template for a team that does not exist
)
async def create_template(call: ApiCall[None, TemplateIn]) -> TemplateOut:
    created = await reply_templates.create_template(
        call.hub, call.principal, **call.body.model_dump()
    )
    return _out(created)


@routes.patch(
    "/templates/{id}",
    summary="Change a template's name, text or language",
    body=TemplatePatchIn,
    response=TemplateOut,
)
async def update_template(call: ApiCall[None, TemplatePatchIn]) -> TemplateOut:
    changes = {k: v for k, v in call.body.model_dump(exclude_unset=True).items() if v is not None}
    changed = await reply_templates.update_template(
        call.hub, call.principal, call.path_id(), **changes
    )
    return _out(changed)


@routes.delete("/templates/{id}", summary="Delete a template", response=Deleted)
async def delete_template(call: ApiCall[None, None]) -> Deleted:
    await reply_templates.delete_template(call.hub, call.principal, call.path_id())
    return Deleted(id=call.path_id())


@routes.post(
    "/templates/{id}/render",
    summary="The template's text with its variables filled for a conversation",
    body=RenderIn,
    response=RenderedOut,
)
async def render_template(call: ApiCall[None, RenderIn]) -> RenderedOut:
    conversation_id = call.body.conversation_id
    async with call.hub.db.sessions() as session:
        template = await usable_template(session, call.principal, call.path_id())
        conversation = await session.get(Conversation, conversation_id)
        if conversation is None:
            raise NotFound(
                "no-such-conversation", "There is no such conversation.", {"id": conversation_id}
            )
        values = await variable_values(session, call.principal, conversation, call.hub.settings)
    try:
        return RenderedOut(text=render(template.body, values))
    except TemplateTextError as exc:
        raise body_error(exc) from None
