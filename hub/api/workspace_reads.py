"""Reads the operator's workspace needs beyond the plain lists: how many conversations each
view holds, and who a conversation can be handed to (with presence and load, so the
operator picks someone who can take it). Reads only; any signed-in user."""

from __future__ import annotations

from pydantic import AwareDatetime, Field

from hub import queries
from hub.policy import is_supervisor
from hub.queries.shapes import Shape

from .inputs import Query
from .registry import ApiCall, RouteTable

routes = RouteTable("workspace")


class CountsQuery(Query):
    """The list's filters: each view is counted as the filtered list shows it."""

    channel: str | None = Field(default=None, max_length=40, description="Only this channel kind.")
    tag: str | None = Field(default=None, max_length=50, description="Only with this tag.")
    since: AwareDatetime | None = Field(default=None, description="Last activity at or after.")
    until: AwareDatetime | None = Field(default=None, description="Last activity before.")


class ViewCounts(Shape):
    mine: int
    queue: int
    team: int
    all: int | None = None  # supervisors only
    closed: int
    snoozed: int


class Colleague(Shape):
    id: int
    name: str
    presence: str
    open_conversations: int
    max_conversations: int


class TeamBrief(Shape):
    id: int
    name: str


class Colleagues(Shape):
    people: list[Colleague]
    teams: list[TeamBrief]


@routes.get(
    "/workspace/counts",
    summary="How many conversations each workspace view holds for the caller (one query)",
    query=CountsQuery,
    response=ViewCounts,
)
async def view_counts(call: ApiCall[CountsQuery, None]) -> ViewCounts:
    async with call.hub.db.sessions() as session:
        query = call.query
        counts = await queries.view_counts(
            session,
            call.principal.user_id,
            is_supervisor(call.principal),
            query.channel,
            query.tag,
            query.since,
            query.until,
        )
    return ViewCounts.model_validate(counts)


@routes.get(
    "/workspace/colleagues",
    summary="Active colleagues (online first, with their load) and teams, to hand work to",
    response=Colleagues,
)
async def colleagues(call: ApiCall[None, None]) -> Colleagues:
    async with call.hub.db.sessions() as session:
        people, teams = await queries.colleagues(session, call.principal.user_id)
    return Colleagues.model_validate({"people": people, "teams": teams})
