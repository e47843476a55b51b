"""A whole Okno hub with an Asterisk channel reading the loopback AMI server, a team with
extensions, and one known client: what the test_hub_* tests drive transcripts through.

Extensions: 101 is ivanov's through the channel's own map, 102 is petrov's through his
profile; sidorov has none; boss is a supervisor. The client Анна Соколова has the number the
recorded calls come from (+7 495 123-45-67), works for ООО Окна, has ivanov as responsible
manager and an open deal.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import select, update

from connectors.asterisk import AsteriskConnector
from connectors.asterisk.transcript import Entry
from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import channels as channel_actions
from hub.actions import crm, deals, pipelines, unit_of_work
from hub.actions.contacts import NormalisedIdentity
from hub.actions.users import create_api_token
from hub.core import Hub
from hub.host.appkeys import HUB, INGESTOR, RUNNER
from hub.host.channels import spec_of
from hub.models import Call, Channel, IdentityKind, Presence, Role, User
from hub.policy import SystemActor
from tests.conftest import Backend, add_channel

from .ami_server import AmiServer

CLIENT_NUMBER = "+74951234567"
OPTIONS: dict[str, Any] = {
    "host": "127.0.0.1",
    "username": "hub",
    "secret": "hubsecret",
    "extensions": {"101": "ivanov"},
    "phone_channel": "IAX2/{extension}",
    "queue_interface": "Local/{extension}@agents/n",
    "originate_context": "from-internal",
    "recording_url_template": "https://pbx.example/recordings/{file}",
    "ping_interval": 30,
    "action_timeout": 3,
}


def chained(*connections: list[Entry]) -> list[list[Entry]]:
    """Several recordings as successive AMI connections of one PBX: every connection but the
    last drops without Logoff (as in '# reconnect'), so the hub reconnects and resyncs."""
    out: list[list[Entry]] = []
    for index, entries in enumerate(connections):
        if index < len(connections) - 1:
            entries = [
                e
                for e in entries
                if not e.data.startswith(b"Action: Logoff") and b"Response: Goodbye" not in e.data
            ]
        out.append(entries)
    return out


@dataclass
class World:
    app: web.Application
    client: TestClient[web.Request, web.Application]
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    client_id: int = 0
    channel_id: int = 0
    server: AmiServer | None = None

    @property
    def hub(self) -> Hub:
        return self.app[HUB]

    @property
    def connector(self) -> AsteriskConnector:
        connector = self.app[RUNNER].get("asterisk", "pbx")
        assert isinstance(connector, AsteriskConnector)
        return connector

    async def add_user(self, login: str, role: Role = Role.operator, **extra: Any) -> User:
        # Straight into the table: these users sign in with API tokens only, and hashing
        # a password (argon2) for each would cost most of a test's time.
        async with unit_of_work(self.hub) as uow:
            user = User(
                login=login,
                name=login.title(),
                password_hash="!",
                role=role,
                presence=Presence.offline,
                created_at=uow.now(),
                **extra,
            )
            uow.session.add(user)
            await uow.session.flush()
            self.tokens[login] = await create_api_token(uow, user)
        self.users[login] = user
        return user

    async def api(self, method: str, path: str, login: str, **kwargs: Any) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {self.tokens[login]}"}
        async with self.client.request(method, path, headers=headers, **kwargs) as response:
            return response.status, await response.json()

    async def connect(self, server: AmiServer, **options: Any) -> AsteriskConnector:
        """Point the channel at `server` (created on first use) and (re)start it."""
        port = await server.start()
        self.server = server
        async with unit_of_work(self.hub) as uow:
            channel = (
                await uow.session.execute(select(Channel).where(Channel.name == "pbx"))
            ).scalar_one_or_none()
            if channel is None:
                channel = await channel_actions.create_channel(
                    uow, "asterisk", "pbx", {**OPTIONS, "port": port, **options}
                )
            else:
                await channel_actions.update_channel(uow, channel, {"port": port, **options})
            spec = spec_of(channel)
        self.channel_id = spec.id
        await self.app[RUNNER].start_channel(spec)
        await asyncio.wait_for(self._ready(), 10)
        return self.connector

    async def _ready(self) -> None:
        while not self.connector.connected:
            await asyncio.sleep(0.01)

    async def disconnect(self) -> None:
        await self.app[RUNNER].stop_channel("asterisk", "pbx")
        if self.server is not None:
            await self.server.close()

    async def calls(self) -> list[Call]:
        async with self.hub.db.sessions() as session:
            return list((await session.execute(select(Call).order_by(Call.id))).scalars())

    async def finished_calls(self) -> int:
        return sum(1 for call in await self.calls() if call.ended_at is not None)

    async def live_call(self) -> Call | None:
        calls = [c for c in await self.calls() if c.ended_at is None and c.answered_at]
        return calls[-1] if calls else None

    async def user(self, login: str) -> User:
        async with self.hub.db.sessions() as session:
            return await session.get_one(User, self.users[login].id)

    async def webform_message(self, external_id: str, phone: str, name: str, text: str) -> int:
        receipt = await self.app[INGESTOR].submit(
            InboundMessage(
                channel_kind="webform",
                channel_name="site",
                external_id=external_id,
                sender=Sender(name=name, identities=(IdentityClaim("phone", phone),)),
                text=text,
            )
        )
        assert receipt.conversation_id is not None
        return receipt.conversation_id


async def build_world(
    app: web.Application, client: TestClient[web.Request, web.Application]
) -> World:
    world = World(app, client)
    await world.add_user("ivanov")
    await world.add_user("petrov", extension="102")
    await world.add_user("sidorov")
    await world.add_user("boss", Role.supervisor)
    await add_channel(world.hub, "webform", "site")
    async with unit_of_work(world.hub) as uow:
        contact = await crm.create_contact(
            uow,
            "Анна Соколова",
            [NormalisedIdentity(IdentityKind.phone, CLIENT_NUMBER, "+7 495 123-45-67")],
            responsible_user_id=world.users["ivanov"].id,
        )
        organisation = await crm.create_organisation(uow, "ООО Окна")
        await crm.link_contact_organisation(uow, contact.id, organisation.id, "закупки")
        pipeline = await pipelines.add_pipeline(
            uow, "Продажи", [pipelines.StageSpec("Замер"), pipelines.StageSpec("Успех", "won")]
        )
        stages = await pipelines.pipeline_stages(uow, pipeline.id)
        await deals.add_deal(
            uow,
            SystemActor(),
            title="Окна в офис",
            stage=stages[0],
            amount=Decimal("120000"),
            contact_id=contact.id,
        )
        world.client_id = contact.id
    return world


async def set_presence_quietly(hub: Hub, user_id: int, **values: Any) -> None:
    async with hub.db.sessions() as session, session.begin():
        await session.execute(update(User).where(User.id == user_id).values(**values))


async def start_world(
    backend: Backend, serve: Callable[[web.Application], Any]
) -> AsyncIterator[World]:
    from hub.host.app import create_app

    app = create_app(backend.settings())
    client = await serve(app)
    world = await build_world(app, client)
    try:
        yield world
    finally:
        if world.server is not None:
            await world.server.close()
