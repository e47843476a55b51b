"""Writing users, sessions, API tokens and presence.

Entry points taking the acting principal: `create_account`, `update_user` (an admin's edit of
an account) and `update_routing_settings` (a supervisor's: capacity, skills, extension,
activity). `create_user` is the plain insert they and the fixtures build on.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from hub.auth import digest, hash_password, new_secret
from hub.core import Hub
from hub.events import STAFF_ROLES, Audience, PresenceChanged
from hub.models import ApiToken, Presence, Role, User, WebSession
from hub.policy import (
    Actor,
    Conflict,
    ensure_can_manage_accounts,
    ensure_can_set_routing,
    ensure_can_switch_user,
    ensure_not_locking_out,
    user_id_of,
)

from . import lookup, work_history
from .uow import UnitOfWork, unit_of_work


class UserExistsError(Conflict):
    def __init__(self, login: str) -> None:
        super().__init__(
            "login-taken", f"A user with the login {login!r} already exists.", {"field": "login"}
        )


async def create_user(
    uow: UnitOfWork,
    login: str,
    name: str,
    password: str,
    role: Role = Role.operator,
    locale: str = "ru",
    max_conversations: int = 5,
    email: str | None = None,
) -> User:
    existing = await uow.session.execute(select(User.id).where(User.login == login))
    if existing.first() is not None:
        raise UserExistsError(login)
    user = User(
        login=login,
        name=name,
        email=email,
        password_hash=hash_password(password),
        role=role,
        locale=locale,
        max_conversations=max_conversations,
        presence=Presence.offline,
        is_active=True,
        created_at=uow.now(),
    )
    uow.session.add(user)
    await uow.session.flush()
    return user


async def create_api_token(uow: UnitOfWork, user: User, label: str = "") -> str:
    """Returns the token itself; only its digest is kept."""
    token = new_secret()
    uow.session.add(
        ApiToken(user_id=user.id, token_hash=digest(token), label=label, created_at=uow.now())
    )
    await uow.session.flush()
    return token


async def start_session(uow: UnitOfWork, user: User, max_age_s: int) -> tuple[str, str]:
    """Returns (cookie token, CSRF token) for a fresh browser session."""
    token, csrf = new_secret(), new_secret()
    now = uow.now()
    # Expired sessions are swept here, at a moment that already writes.
    await uow.session.execute(delete(WebSession).where(WebSession.expires_at <= now))
    uow.session.add(
        WebSession(
            token_hash=digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=now + timedelta(seconds=max_age_s),
        )
    )
    await uow.session.flush()
    return token, csrf


async def end_session(uow: UnitOfWork, session_id: int) -> None:
    await uow.session.execute(delete(WebSession).where(WebSession.id == session_id))


async def end_session_of_token(uow: UnitOfWork, token: str) -> int | None:
    """Ends the browser session this cookie token names, if any; returns its id. A login
    replaces the browser's previous session, so no token outlives a change of who is in."""
    stmt = delete(WebSession).where(WebSession.token_hash == digest(token)).returning(WebSession.id)
    return (await uow.session.execute(stmt)).scalar_one_or_none()


async def set_presence(uow: UnitOfWork, user_id: int, presence: Presence) -> bool:
    """Returns True when presence changed (and an event went out)."""
    user = await uow.session.get_one(User, user_id)
    user.presence_at = uow.now()
    if user.presence == presence:
        return False
    user.presence = presence
    await work_history.presence_changed(uow, user_id, presence)
    uow.emit(
        PresenceChanged(
            audience=Audience(users=frozenset({user_id}), roles=STAFF_ROLES),
            user_id=user_id,
            presence=presence.value,
        )
    )
    return True


class ExtensionTakenError(Conflict):
    """Another active user already has this phone extension."""

    def __init__(self, extension: str, holder_id: int) -> None:
        super().__init__(
            "extension-taken",
            f"Extension {extension} belongs to another active user.",
            {"field": "extension", "user_id": holder_id},
        )


