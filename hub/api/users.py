"""The caller, the team, and admins' management of user accounts."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError

from hub import queries
from hub.actions import unit_of_work
from hub.actions import users as user_actions
from hub.models import Role, User
from hub.policy import DomainError
from hub.serialize import iso, user_brief

from .registry import ApiCall, RouteTable
from .schemas import Me, UserList
from .user_schemas import UserIn, UserOut, UserPatch

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
    async with unit_of_work(call.hub) as uow:
        try:
            user = await user_actions.create_user(
                uow,
                body.login,
                body.name,
                body.password,
                body.role,
                locale=body.locale,
                max_conversations=body.max_conversations,
                email=body.email or None,
            )
        except (user_actions.UserExistsError, IntegrityError):
            # IntegrityError: the same login created between the check and the insert.
            raise DomainError(
                "login-taken",
                409,
                f"There is a user with the login {body.login!r} already.",
                {"field": "login"},
            ) from None
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
    user_id = call.path_id()
    values = call.body.model_dump(exclude_unset=True)
    async with unit_of_work(call.hub) as uow:
        user = await uow.session.get(User, user_id)
        if user is None:
            raise DomainError("no-such-user", 404, "There is no such user.", {"id": user_id})
        try:
            await user_actions.update_user(uow, user, call.principal.user_id, **values)
        except user_actions.SelfChangeError as exc:
            field = "role" if "role" in values and values["role"] != user.role else "is_active"
            raise DomainError("cannot-change-self", 409, str(exc), {"field": field}) from None
        return user_out(user)
