"""`okno channel add | list | enable | disable | set`, and a running node following them."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from hub.actions.teams import create_team
from hub.core import Hub
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.models import Channel
from hub.policy import SystemActor
from tests.conftest import Backend
from tests.hub.test_cli import _no_okno_environment, okno
from tests.waiting import until

__all__ = ["_no_okno_environment"]  # the autouse fixture: no OKNO_* from the machine

TOKEN = "123456789:AAFsecretTokenPartThatIsLongEnough_x1"


async def channels(hub: Hub) -> dict[str, Channel]:
    async with hub.db.sessions() as session:
        rows = (await session.execute(select(Channel).order_by(Channel.id))).scalars()
        return {f"{c.kind}:{c.name}": c for c in rows}


async def test_add_parses_values_and_reports_errors_per_field(
    backend: Backend, hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--database-url", backend.database_url)
    team = await create_team(hub, SystemActor(), "Продажи")
    code = await okno(
        "channel", "add", "webform", "--name", "shop", "--title", "Заявки с сайта",
        "--team", "Продажи",
        "--option", "rate_limit_per_minute=5",
        "--option", 'allowed_origins=["https://okna.example"]',
        "--option", "title=42",
        *db,
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert "/forms/shop" in capsys.readouterr().out
    code = await okno(
        "channel", "add", "telegram", "--name", "bot",
        "--option", f"token={TOKEN}", "--option", "mode=webhook",
        "--option", "webhook_secret=123456", "--option-json", "allow_groups=true",
        *db,
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    stored = await channels(hub)
    shop, bot = stored["webform:shop"], stored["telegram:bot"]
    assert (shop.title, shop.team_id, shop.enabled) == ("Заявки с сайта", team.id, True)
    assert shop.options["rate_limit_per_minute"] == 5
    assert shop.options["allowed_origins"] == ["https://okna.example"]
    # Text options stay text even when they read as JSON numbers.
    assert shop.options["title"] == "42"
    assert (bot.options["webhook_secret"], bot.options["allow_groups"]) == ("123456", True)
    capsys.readouterr()

    bad = await okno(
        "channel", "add", "telegram", "--name", "bad",
        "--option", "token=nope", "--option", "poll_timeout=0", *db,
    )  # fmt: skip
    assert bad == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "okno: invalid options for a telegram channel:"
    assert err[1].startswith("  poll_timeout: ") and err[2].startswith("  token: must look like")
    for argv, code in [
        (("webform", "--name", "shop"), 1),  # exists already
        (("fax", "--name", "x"), 2),
        (("webform", "--name", "Shop Front"), 2),
        (("webform", "--name", "x", "--team", "Нет такой"), 2),
        (("webform", "--name", "x", "--option", "rate_limit_per_minute"), 2),
        (("webform", "--name", "x", "--option-json", "allowed_origins=[oops"), 2),
    ]:
        assert await okno("channel", "add", *argv, *db) == code, argv
    assert sorted(await channels(hub)) == ["telegram:bot", "webform:shop"]


async def test_list_disable_enable_and_set(
    backend: Backend, hub: Hub, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ("--database-url", backend.database_url)
    bot_options: tuple[str, ...] = ("--option", f"token={TOKEN}", "--option", "mode=webhook")
    bot_options += ("--option", "webhook_secret=hush-hush")
    assert await okno("channel", "add", "telegram", "--name", "shop", *bot_options, *db) == 0
    assert await okno("channel", "add", "webform", "--name", "shop", *db) == 0
    capsys.readouterr()

    assert await okno("channel", "list", *db) == 0
    listed = capsys.readouterr().out
    assert "telegram:shop" in listed and "webform:shop" in listed and "********" in listed
    assert TOKEN.split(":")[1] not in listed and "hush-hush" not in listed

    assert await okno("channel", "disable", "shop", *db) == 2  # two kinds share the name
    assert "--kind" in capsys.readouterr().err
    assert await okno("channel", "disable", "nope", *db) == 1
    assert await okno("channel", "disable", "shop", "--kind", "webform", *db) == 0
    stored = await channels(hub)
    assert (stored["webform:shop"].enabled, stored["telegram:shop"].enabled) == (False, True)
    capsys.readouterr()
    assert await okno("channel", "list", *db) == 0
    assert "disabled  webform:shop" in capsys.readouterr().out
    assert await okno("channel", "enable", "shop", "--kind", "webform", *db) == 0
    assert (await channels(hub))["webform:shop"].enabled is True

    assert (
        await okno("channel", "set", "telegram", "shop", "--option", "allow_groups=true", *db) == 0
    )
    bot = (await channels(hub))["telegram:shop"]
    assert bot.options["allow_groups"] is True
    assert (bot.options["token"], bot.options["webhook_secret"]) == (TOKEN, "hush-hush")
    capsys.readouterr()
    bad = await okno("channel", "set", "telegram", "shop", "--option", "mode=carrier-pigeon", *db)
    assert bad == 2
    assert capsys.readouterr().err.splitlines()[1].startswith("  mode: ")
    assert (await channels(hub))["telegram:shop"].options["mode"] == "webhook"


async def cached(hub: Hub, kind: str, name: str) -> Channel:
    """The channel as this node's inbound events see it (hub/channel_cache.py)."""
    async with hub.db.sessions() as session:
        channel = await hub.channels.find(session, kind, name)
    assert channel is not None
    return channel


