"""Who may transfer a live call, checked by the use case before the PBX is asked."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from hub.actions import call_transfer
from hub.auth import Principal
from hub.core import Hub
from hub.models import Call, CallDirection, Role, User
from hub.policy import Actor, DomainError, RobotActor, SystemActor
from tests.conftest import add_channel, add_user


def person(user: User) -> Principal:
    return Principal(user.id, user.login, user.name, user.role, user.locale)


async def live_call(hub: Hub, answered_by: User, ended: bool = False) -> int:
    """An inbound call on PBX "office" answered on olga's extension 101."""
    channel_id = await add_channel(
        hub,
        "asterisk",
        "office",
        {"extensions": {"101": "olga", "102": "petr"}, "attended_transfer": False},
    )
    now = datetime(2026, 6, 15, 9, 0, tzinfo=UTC)
    async with hub.db.sessions() as session, session.begin():
        call = Call(
            channel_id=channel_id,
            linkedid="1718000000.1",
            direction=CallDirection.inbound,
            answered_by_extension="101",
            answered_by_user_id=answered_by.id,
            started_at=now,
            ended_at=now if ended else None,
        )
        session.add(call)
        await session.flush()
        return call.id


async def refused(hub: Hub, actor: Actor, call_id: int, **request: Any) -> tuple[str, int]:
    with pytest.raises(DomainError) as caught:
        await call_transfer.order_transfer(hub, actor, call_id, **request)
    return caught.value.error_id, caught.value.status


async def test_the_operator_on_the_call_a_supervisor_or_the_system_may_transfer(
    hub: Hub,
) -> None:
    olga = await add_user(hub, "olga")
    petr = await add_user(hub, "petr")
    sveta = await add_user(hub, "sveta", Role.supervisor)
    call_id = await live_call(hub, answered_by=olga)

    mine = await call_transfer.order_transfer(hub, person(olga), call_id, user_id=petr.id)
    assert (mine.channel, mine.call.linkedid, mine.target) == ("office", "1718000000.1", "102")
    assert mine.operator_extension == "101" and not mine.attended

    assert await refused(hub, person(petr), call_id, extension="103") == ("not-your-call", 403)
    for actor in (person(sveta), RobotActor(1, "robot"), SystemActor()):
        order = await call_transfer.order_transfer(hub, actor, call_id, extension="103")
        # Not on the call themselves: nobody's phone is rung first.
        assert order.target == "103" and order.operator_extension is None

    assert await refused(hub, person(olga), call_id, extension="103", attended=True) == (
        "attended-not-supported",
        409,
    )
    assert await refused(hub, person(olga), call_id, user_id=sveta.id) == ("no-extension", 409)
    assert await refused(hub, person(olga), 999, extension="103") == ("no-such-call", 404)


async def test_an_ended_call_cannot_be_transferred(hub: Hub) -> None:
    olga = await add_user(hub, "olga")
    call_id = await live_call(hub, answered_by=olga, ended=True)
    assert await refused(hub, SystemActor(), call_id, extension="103") == ("call-ended", 409)