async def create_account(
    hub: Hub,
    actor: Actor,
    login: str,
    name: str,
    password: str,
    *,
    role: Role = Role.operator,
    locale: str = "ru",
    max_conversations: int = 5,
    email: str | None = None,
) -> User:
    ensure_can_manage_accounts(actor)
    try:
        async with unit_of_work(hub) as uow:
            user = await create_user(
                uow,
                login,
                name,
                password,
                role,
                locale=locale,
                max_conversations=max_conversations,
                email=email,
            )
    except IntegrityError:
        # The same login created between the check and the insert.
        raise UserExistsError(login) from None
    return user


async def update_user(
    hub: Hub,
    actor: Actor,
    user_id: int,
    *,
    name: str | None = None,
    role: Role | None = None,
    password: str | None = None,
    is_active: bool | None = None,
    locale: str | None = None,
    email: str | None = None,
    telegram_chat_id: str | None = None,
) -> User:
    """Change what is given (an empty e-mail or Telegram chat clears it). A role change, a
    password reset or a deactivation ends the user's browser sessions (the user signs in
    again under the new rights, with a new session), unless it is the caller's own account."""
    ensure_can_manage_accounts(actor)
    async with unit_of_work(hub) as uow:
        user = await lookup.row(uow, User, user_id, "user")
        ensure_not_locking_out(actor, user, role=role, is_active=is_active)
        if name is not None:
            user.name = name
        if role is not None and role != user.role:
            user.role = role
            await _end_sessions(uow, user, actor)
        if locale is not None:
            user.locale = locale
        if email is not None:
            user.email = email or None
        if telegram_chat_id is not None:
            user.telegram_chat_id = telegram_chat_id or None
        if password is not None:
            user.password_hash = hash_password(password)
            await _end_sessions(uow, user, actor)
        if is_active is not None:
            await _set_active(uow, user, is_active, actor)
        await uow.session.flush()
    return user


async def update_routing_settings(
    hub: Hub,
    actor: Actor,
    user_id: int,
    *,
    max_conversations: int | None = None,
    skills: Sequence[str] | None = None,
    is_active: bool | None = None,
    extension: str | None = None,
) -> User:
    """Change what is given; an empty extension clears it."""
    ensure_can_set_routing(actor)
    async with unit_of_work(hub) as uow:
        user = await lookup.row(uow, User, user_id, "user")
        if is_active is not None:
            ensure_can_switch_user(actor, user)
            ensure_not_locking_out(actor, user, is_active=is_active)
        if extension is not None:
            await set_extension(uow, user, extension or None)
        if max_conversations is not None:
            user.max_conversations = max_conversations
        if skills is not None:
            user.skills = list(skills)
        if is_active is not None:
            await _set_active(uow, user, is_active, actor)
        await uow.session.flush()
    return user


async def set_extension(uow: UnitOfWork, user: User, extension: str | None) -> None:
    """Give `user` the PBX extension (None clears it); unique among active users.

    The column is unique over all users, so an inactive user holding it gives it up here:
    a former employee's extension is handed to the new one without a detour.
    """
    if extension == user.extension:
        return
    if extension is not None:
        holder = (
            await uow.session.execute(
                select(User).where(User.extension == extension, User.id != user.id)
            )
        ).scalar_one_or_none()
        if holder is not None:
            if holder.is_active:
                raise ExtensionTakenError(extension, holder.id)
            holder.extension = None
            await uow.session.flush()
    user.extension = extension
    await uow.session.flush()


async def _set_active(uow: UnitOfWork, user: User, is_active: bool, actor: Actor) -> None:
    user.is_active = is_active
    if not is_active:
        await _end_sessions(uow, user, actor)


async def _end_sessions(uow: UnitOfWork, user: User, actor: Actor) -> None:
    # The caller keeps the session they are using; everyone else signs in again.
    if user.id != user_id_of(actor):
        await uow.session.execute(delete(WebSession).where(WebSession.user_id == user.id))