async def test_a_running_node_follows_cli_changes(
    backend: Backend, serve: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    if backend.redis_url is None:
        pytest.skip("the memory-bus node is the test below: it watches the database")
    # The CLI publishes on the node's Redis bus.
    monkeypatch.setenv("OKNO_REDIS_URL", backend.redis_url)
    monkeypatch.setenv("OKNO_REDIS_PREFIX", backend.redis_prefix)
    app = create_app(backend.settings())
    await serve(app)
    runner = app[RUNNER]
    db = ("--database-url", backend.database_url)

    assert await okno("channel", "add", "webform", "--name", "live", *db) == 0
    await until(lambda: runner.get("webform", "live") is not None)
    first = runner.get("webform", "live")
    assert (await cached(app[HUB], "webform", "live")).enabled is True  # kept from now on
    set_limit = ("--option", "rate_limit_per_minute=9")
    assert await okno("channel", "set", "webform", "live", *set_limit, *db) == 0
    await until(lambda: runner.get("webform", "live") is not first)
    connector = runner.get("webform", "live")
    assert connector is not None and connector.options.model_dump()["rate_limit_per_minute"] == 9
    # Heard on the bus: inbound events no longer see the channel as it was.
    assert (await cached(app[HUB], "webform", "live")).options["rate_limit_per_minute"] == 9
    assert await okno("channel", "disable", "live", *db) == 0
    await until(lambda: runner.get("webform", "live") is None)
    assert (await cached(app[HUB], "webform", "live")).enabled is False


async def test_a_node_on_the_memory_bus_follows_cli_changes_through_the_database(
    backend: Backend, serve: Any, capsys: pytest.CaptureFixture[str]
) -> None:
    """The node hears nothing on a bus (the CLI here has its own, and no Redis): it sees the
    change in the shared database (hub/host/channel_watch.py) and applies it, no restart."""
    app = create_app(backend.settings(redis_url=None))
    await serve(app)
    runner = app[RUNNER]
    db = ("--database-url", backend.database_url)
    within = 10.0  # the watch polls every 2 s; the CLI opens its own Hub on the same database

    assert await okno("channel", "add", "webform", "--name", "quiet", *db) == 0
    assert "within 2 s; no restart needed" in capsys.readouterr().out
    await until(lambda: runner.get("webform", "quiet") is not None, within)
    first = runner.get("webform", "quiet")
    assert first is not None and first.options.model_dump()["rate_limit_per_minute"] == 10
    assert (await cached(app[HUB], "webform", "quiet")).enabled is True  # kept from now on
    limit = ("--option", "rate_limit_per_minute=3")
    assert await okno("channel", "set", "webform", "quiet", *limit, *db) == 0
    await until(lambda: runner.get("webform", "quiet") is not first, within)
    changed = runner.get("webform", "quiet")
    assert changed is not None and changed.options.model_dump()["rate_limit_per_minute"] == 3
    # Found in event_log by the watch: inbound events no longer see the channel as it was.
    assert (await cached(app[HUB], "webform", "quiet")).options["rate_limit_per_minute"] == 3
    assert await okno("channel", "disable", "quiet", *db) == 0
    await until(lambda: runner.get("webform", "quiet") is None, within)
    assert (await cached(app[HUB], "webform", "quiet")).enabled is False
    assert await okno("channel", "enable", "quiet", "--kind", "webform", *db) == 0
    await until(lambda: runner.get("webform", "quiet") is not None, within)
