"""Writing users, sessions, API tokens and presence."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete, select

from hub.auth import digest, hash_password, new_secret
from hub.events import STAFF_ROLES, Audience, PresenceChanged
from hub.models import ApiToken, Presence, Role, User, WebSession

from .uow import UnitOfWork


class UserExistsError(ValueError):
    pass


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
        raise UserExistsError(f"user {login!r} already exists")
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


async def set_presence(uow: UnitOfWork, user_id: int, presence: Presence) -> bool:
    """Returns True when presence changed (and an event went out)."""
    user = await uow.session.get_one(User, user_id)
    user.presence_at = uow.now()
    if user.presence == presence:
        return False
    user.presence = presence
    uow.emit(
        PresenceChanged(
            audience=Audience(users=frozenset({user_id}), roles=STAFF_ROLES),
            user_id=user_id,
            presence=presence.value,
        )
    )
    return True


class ExtensionTakenError(ValueError):
    """Another active user already has this phone extension."""

    def __init__(self, extension: str, holder_id: int) -> None:
        super().__init__(f"extension {extension} belongs to another user")
        self.extension = extension
        self.holder_id = holder_id


class SelfChangeError(ValueError):
    """An admin may not lock themselves out (demote or deactivate their own account)."""


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


async def update_user(
    uow: UnitOfWork,
    user: User,
    actor_id: int,
    *,
    name: str | None = None,
    role: Role | None = None,
    password: str | None = None,
    is_active: bool | None = None,
    locale: str | None = None,
    email: str | None = None,
) -> User:
    """Change what is given. A password reset (or deactivation) ends the user's browser
    sessions, unless it is the caller's own: they keep the session they are using."""
    if user.id == actor_id and ((role is not None and role != user.role) or is_active is False):
        raise SelfChangeError("you cannot demote or deactivate yourself")
    if name is not None:
        user.name = name
    if role is not None:
        user.role = role
    if locale is not None:
        user.locale = locale
    if email is not None:
        user.email = email or None
    if is_active is not None:
        user.is_active = is_active
    if password is not None:
        user.password_hash = hash_password(password)
    if (password is not None or is_active is False) and user.id != actor_id:
        await uow.session.execute(delete(WebSession).where(WebSession.user_id == user.id))
    await uow.session.flush()
    return user
