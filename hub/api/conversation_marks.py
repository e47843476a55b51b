"""Tags and snooze: GET /tags, PUT /conversations/{id}/tags, POST …/snooze and …/wake."""

from __future__ import annotations

from typing import Annotated

from pydantic import AwareDatetime, Field

from hub.actions import conversation_marks
from hub.queries import ConversationOut
from hub.queries.shapes import Shape
from hub.queries.tags import list_tags

from .conversations import read_conversation
from .inputs import Body, OneLine
from .registry import ApiCall, RouteTable

routes = RouteTable("conversations")

TagName = Annotated[str, OneLine, Field(min_length=1, max_length=50)]


class TagOut(Shape):
    id: int
    name: str
    open_conversations: int


class TagList(Shape):
    items: list[TagOut]


class TagsIn(Body):
    tags: list[TagName] = Field(max_length=20, description="The tags' names (new ones are made).")


class SnoozeIn(Body):
    until: AwareDatetime | None = Field(
        default=None, description="Back in «Мои» then; null: when the client writes."
    )


@routes.get(
    "/tags", summary="Every tag, with how many open conversations carry it", response=TagList
)
async def get_tags(call: ApiCall[None, None]) -> TagList:
    async with call.hub.db.sessions() as session:
        found = await list_tags(session)
    return TagList(
        items=[TagOut(id=tag.id, name=tag.name, open_conversations=n) for tag, n in found]
    )


@routes.put(
    "/conversations/{id}/tags",
    summary="Set the conversation's tags (replaces them; new names become new tags)",
    body=TagsIn,
    response=ConversationOut,
)
async def put_tags(call: ApiCall[None, TagsIn]) -> ConversationOut:
    await conversation_marks.set_tags(call.hub, call.principal, call.path_id(), call.body.tags)
    return await read_conversation(call.hub, call.path_id())


@routes.post(
    "/conversations/{id}/snooze",
    summary="Put it aside: out of «Мои» until `until` or until the client writes",
    body=SnoozeIn,
    response=ConversationOut,
    conflicts=True,
)
async def snooze(call: ApiCall[None, SnoozeIn]) -> ConversationOut:
    await conversation_marks.snooze(call.hub, call.principal, call.path_id(), call.body.until)
    return await read_conversation(call.hub, call.path_id())


@routes.post(
    "/conversations/{id}/wake",
    summary="Back in «Мои» now",
    response=ConversationOut,
)
async def wake(call: ApiCall[None, None]) -> ConversationOut:
    await conversation_marks.wake(call.hub, call.principal, call.path_id())
    return await read_conversation(call.hub, call.path_id())
