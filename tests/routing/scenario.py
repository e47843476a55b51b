"""A small world for routing scenarios: teams, operators, a channel, clients, a clock."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from connectors.base import IdentityClaim, InboundMessage, Sender
from hub.actions import unit_of_work
from hub.actions.conversations import close
from hub.core import Hub
from hub.models import (
    Channel,
    Contact,
    ContactStatus,
    Conversation,
    Identity,
    IdentityKind,
    Presence,
    RoutingDecision,
    Strategy,
    Team,
    TeamMember,
    User,
)
from routing import presence as presence_module
from routing import sweeper
from routing.ingest import Ingestor
from tests.conftest import Clock, add_user


@dataclass
class World:
    hub: Hub
    clock: Clock
    users: dict[str, User] = field(default_factory=dict)
    teams: dict[str, int] = field(default_factory=dict)
    channels: dict[str, int] = field(default_factory=dict)
    sent: int = 0

    @classmethod
    async def create(cls, hub: Hub) -> World:
        clock = Clock()
        hub.clock = clock
        return cls(hub, clock)

    async def team(self, name: str, **options: Any) -> int:
        async with self.hub.db.sessions() as session, session.begin():
            team = Team(name=name, **options)
            session.add(team)
            await session.flush()
            self.teams[name] = team.id
            return team.id

    async def operator(
        self,
        login: str,
        capacity: int = 5,
        online: bool = True,
        teams: tuple[str, ...] = (),
        skills: tuple[str, ...] = (),
    ) -> User:
        user = await add_user(self.hub, login, max_conversations=capacity, online=online)
        async with self.hub.db.sessions() as session, session.begin():
            db_user = await session.get_one(User, user.id)
            db_user.presence_at = self.clock.now
            db_user.skills = list(skills)
            for team in teams:
                session.add(TeamMember(team_id=self.teams[team], user_id=user.id))
        self.users[login] = user
        return user

    async def channel(self, kind: str, name: str, team: str | None = None) -> None:
        async with self.hub.db.sessions() as session, session.begin():
            channel = Channel(
                kind=kind,
                name=name,
                title=name,
                options={},
                enabled=True,
                team_id=self.teams[team] if team else None,
                created_at=self.clock.now,
            )
            session.add(channel)
            await session.flush()
            self.channels[name] = channel.id

    async def client(self, phone: str, owner: str | None = None) -> int:
        async with self.hub.db.sessions() as session, session.begin():
            contact = Contact(
                name=f"Client {phone}",
                status=ContactStatus.client,
                custom_fields={},
                responsible_user_id=self.users[owner].id if owner else None,
                created_at=self.clock.now,
                updated_at=self.clock.now,
            )
            session.add(contact)
            await session.flush()
            session.add(
                Identity(
                    contact_id=contact.id,
                    kind=IdentityKind.phone,
                    value=phone,
                    raw=phone,
                    created_at=self.clock.now,
                )
            )
            return contact.id

    async def inbound(self, phone: str, channel: str = "chat", kind: str = "telegram") -> int:
        self.sent += 1
        receipt = await Ingestor(self.hub).submit(
            InboundMessage(
                kind,
                channel,
                f"m{self.sent}",
                Sender("Клиент", (IdentityClaim("phone", phone),)),
                f"hello {self.sent}",
            )
        )
        assert receipt.conversation_id is not None
        return receipt.conversation_id

    async def conversation(self, conversation_id: int) -> Conversation:
        async with self.hub.db.sessions() as session:
            return await session.get_one(Conversation, conversation_id)

    async def holder(self, conversation_id: int) -> str | None:
        conversation = await self.conversation(conversation_id)
        for login, user in self.users.items():
            if user.id == conversation.assignee_id:
                return login
        return None

    async def decisions(self, conversation_id: int) -> list[str]:
        async with self.hub.db.sessions() as session:
            rows = await session.execute(
                select(RoutingDecision.kind, RoutingDecision.reason)
                .where(RoutingDecision.conversation_id == conversation_id)
                .order_by(RoutingDecision.id)
            )
            return [f"{kind}: {reason}" for kind, reason in rows]

    async def set_presence(self, login: str, value: Presence) -> None:
        await presence_module.change(self.hub, self.users[login].id, value)

    async def close(self, conversation_id: int) -> None:
        async with unit_of_work(self.hub) as uow:
            conversation = await uow.session.get_one(Conversation, conversation_id)
            await close(uow, conversation)

    async def tick(self, seconds: float) -> None:
        """Move time on and let the sweeper do what it would do then."""
        self.clock.advance(seconds)
        async with self.hub.db.sessions() as session, session.begin():
            # Browsers of online operators keep beating while time passes.
            for user in (await session.execute(select(User))).scalars():
                if user.presence is not Presence.offline:
                    user.presence_at = self.clock.now
        await sweeper.sweep(self.hub)


STRATEGIES = [s.value for s in Strategy]
