"""Writing what a caller's credentials leave behind: an API token's last use.

Starting and ending browser sessions and issuing tokens are in `hub.actions.users`.
"""

from __future__ import annotations

from sqlalchemy import select, update

from hub.models import ApiToken, User

from .uow import UnitOfWork


async def use_api_token(uow: UnitOfWork, token_hash: str) -> User | None:
    """The holder of the token with this digest is calling: stamp its last use and return
    its user, or None for an unknown or revoked token or an inactive user (nothing stamped)."""
    row = (
        await uow.session.execute(
            select(ApiToken.id, User)
            .join(User, User.id == ApiToken.user_id)
            .where(ApiToken.token_hash == token_hash, ~ApiToken.revoked, User.is_active)
        )
    ).one_or_none()
    if row is None:
        return None
    token_id, user = row
    await uow.session.execute(
        update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=uow.now())
    )
    return user
