"""Channels, merges and leads through their use cases: the refusals come from hub.policy."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from hub.actions.channels import add_channel, change_channel
from hub.actions.leads import qualify_lead
from hub.actions.merge import merge_contacts, unmerge_contact
from hub.core import Hub
from hub.models import Channel, LeadStatus, Role
from hub.policy import DomainError, SystemActor
from tests.hub.actions.support import _cheap_password_hashing, signed_in

__all__ = ["_cheap_password_hashing"]


async def channel_count(hub: Hub) -> int:
    async with hub.db.sessions() as session:
        return (await session.execute(select(func.count()).select_from(Channel))).scalar_one()


async def test_channels_are_changed_by_admins_and_okno_only(hub: Hub) -> None:
    root = await signed_in(hub, "root", Role.admin)
    sveta = await signed_in(hub, "sveta", Role.supervisor)
    okno = SystemActor("cli")
    form = await add_channel(hub, root, "webform", "shop", {}, title="  Заявки  ")
    assert (form.title, form.enabled) == ("Заявки", True)

    for call in (
        add_channel(hub, sveta, "webform", "other", {}),
        change_channel(hub, sveta, form.id, enabled=False),
    ):
        with pytest.raises(DomainError) as caught:
            await call
        assert (caught.value.error_id, caught.value.status) == ("forbidden", 403)
    assert (await change_channel(hub, okno, form.id, enabled=False)).enabled is False

    with pytest.raises(DomainError) as caught:
        await add_channel(hub, okno, "fax", "x", {})
    assert (caught.value.error_id, caught.value.status) == ("invalid-input", 422)
    assert [d["field"] for d in caught.value.details] == ["kind"]
    with pytest.raises(DomainError) as caught:
        await add_channel(hub, okno, "webform", "shop", {})
    assert (caught.value.error_id, caught.value.status) == ("channel-exists", 409)
    with pytest.raises(DomainError) as caught:
        await add_channel(hub, okno, "webform", "x", {"rate_limit_per_minute": "many"})
    assert (caught.value.error_id, caught.value.status) == ("invalid-options", 422)
    assert list(caught.value.details) == ["rate_limit_per_minute"]
    with pytest.raises(DomainError) as caught:
        await change_channel(hub, okno, 999_999, title="X")
    assert (caught.value.error_id, caught.value.status) == ("no-such-channel", 404)
    assert await channel_count(hub) == 1


async def test_merging_needs_a_supervisor_and_leads_must_exist(hub: Hub) -> None:
    olga = await signed_in(hub, "olga", Role.operator)
    sveta = await signed_in(hub, "sveta", Role.supervisor)
    for call in (merge_contacts(hub, olga, 1, 2), unmerge_contact(hub, olga, 1)):
        with pytest.raises(DomainError) as caught:
            await call
        assert (caught.value.error_id, caught.value.status) == ("forbidden", 403)
    with pytest.raises(DomainError) as caught:
        await merge_contacts(hub, sveta, 999_998, 999_999)
    assert (caught.value.error_id, caught.value.status) == ("no-such-contact", 404)
    with pytest.raises(DomainError) as caught:
        await unmerge_contact(hub, sveta, 999_998)
    assert (caught.value.error_id, caught.value.status) == ("no-such-merge", 404)
    with pytest.raises(DomainError) as caught:
        await qualify_lead(hub, olga, 999_999, LeadStatus.qualified)
    assert (caught.value.error_id, caught.value.status) == ("no-such-lead", 404)
