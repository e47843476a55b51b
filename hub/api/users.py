"""The caller, the team, admins' management of user accounts and operators' routing settings."""

from __future__ import annotations

from hub import queries
from hub.actions import users as user_actions
from hub.models import Role, User
from hub.serialize import iso, user_brief

from .registry import ApiCall, RouteTable
from .schemas import Me, UserList
from .user_schemas import (
    OperatorSettingsIn,
    OperatorSettingsOut,
    UserIn,
    UserOut,
    UserPatch,
)

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
    summary="The team with presence, open conversation counts, extensions, skills and teams",
    response=UserList,
    role=Role.supervisor,
)
async def list_users(call: ApiCall[None, None]) -> UserList:
    async with call.hub.db.sessions() as session:
        return UserList(items=await queries.list_users(session))


def user_out(user: User) -> UserOut:
    return UserOut(
        id=user.id,
        login=user.login,
        name=user.name,
        role=user.role,
        locale=user.locale,
        email=user.email,
        telegram_chat_id=user.telegram_chat_id,
        is_active=user.is_active,
        extension=user.extension,
        max_conversations=user.max_conversations,
        skills=list(user.skills or []),
        created_at=iso(user.created_at) or "",
    )


@routes.post(
    "/users",
    summary="Create a user account (the password is stored as an argon2 hash)",
    body=UserIn,
    response=UserOut,
    status=201,
    role=Role.admin,
    conflicts=True,
)
async def create_user(call: ApiCall[None, UserIn]) -> UserOut:
    body = call.body
    user = await user_actions.create_account(
        call.hub,
        call.principal,
        body.login,
        body.name,
        body.password,
        role=body.role,
        locale=body.locale,
        max_conversations=body.max_conversations,
        email=body.email or None,
    )
    return user_out(user)


@routes.patch(
    "/users/{id}",
    summary="Change a user's name, role, password, locale or activity (not your own role)",
    body=UserPatch,
    response=UserOut,
    role=Role.admin,
    conflicts=True,
)
async def update_user(call: ApiCall[None, UserPatch]) -> UserOut:
    changes = call.body.model_dump(exclude_unset=True)
    user = await user_actions.update_user(call.hub, call.principal, call.path_id(), **changes)
    return user_out(user)


@routes.patch(
    "/users/{id}/routing",
    summary="An operator's capacity, skills, phone extension and activity",
    # Supervisors too, not only admins: they tune their operators' work day to day.
    role=Role.supervisor,
    body=OperatorSettingsIn,
    response=OperatorSettingsOut,
    conflicts=True,
)
async def operator_settings(call: ApiCall[None, OperatorSettingsIn]) -> OperatorSettingsOut:
    changes = call.body.model_dump(exclude_unset=True)
    user = await user_actions.update_routing_settings(
        call.hub, call.principal, call.path_id(), **changes
    )
    return OperatorSettingsOut(
        id=user.id,
        max_conversations=user.max_conversations,
        skills=list(user.skills or []),
        is_active=user.is_active,
        extension=user.extension,
    )
