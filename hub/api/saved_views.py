"""Saved views of the conversation list: GET, POST and DELETE /saved-views (one's own)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field
from sqlalchemy import select

from hub.actions import saved_views
from hub.models import SavedView
from hub.queries.shapes import Shape

from .inputs import Body, OneLine
from .registry import ApiCall, RouteTable

routes = RouteTable("workspace")


class ViewFilters(Body):
    view: Literal["mine", "queue", "team", "all", "closed", "snoozed"] = "mine"
    channel: str = Field(default="", max_length=40)
    tag: str = Field(default="", max_length=50)
    # Last activity today, in the last 7 or 30 days ("": any time).
    period: Literal["", "today", "week", "month"] = ""


class SavedViewIn(Body):
    name: Annotated[str, OneLine, Field(min_length=1, max_length=100)]
    filters: ViewFilters


class SavedViewOut(Shape):
    id: int
    name: str
    filters: dict[str, str]


class SavedViewList(Shape):
    items: list[SavedViewOut]


def _out(view: SavedView) -> SavedViewOut:
    return SavedViewOut(id=view.id, name=view.name, filters=dict(view.filters))


@routes.get("/saved-views", summary="Your saved views of the list, by name", response=SavedViewList)
async def list_views(call: ApiCall[None, None]) -> SavedViewList:
    async with call.hub.db.sessions() as session:
        found = await session.scalars(
            select(SavedView)
            .where(SavedView.user_id == call.principal.user_id)
            .order_by(SavedView.name, SavedView.id)
        )
        return SavedViewList(items=[_out(v) for v in found])


@routes.post(
    "/saved-views",
    summary="Save the list's view, channel, tag and period under a name",
    body=SavedViewIn,
    response=SavedViewOut,
    status=201,
)
async def create_view(call: ApiCall[None, SavedViewIn]) -> SavedViewOut:
    filters = call.body.filters.model_dump()
    return _out(await saved_views.save_view(call.hub, call.principal, call.body.name, filters))


class Deleted(Shape):
    id: int


@routes.delete("/saved-views/{id}", summary="Delete one of your saved views", response=Deleted)
async def delete_view(call: ApiCall[None, None]) -> Deleted:
    await saved_views.delete_view(call.hub, call.principal, call.path_id())
    return Deleted(id=call.path_id())
