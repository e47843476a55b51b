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
