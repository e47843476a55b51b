"""Passwords (argon2), bearer tokens, browser sessions and role checks: the reading side.

Writing users, sessions and tokens is done by `hub.actions.users`; a token's use is stamped
by `hub.actions.sessions`.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from hub.actions import sessions
from hub.actions.uow import unit_of_work
from hub.core import Hub
from hub.models import Role, User, WebSession

_hasher = PasswordHasher()

SESSION_COOKIE = "okno_session"
ROLE_RANK = {Role.operator: 0, Role.supervisor: 1, Role.admin: 2}


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def digest(token: str) -> str:
    """Tokens and session ids are stored only as their SHA-256."""
    return hashlib.sha256(token.encode()).hexdigest()


def tokens_equal(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())


def has_role(role: Role, needed: Role) -> bool:
    return ROLE_RANK[role] >= ROLE_RANK[needed]


@dataclass(frozen=True)
class Principal:
    """The authenticated caller of a request or websocket."""

    user_id: int
    login: str
    name: str
    role: Role
    locale: str
    # Present for cookie sessions; state-changing requests must echo it (CSRF).
    csrf_token: str | None = None
    session_id: int | None = None


def _principal(user: User, csrf: str | None = None, session_id: int | None = None) -> Principal:
    return Principal(user.id, user.login, user.name, user.role, user.locale, csrf, session_id)


async def authenticate_password(hub: Hub, login: str, password: str) -> User | None:
    async with hub.db.sessions() as session:
        user = (
            await session.execute(select(User).where(User.login == login, User.is_active))
        ).scalar_one_or_none()
    if user is None:
        # Spend the same time as a real check so logins cannot be probed by timing.
        verify_password(_DUMMY_HASH, password)
        return None
    return user if verify_password(user.password_hash, password) else None


async def principal_from_session(hub: Hub, session_token: str) -> Principal | None:
    async with hub.db.sessions() as session:
        row = (
            await session.execute(
                select(WebSession, User)
                .join(User, User.id == WebSession.user_id)
                .where(
                    WebSession.token_hash == digest(session_token),
                    WebSession.expires_at > hub.clock(),
                    User.is_active,
                )
            )
        ).one_or_none()
    if row is None:
        return None
    web_session, user = row
    return _principal(user, web_session.csrf_token, web_session.id)


async def principal_from_token(hub: Hub, token: str) -> Principal | None:
    # Using a token stamps its last use: a write, so it is an action's, in a unit of work
    # (which takes SQLite's write lock before the read, so a concurrent writer cannot make
    # the stamp fail with "database is locked").
    async with unit_of_work(hub) as uow:
        user = await sessions.use_api_token(uow, digest(token))
        return None if user is None else _principal(user)


_DUMMY_HASH = hash_password("okno-timing-equaliser")
