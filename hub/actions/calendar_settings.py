"""A person's own calendar settings: his time zone and his private iCalendar feed.

The feed URL carries a secret; only its SHA-256 is stored (like API tokens), so the URL is
shown once when issued, and issuing again replaces it (the old URL stops working at once).
"""

from __future__ import annotations

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hub.auth import Principal, digest, new_secret
from hub.core import Hub
from hub.models import User
from hub.policy import InvalidInput

from .uow import unit_of_work


def check_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(
            [
                {
                    "field": "time_zone",
                    "location": "body",
                    "type": "no-such-zone",
                    "message": "not an IANA time zone such as Europe/Moscow",
                }
            ]
        ) from None
    return name


async def set_time_zone(hub: Hub, principal: Principal, name: str) -> None:
    check_zone(name)
    async with unit_of_work(hub) as uow:
        user = await uow.session.get_one(User, principal.user_id)
        user.time_zone = name


async def issue_feed_token(hub: Hub, principal: Principal) -> str:
    """A new secret for the person's feed; returns it (the only time it is seen)."""
    token = new_secret()
    async with unit_of_work(hub) as uow:
        user = await uow.session.get_one(User, principal.user_id)
        user.ical_token_hash = digest(token)
    return token


async def revoke_feed_token(hub: Hub, principal: Principal) -> None:
    async with unit_of_work(hub) as uow:
        user = await uow.session.get_one(User, principal.user_id)
        user.ical_token_hash = None
