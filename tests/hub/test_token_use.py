"""A bearer token's use is stamped by `hub.actions.sessions`; refused tokens leave no trace."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select, update

from hub.actions import unit_of_work
from hub.actions.users import create_api_token
from hub.auth import digest, principal_from_token
from hub.core import Hub
from hub.models import ApiToken, User
from tests.conftest import add_user

WHEN = datetime(2026, 3, 2, 10, 30, tzinfo=UTC)


async def _last_used(hub: Hub, token: str) -> datetime | None:
    async with hub.db.sessions() as session:
        stamp = (
            await session.execute(
                select(ApiToken.last_used_at).where(ApiToken.token_hash == digest(token))
            )
        ).scalar_one()
    # SQLite hands datetimes back without their zone; they are stored in UTC.
    return stamp if stamp is None or stamp.tzinfo else stamp.replace(tzinfo=UTC)


async def _token(hub: Hub, login: str) -> str:
    user = await add_user(hub, login)
    async with unit_of_work(hub) as uow:
        return await create_api_token(uow, await uow.session.get_one(User, user.id), "test")


async def test_a_used_token_is_stamped(hub: Hub) -> None:
    token = await _token(hub, "ivanova")
    assert await _last_used(hub, token) is None
    hub.clock = lambda: WHEN
    principal = await principal_from_token(hub, token)
    assert principal is not None and principal.login == "ivanova"
    assert await _last_used(hub, token) == WHEN


async def test_refused_tokens_are_not_stamped(hub: Hub) -> None:
    revoked = await _token(hub, "petrov")
    inactive = await _token(hub, "sidorov")
    async with hub.db.sessions() as session, session.begin():
        await session.execute(
            update(ApiToken).where(ApiToken.token_hash == digest(revoked)).values(revoked=True)
        )
        await session.execute(update(User).where(User.login == "sidorov").values(is_active=False))
    hub.clock = lambda: WHEN
    assert await principal_from_token(hub, revoked) is None
    assert await principal_from_token(hub, inactive) is None
    assert await principal_from_token(hub, "not-a-token") is None
    assert await _last_used(hub, revoked) is None
    assert await _last_used(hub, inactive) is None


async def test_a_token_is_stamped_at_most_once_a_minute(hub: Hub) -> None:
    token = await _token(hub, "smirnova")
    hub.clock = lambda: WHEN
    assert await principal_from_token(hub, token) is not None
    # Used again 59 s later: the stamp stays (no write for every request).
    hub.clock = lambda: datetime(2026, 3, 2, 10, 30, 59, tzinfo=UTC)
    assert await principal_from_token(hub, token) is not None
    assert await _last_used(hub, token) == WHEN
    # A minute after the stamp: stamped anew.
    later = datetime(2026, 3, 2, 10, 31, tzinfo=UTC)
    hub.clock = lambda: later
    assert await principal_from_token(hub, token) is not None
    assert await _last_used(hub, token) == later
    # The clock set back before the stamp: the stamp follows it.
    hub.clock = lambda: WHEN
    assert await principal_from_token(hub, token) is not None
    assert await _last_used(hub, token) == WHEN
