"""The channels inbound events name, kept per process (hub/channel_cache.py): read once,
never served after a change of this process, and not kept when a change raced the read.
Changes of other processes are in tests/hub/test_cli_channels.py."""

from __future__ import annotations

from sqlalchemy import event

from hub.actions.channels import update_channel
from hub.actions.uow import unit_of_work
from hub.core import Hub
from hub.models import Channel
from tests.conftest import add_channel
from tests.routing.test_hot_path import statements


def selects(sent: list[str]) -> list[str]:
    """Without the BEGIN SQLite's read sessions send: the lookups themselves."""
    return [statement for statement in sent if statement != "BEGIN"]


async def seen(hub: Hub, kind: str, name: str) -> Channel | None:
    async with hub.db.sessions() as session:
        return await hub.channels.find(session, kind, name)


async def test_read_once_then_afresh_after_a_change(hub: Hub) -> None:
    channel_id = await add_channel(hub, "telegram", "main", {"mode": "polling"})
    with statements(hub) as sent:
        first = await seen(hub, "telegram", "main")
        again = await seen(hub, "telegram", "main")
    assert selects(sent) == ["SELECT channels.id, channels.kind,"]
    assert first is not None and again is not None and first is not again
    assert (again.id, again.enabled, again.options) == (channel_id, True, {"mode": "polling"})
    # What one caller does to its copy never reaches the next one.
    again.options["mode"] = "webhook"
    assert (await seen(hub, "telegram", "main")).options == {"mode": "polling"}  # type: ignore[union-attr]

    async with unit_of_work(hub) as uow:
        stored = await uow.session.get_one(Channel, channel_id)
        await update_channel(uow, stored, enabled=False)
    with statements(hub) as sent:
        disabled = await seen(hub, "telegram", "main")
    assert selects(sent) == ["SELECT channels.id, channels.kind,"]
    assert disabled is not None and disabled.enabled is False


async def test_a_channel_not_there_is_looked_for_each_time(hub: Hub) -> None:
    assert await seen(hub, "telegram", "later") is None
    await add_channel(hub, "telegram", "later")
    found = await seen(hub, "telegram", "later")
    assert found is not None and found.name == "later"


async def test_a_change_during_the_read_is_not_kept(hub: Hub) -> None:
    """The row read may predate a change committed meanwhile: it serves this one lookup and
    the next one reads again."""
    await add_channel(hub, "telegram", "main")

    def change_heard(*_: object) -> None:
        hub.channels.forget()

    engine = hub.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", change_heard)
    try:
        assert await seen(hub, "telegram", "main") is not None
    finally:
        event.remove(engine, "before_cursor_execute", change_heard)
    with statements(hub) as sent:
        assert await seen(hub, "telegram", "main") is not None
    assert selects(sent) == ["SELECT channels.id, channels.kind,"]
