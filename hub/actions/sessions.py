"""Writing what a caller's credentials leave behind: an API token's last use.

Starting and ending browser sessions and issuing tokens are in `hub.actions.users`.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from hub.models import ApiToken, User

from .uow import UnitOfWork

# A token's last use is kept to the minute: stamping every request made each API call a
# write transaction waiting on the WAL's flush (the slow percentile of busy readers such as
# the «Сегодня» panel), for a date that only says whether a token is still in use.
STAMP_EVERY = timedelta(minutes=1)


async def use_api_token(uow: UnitOfWork, token_hash: str) -> User | None:
    """The holder of the token with this digest is calling: stamp its last use (unless it
    was stamped less than `STAMP_EVERY` ago) and return its user, or None for an unknown or
    revoked token or an inactive user (nothing stamped)."""
    row = (
        await uow.session.execute(
            select(ApiToken.id, ApiToken.last_used_at, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash, ~ApiToken.revoked, User.is_active)
        )
    ).one_or_none()
    if row is None:
        return None
    token_id, last_used, user = row
    now = uow.now()
    # A stamp from the future (the clock was set back) is replaced, not kept.
    if last_used is None or not now - STAMP_EVERY < last_used <= now:
        await uow.session.execute(
            update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
        )
    return user
