"""The workspace on a loopback port: a staff member logs in like a browser and holds sockets."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp.test_utils import TestClient
from sqlalchemy import select

from agent_ui.keys import FANOUT, PRESENCE, PRESENCE_GRACE_S
from hub.actions import contacts, conversations, messages, unit_of_work
from hub.actions.channels import create_channel
from hub.actions.users import start_session
from hub.auth import SESSION_COOKIE
from hub.core import Hub
from hub.events import Audience, RobotNotice
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.host.channels import spec_of
from hub.models import Channel, Role, User
from tests.conftest import Backend, add_channel, add_user
from tests.waiting import until

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]+)"')
PASSWORD = "secret-pass-1"


def csrf_from(html: str) -> str:
    match = CSRF_FIELD.search(html)
    assert match, "no csrf_token field in the page"
    return match.group(1)


@dataclass
class Ui:
    """One running app; `browser(login)` is a logged-in cookie session of its own."""

    server: TestClient
    hub: Hub
    users: dict[str, User] = field(default_factory=dict)
    sessions: list[aiohttp.ClientSession] = field(default_factory=list)
    # Whose each socket is (from its hello), for `nothing_more`'s barrier.
    owners: dict[aiohttp.ClientWebSocketResponse, int] = field(default_factory=dict)
    barriers: int = 0

    def url(self, path: str) -> str:
        return str(self.server.make_url(path))

    async def add_user(self, login: str, role: Role = Role.operator, **kwargs: Any) -> User:
        user = await add_user(self.hub, login, role, password=PASSWORD, **kwargs)
        self.users[login] = user
        return user

    async def add_webform(self, slug: str = "demo", **options: Any) -> None:
        async with unit_of_work(self.hub) as uow:
            channel = await create_channel(uow, "webform", slug, options, title="Заявка на замер")
        await self.server.app[RUNNER].start_channel(spec_of(channel))

    def anonymous(self, **kwargs: Any) -> aiohttp.ClientSession:
        session = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True), **kwargs)
        self.sessions.append(session)
        return session

    async def login(self, login: str, lang: str = "ru") -> aiohttp.ClientSession:
        session = self.anonymous()
        async with session.get(self.url(f"/login?lang={lang}")) as page:
            token = csrf_from(await page.text())
        async with session.post(
            self.url("/login"),
            data={"login": login, "password": PASSWORD, "csrf_token": token, "next": "/"},
            allow_redirects=False,
        ) as answer:
            assert answer.status == 303, await answer.text()
        return session

    async def signed_in(self, login: str) -> aiohttp.ClientSession:
        """A browser session made directly (no password check: argon2 is slow on purpose)."""
        async with unit_of_work(self.hub) as uow:
            user = await uow.session.get_one(User, self.users[login].id)
            token, _csrf = await start_session(uow, user, 3600)
        session = self.anonymous()
        session.cookie_jar.update_cookies({SESSION_COOKIE: token}, self.server.make_url("/"))
        return session

    async def socket(
        self, session: aiohttp.ClientSession, path: str = "/ws", **kwargs: Any
    ) -> aiohttp.ClientWebSocketResponse:
        ws = await session.ws_connect(self.url(path), **kwargs)
        # The hello waits for the node's presence bookkeeping, which shares the database with
        # the app's background workers; on a loaded CI machine that took over 5 s once.
        hello = await receive(ws, timeout=15)
        assert hello["type"] == "hello", hello
        self.owners[ws] = hello["user"]["id"]
        return ws

    async def nothing_more(self, ws: aiohttp.ClientWebSocketResponse) -> list[dict[str, Any]]:
        """The frames `ws` receives before a barrier: an event for its user alone, emitted now
        through this node's unit of work like every other event.

        Events are logged and published after commit, in order, on one node's bus; a socket
        writes them in the order they came. So once the barrier is here, whatever this node
        published before it (the event the test says must not come, if it were sent) is here
        too: the caller checks the frames returned, and no time window is guessed. Whatever
        the test did must have published by now (an awaited action, or see `presence_settled`).
        """
        self.barriers += 1
        barrier = self.barriers
        async with unit_of_work(self.hub) as uow:
            uow.emit(
                RobotNotice(
                    audience=Audience(users=frozenset({self.owners[ws]})),
                    rule_id=0,
                    rule_name="test barrier",
                    object_type=BARRIER,
                    object_id=barrier,
                    text="",
                )
            )
        frames = await events_until(ws, lambda fs: bool(fs) and is_barrier(fs[-1], barrier))
        return frames[:-1]

    async def presence_settled(self, user_id: int, sockets_left: int) -> None:
        """This node has handled the closing of the user's sockets down to `sockets_left`, and
        any offline change that started has ended (so `nothing_more` sees what it published)."""
        fanout = self.server.app[FANOUT]
        await until(
            lambda: sum(c.user_id == user_id for c in fanout.connections) == sockets_left,
            what=f"user {user_id}'s sockets on this node down to {sockets_left}",
        )
        # The close handler removes the socket and starts the offline change in one step.
        await self.server.app[PRESENCE].idle()

    async def close(self) -> None:
        for session in self.sessions:
            await session.close()


async def receive(ws: aiohttp.ClientWebSocketResponse, timeout: float = 5) -> dict[str, Any]:
    message = await ws.receive_json(timeout=timeout)
    assert isinstance(message, dict)
    return message


async def events_until(
    ws: aiohttp.ClientWebSocketResponse,
    done: Callable[[list[dict[str, Any]]], bool],
    timeout: float = 5,
) -> list[dict[str, Any]]:
    """Frames received until `done(frames)` holds (or the timeout fails the test)."""
    frames: list[dict[str, Any]] = []
    async with asyncio.timeout(timeout):
        while not done(frames):
            frames.append(await receive(ws, timeout))
    return frames


BARRIER = "test-barrier"


def is_barrier(frame: dict[str, Any], number: int) -> bool:
    return (
        frame.get("kind") == "robot.notice"
        and frame["payload"]["object_type"] == BARRIER
        and frame["payload"]["object_id"] == number
    )


async def new_conversation(hub: Hub, assignee_id: int | None, text: str = "Здравствуйте") -> int:
    """A lead's conversation, assigned to `assignee_id` or left in the queue."""
    async with hub.db.sessions() as session:
        channel_id = (await session.execute(select(Channel.id).limit(1))).scalar_one_or_none()
    if channel_id is None:
        channel_id = await add_channel(hub, "webform", "demo")
    async with unit_of_work(hub) as uow:
        channel = await uow.session.get_one(Channel, channel_id)
        contact, lead = await contacts.create_lead(uow, "Клиент", [], "webform", {})
        conversation = await conversations.open_conversation(
            uow, contact.id, channel, text, lead.id
        )
        await messages.receive(uow, conversation, text, {}, None)
        if assignee_id is None:
            await conversations.announce(uow, conversation, "queued")
        else:
            await conversations.assign(uow, conversation, assignee_id, "test")
        return conversation.id


async def client_writes(hub: Hub, conversation_id: int, text: str) -> int:
    async with unit_of_work(hub) as uow:
        conversation = await conversations.get_for_update(uow, conversation_id)
        assert conversation is not None
        message = await messages.receive(uow, conversation, text, {}, None)
        return message.id


@pytest.fixture
async def ui(backend: Backend, serve: Callable[..., Any]) -> AsyncIterator[Ui]:
    app = create_app(backend.settings())
    app[PRESENCE_GRACE_S] = 0.0
    server = await serve(app)
    running = Ui(server, app[HUB])
    yield running
    await running.close()


@pytest.fixture
async def sqlite_ui(sqlite_backend: Backend, serve: Callable[..., Any]) -> AsyncIterator[Ui]:
    """For page-level tests that do not depend on the storage backend."""
    app = create_app(sqlite_backend.settings())
    app[PRESENCE_GRACE_S] = 0.0
    server = await serve(app)
    running = Ui(server, app[HUB])
    yield running
    await running.close()
