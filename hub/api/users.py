"""The caller and the team."""

from __future__ import annotations

from hub.models import Role, User
from hub.serialize import user_brief

from . import queries
from .registry import ApiCall, RouteTable
from .schemas import Me, UserList

routes = RouteTable("users")


@routes.get("/me", summary="Who is calling: role, presence, locale", response=Me)
async def me(call: ApiCall[None, None]) -> Me:
    async with call.hub.db.sessions() as session:
        user = await session.get_one(User, call.principal.user_id)
    return Me.model_validate(
        {
            **(user_brief(user) or {}),
            "email": user.email,
            "presence": user.presence,
            "locale": user.locale,
        }
    )


@routes.get(
    "/users",
    summary="The team with presence and open conversation counts",
    response=UserList,
    role=Role.supervisor,
)
async def list_users(call: ApiCall[None, None]) -> UserList:
    async with call.hub.db.sessions() as session:
        return UserList(items=await queries.list_users(session))
