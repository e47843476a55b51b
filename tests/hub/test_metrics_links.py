"""`okno_connector_link_up` in the scraped /metrics: the AMI socket, the IMAP mailbox and the VK
long poll of the node holding the lease, 1 while linked, 0 while the link is lost, gone when the
channel stops."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

from aiohttp import web

from hub.actions import unit_of_work
from hub.actions.channels import create_channel
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.host.channels import spec_of
from tests.agent_ui.conftest import Ui
from tests.conftest import Backend
from tests.connectors.asterisk.ami_server import AmiServer
from tests.connectors.asterisk.hub_world import build_world
from tests.connectors.email.servers import start_dovecot
from tests.connectors.email.support import channel_options
from tests.connectors.vk.fake_vk import GROUP_ID, FakeVk
from tests.hub.test_metrics import TOKEN, scrape, value

LINK = "okno_connector_link_up"


def series(text: str, kind: str, name: str) -> float | None:
    """The link gauge of one channel, None when the scrape has no such series."""
    labels = {"channel_kind": kind, "channel": name}
    return value(text, LINK, **labels) if f'channel="{name}"' in text else None


async def shows(ui: Ui, kind: str, name: str, expected: float | None, limit: float = 20) -> None:
    """Scrape until the channel's gauge reads `expected` (the link changes in the background)."""
    seen: float | None = -1.0
    async with asyncio.timeout(limit):
        while True:
            seen = series(await scrape(ui), kind, name)
            if seen == expected:
                return
            await asyncio.sleep(0.05)


async def test_the_ami_link_going_down_and_up_shows_in_the_scrape(
    sqlite_backend: Backend, serve: Callable[..., Awaitable[Any]]
) -> None:
    app = create_app(sqlite_backend.settings(metrics_token=TOKEN))
    world = await build_world(app, await serve(app))
    ui = Ui(world.client, app[HUB])
    try:
        assert series(await scrape(ui), "asterisk", "pbx") is None  # no channel, no series
        server = AmiServer([])
        await world.connect(server)
        await shows(ui, "asterisk", "pbx", 1)

        await server.stop_listening()
        server.drop()
        await shows(ui, "asterisk", "pbx", 0)

        await server.listen_again()
        await shows(ui, "asterisk", "pbx", 1)

        await world.disconnect()  # this node reads the PBX no more: the series goes
        await shows(ui, "asterisk", "pbx", None)
    finally:
        await ui.close()


class Cable:
    """A TCP relay to the IMAP server that the test can cut (every session dropped, new ones
    refused) and mend: a network outage, without stopping Dovecot."""

    def __init__(self, port: int, *, swallow_idle: bool = False) -> None:
        self.port = port
        # A server that never acknowledges IDLE: the client's IDLE line is not passed on.
        self.swallow_idle = swallow_idle
        self.listen_port = 0
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    async def mend(self) -> None:
        self._server = await asyncio.start_server(self._relay, "127.0.0.1", self.listen_port)
        self.listen_port = self._server.sockets[0].getsockname()[1]

    async def cut(self) -> None:
        assert self._server is not None
        self._server.close()
        for writer in list(self._writers):
            writer.transport.abort()
        await self._server.wait_closed()

    async def _relay(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self.port)
        self._writers.update((writer, up_writer))

        async def pipe(src: asyncio.StreamReader, dst: asyncio.StreamWriter) -> None:
            try:
                while data := await src.read(65536):
                    if dst is up_writer and self.swallow_idle and data.endswith(b" IDLE\r\n"):
                        continue
                    dst.write(data)
                    await dst.drain()
            except OSError:
                pass
            finally:
                dst.transport.abort()
                self._writers.discard(dst)

        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))


@asynccontextmanager
async def mailbox_behind(
    cable: Cable, backend: Backend, serve: Callable[..., Awaitable[Any]], timeout_s: float
) -> AsyncIterator[tuple[Ui, web.Application]]:
    """A node with an e-mail channel «sales» reading a Dovecot mailbox through `cable`,
    started; stopped, cut and closed afterwards."""
    dovecot = await start_dovecot()
    cable.port = dovecot.port
    await cable.mend()
    app = create_app(backend.settings(metrics_token=TOKEN))
    ui = Ui(await serve(app), app[HUB])
    options = channel_options(dovecot, None, imap_port=cable.listen_port, timeout_s=timeout_s)
    async with unit_of_work(ui.hub) as uow:
        spec = spec_of(await create_channel(uow, "email", "sales", options))
    try:
        await app[RUNNER].start_channel(spec)
        yield ui, app
    finally:
        await app[RUNNER].stop_channel("email", "sales")
        await cable.cut()
        dovecot.stop()
        await ui.close()


async def test_the_imap_mailbox_cut_off_and_back_shows_in_the_scrape(
    sqlite_backend: Backend, serve: Callable[..., Awaitable[Any]]
) -> None:
    cable = Cable(0)
    async with mailbox_behind(cable, sqlite_backend, serve, timeout_s=2) as (ui, app):
        await shows(ui, "email", "sales", 1)
        await cable.cut()  # mid-IDLE: the session dies, reconnects are refused
        await shows(ui, "email", "sales", 0)
        await cable.mend()
        await shows(ui, "email", "sales", 1, limit=40)
        await app[RUNNER].stop_channel("email", "sales")
        await shows(ui, "email", "sales", None)


async def test_an_idle_the_server_never_acknowledges_is_a_lost_link(
    sqlite_backend: Backend, serve: Callable[..., Awaitable[Any]]
) -> None:
    """The reader waits for IDLE's "+ idling" no longer than for any answer (`timeout_s`): a
    connection that dies, or a server that goes silent, just before it would otherwise hold
    the mailbox unread, its link shown up, until the node restarts."""
    cable = Cable(0, swallow_idle=True)
    async with mailbox_behind(cable, sqlite_backend, serve, timeout_s=1) as (ui, _app):
        await shows(ui, "email", "sales", 1)
        await shows(ui, "email", "sales", 0)


async def test_the_vk_long_poll_losing_vk_and_back_shows_in_the_scrape(
    sqlite_backend: Backend, serve: Callable[..., Awaitable[Any]]
) -> None:
    vk = await FakeVk().start()
    app = create_app(sqlite_backend.settings(metrics_token=TOKEN))
    ui = Ui(await serve(app), app[HUB])
    options = {
        "group_id": GROUP_ID,
        "access_token": "vk1.a.community-token-for-tests",
        "mode": "longpoll",
        "api_base": vk.api_base,
        "wait": 1,
    }
    async with unit_of_work(ui.hub) as uow:
        spec = spec_of(await create_channel(uow, "vk", "sales", options))
    try:
        assert series(await scrape(ui), "vk", "sales") is None  # not started, no series
        await app[RUNNER].start_channel(spec)
        await shows(ui, "vk", "sales", 1)

        # VK's front answers 502 to the next poll (the one held now ends within `wait`), and
        # to getLongPollServer while the poller restarts: the link is lost until it answers.
        vk.outage = True
        await shows(ui, "vk", "sales", 0)
        assert [c.name for c in vk.calls].count("outage") >= 1

        vk.outage = False
        await shows(ui, "vk", "sales", 1)
        # Up again means polling again: a fresh server and key were asked for after the loss.
        assert len(vk.called("groups.getLongPollServer")) >= 2

        await app[RUNNER].stop_channel("vk", "sales")
        await shows(ui, "vk", "sales", None)
    finally:
        await ui.close()
        await vk.close()
