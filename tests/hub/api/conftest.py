"""An Okno app on a loopback port with a team, a web-form channel and helpers to talk to it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
from aiohttp.test_utils import TestClient

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import conversations, unit_of_work
from hub.actions import routing as routing_actions
from hub.actions.users import create_api_token, start_session
from hub.core import Hub
from hub.host.app import create_app
from hub.host.appkeys import HUB
from hub.models import Presence, Role, User
from hub.reasons import reason as because
from routing.ingest import Ingestor
from tests.conftest import Backend, add_channel, add_user


@dataclass
class Reply:
    status: int
    body: Any


@dataclass
class Api:
    client: TestClient
    hub: Hub
    users: dict[str, User] = field(default_factory=dict)
    tokens: dict[str, str] = field(default_factory=dict)
    sequence: int = 0

    async def add_user(
        self, login: str, role: Role = Role.operator, name: str | None = None
    ) -> User:
        user = await add_user(self.hub, login, role, name=name)
        async with unit_of_work(self.hub) as uow:
            self.tokens[login] = await create_api_token(
                uow, await uow.session.get_one(User, user.id)
            )
        self.users[login] = user
        return user

    async def session_cookie(self, login: str) -> tuple[str, str]:
        async with unit_of_work(self.hub) as uow:
            user = await uow.session.get_one(User, self.users[login].id)
            return await start_session(uow, user, 3600)

    async def call(
        self,
        method: str,
        path: str,
        as_user: str | None,
        *,
        json: Any = None,
        data: str | None = None,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        sent = dict(headers or {})
        if as_user is not None:
            sent["Authorization"] = f"Bearer {self.tokens[as_user]}"
        async with self.client.request(
            method, path, json=json, data=data, params=params, headers=sent
        ) as response:
            return Reply(response.status, await response.json())

    async def get(self, path: str, as_user: str | None, **params: Any) -> Reply:
        return await self.call("GET", path, as_user, params={k: str(v) for k, v in params.items()})

    async def post(self, path: str, as_user: str | None, json: Any = None) -> Reply:
        return await self.call("POST", path, as_user, json=json)

    async def inbound(
        self,
        name: str = "Анна Соколова",
        phone: str | None = "8 (916) 123-45-67",
        email: str | None = None,
        text: str = "Нужен замер",
        channel: tuple[str, str] = ("webform", "site"),
        meta: dict[str, Any] | None = None,
        extra: tuple[IdentityClaim, ...] = (),
    ) -> int:
        """A client message through the real ingest pipeline; returns its conversation id."""
        self.sequence += 1
        claims = [*extra]
        if phone:
            claims.append(IdentityClaim("phone", phone))
        if email:
            claims.append(IdentityClaim("email", email))
        receipt = await Ingestor(self.hub).submit(
            InboundMessage(
                channel_kind=channel[0],
                channel_name=channel[1],
                external_id=f"ext-{self.sequence}",
                sender=Sender(name=name, identities=tuple(claims)),
                text=text,
                meta=meta or {},
                message_ref=f"ref-{self.sequence}",
            )
        )
        assert receipt.conversation_id is not None
        return receipt.conversation_id

    async def assign(
        self, conversation_id: int, login: str, accept_timeout_s: int | None = None
    ) -> None:
        """Set-up: the routing engine offers the conversation to `login` (no timeout: held)."""
        async with unit_of_work(self.hub) as uow:
            conversation = await conversations.get_for_update(uow, conversation_id)
            assert conversation is not None
            user = await uow.session.get_one(User, self.users[login].id)
            await routing_actions.offer(
                uow, conversation, user, because("note", text="test set-up"), accept_timeout_s
            )

    async def set_online(self, login: str) -> None:
        async with unit_of_work(self.hub) as uow:
            user = await uow.session.get_one(User, self.users[login].id)
            user.presence, user.presence_at = Presence.online, uow.now()


@pytest.fixture
def app_settings() -> dict[str, object]:
    """Settings of the `api` fixture's app beyond the backend's: a test module overrides this."""
    return {}


@pytest.fixture
async def api(backend: Backend, serve: Any, app_settings: dict[str, object]) -> Api:
    """Users olga and petr (operators), sveta (supervisor); a webform channel "site".

    Everyone is offline, so inbound conversations stay in the shared queue until assigned.
    """
    app = create_app(backend.settings(**app_settings))
    client = await serve(app)
    api = Api(client, app[HUB])
    await api.add_user("olga", Role.operator, "Ольга Иванова")
    await api.add_user("petr", Role.operator, "Пётр Смирнов")
    await api.add_user("sveta", Role.supervisor, "Светлана Орлова")
    await add_channel(api.hub, "webform", "site")
    return api
