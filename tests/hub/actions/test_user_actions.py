"""Accounts and operators' routing settings through their use cases, for each kind of actor."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from hub.actions import unit_of_work
from hub.actions.users import (
    create_account,
    start_session,
    update_routing_settings,
    update_user,
)
from hub.auth import Principal, verify_password
from hub.core import Hub
from hub.models import Role, User, WebSession
from hub.policy import DomainError, RobotActor, SystemActor
from tests.hub.actions.support import _cheap_password_hashing, signed_in

__all__ = ["_cheap_password_hashing"]


async def stored(hub: Hub, user_id: int) -> User:
    async with hub.db.sessions() as session:
        return await session.get_one(User, user_id)


async def sessions_of(hub: Hub, user_id: int) -> int:
    async with hub.db.sessions() as session:
        count = select(func.count()).select_from(WebSession).where(WebSession.user_id == user_id)
        return (await session.execute(count)).scalar_one()


async def sign_in(hub: Hub, user: Principal) -> None:
    async with unit_of_work(hub) as uow:
        await start_session(uow, await uow.session.get_one(User, user.user_id), 3600)


def refusal(caught: pytest.ExceptionInfo[DomainError]) -> tuple[str, int]:
    return caught.value.error_id, caught.value.status


async def test_routing_settings_by_a_supervisor(hub: Hub) -> None:
    sveta = await signed_in(hub, "sveta", Role.supervisor)
    petr = await signed_in(hub, "petr", Role.operator)

    changed = await update_routing_settings(
        hub, sveta, petr.user_id, max_conversations=9, skills=["lang:en"], extension="*72#"
    )
    assert (changed.max_conversations, changed.skills, changed.extension) == (
        9,
        ["lang:en"],
        "*72#",
    )
    row = await stored(hub, petr.user_id)
    assert (row.max_conversations, row.skills, row.extension, row.is_active) == (
        9,
        ["lang:en"],
        "*72#",
        True,
    )
    # What is not given stays; an empty extension clears it.
    await update_routing_settings(hub, sveta, petr.user_id, extension="")
    row = await stored(hub, petr.user_id)
    assert (row.max_conversations, row.skills, row.extension) == (9, ["lang:en"], None)


async def test_routing_settings_refusals(hub: Hub) -> None:
    root = await signed_in(hub, "root", Role.admin)
    sveta = await signed_in(hub, "sveta", Role.supervisor)
    olga = await signed_in(hub, "olga", Role.operator)
    petr = await signed_in(hub, "petr", Role.operator)

    with pytest.raises(DomainError) as caught:
        await update_routing_settings(hub, olga, petr.user_id, max_conversations=1)
    assert refusal(caught) == ("forbidden", 403)
    # A supervisor may not switch an admin off; nobody switches themselves off.
    with pytest.raises(DomainError) as caught:
        await update_routing_settings(hub, sveta, root.user_id, is_active=False)
    assert refusal(caught) == ("forbidden", 403)
    with pytest.raises(DomainError) as caught:
        await update_routing_settings(hub, root, root.user_id, is_active=False)
    assert refusal(caught) == ("cannot-change-self", 409)
    assert caught.value.details == {"field": "is_active"}
    with pytest.raises(DomainError) as caught:
        await update_routing_settings(hub, sveta, 999_999, skills=[])
    assert refusal(caught) == ("no-such-user", 404)

    okno = SystemActor("cli")
    await update_routing_settings(hub, okno, olga.user_id, extension="101")
    with pytest.raises(DomainError) as caught:
        await update_routing_settings(hub, okno, petr.user_id, extension="101")
    assert refusal(caught) == ("extension-taken", 409)
    assert caught.value.details == {"field": "extension", "user_id": olga.user_id}
    assert (await stored(hub, petr.user_id)).extension is None
    assert (await stored(hub, root.user_id)).is_active is True
    assert (await stored(hub, olga.user_id)).max_conversations == 5


async def test_an_admin_edits_accounts_and_sessions_end(hub: Hub) -> None:
    root = await signed_in(hub, "root", Role.admin)
    petr = await signed_in(hub, "petr", Role.operator)
    await sign_in(hub, petr)
    await sign_in(hub, root)

    await update_user(hub, root, petr.user_id, name="Пётр С.")
    assert (await stored(hub, petr.user_id)).name == "Пётр С."
    assert await sessions_of(hub, petr.user_id) == 1  # a rename signs nobody out

    # A new role is new rights: the sessions opened under the old one end.
    await update_user(hub, root, petr.user_id, role=Role.supervisor)
    assert (await stored(hub, petr.user_id)).role == Role.supervisor
    assert await sessions_of(hub, petr.user_id) == 0
    await sign_in(hub, petr)

    await update_user(hub, root, petr.user_id, password="new-password-42")
    assert verify_password((await stored(hub, petr.user_id)).password_hash, "new-password-42")
    assert await sessions_of(hub, petr.user_id) == 0
    # Your own password: you keep the session you are using.
    await update_user(hub, root, root.user_id, password="another-pass-43")
    assert await sessions_of(hub, root.user_id) == 1

    changes: list[dict[str, Any]] = [{"role": Role.operator}, {"is_active": False}]
    for change in changes:
        with pytest.raises(DomainError) as caught:
            await update_user(hub, root, root.user_id, **change)
        assert refusal(caught) == ("cannot-change-self", 409)
        assert caught.value.details == {"field": next(iter(change))}
    stored_root = await stored(hub, root.user_id)
    assert (stored_root.role, stored_root.is_active) == (Role.admin, True)


async def test_operators_supervisors_and_robots_may_not_edit_accounts(hub: Hub) -> None:
    olga = await signed_in(hub, "olga", Role.operator)
    sveta = await signed_in(hub, "sveta", Role.supervisor)
    for actor in (olga, sveta, RobotActor(1, "Обзвон")):
        with pytest.raises(DomainError) as caught:
            await update_user(hub, actor, olga.user_id, role=Role.admin)
        assert refusal(caught) == ("forbidden", 403)
        with pytest.raises(DomainError) as caught:
            await create_account(hub, actor, "masha", "Мария", "correct horse 1")
        assert refusal(caught) == ("forbidden", 403)
    assert (await stored(hub, olga.user_id)).role is Role.operator
    async with hub.db.sessions() as session:
        logins = set((await session.scalars(select(User.login))).all())
    assert logins == {"olga", "sveta"}


async def test_accounts_created_by_an_admin_and_by_okno(hub: Hub) -> None:
    root = await signed_in(hub, "root", Role.admin)
    masha = await create_account(
        hub, root, "masha", "Мария", "correct horse 1", role=Role.supervisor, locale="en"
    )
    ivan = await create_account(hub, SystemActor("demo"), "ivan", "Иван", "correct horse 2")
    row = await stored(hub, masha.id)
    assert (row.login, row.role, row.locale, row.is_active) == (
        "masha",
        Role.supervisor,
        "en",
        True,
    )
    assert verify_password(row.password_hash, "correct horse 1")
    assert (await stored(hub, ivan.id)).role is Role.operator

    with pytest.raises(DomainError) as caught:
        await create_account(hub, root, "masha", "Другая", "correct horse 3")
    assert refusal(caught) == ("login-taken", 409)
    assert caught.value.details == {"field": "login"}
