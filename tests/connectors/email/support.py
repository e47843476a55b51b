"""A running hub with an e-mail channel on the test Dovecot and aiosmtpd, plus helpers."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from connectors.testing import Fixtures
from hub.actions import channel_state, unit_of_work
from hub.actions.channels import create_channel
from hub.actions.contacts import NormalisedIdentity, create_lead
from hub.actions.conversations import close
from hub.core import Hub
from hub.host.app import create_app
from hub.host.appkeys import HUB, RUNNER
from hub.host.channels import spec_of
from hub.models import (
    Channel,
    Conversation,
    ConversationStatus,
    Direction,
    IdentityKind,
    Message,
    OutboxItem,
    OutboxStatus,
)
from tests.conftest import Backend
from tests.waiting import until

from .servers import PASSWORD, USER, Dovecot, SmtpServer

MAILS = Fixtures("email")
ADDRESS = "sales@okno.example"
FROM_NAME = "Окно — отдел продаж"
CHECKPOINT = "imap:INBOX"
Serve = Callable[[web.Application], Awaitable[TestClient]]


def channel_options(dovecot: Dovecot, smtp: SmtpServer | None, **extra: Any) -> dict[str, Any]:
    return {
        "imap_host": "127.0.0.1",
        "imap_port": dovecot.port,
        "imap_ssl": False,
        "smtp_host": "127.0.0.1",
        "smtp_port": smtp.port if smtp else 1,
        "smtp_starttls": False,
        "username": USER,
        "password": PASSWORD,
        "address": ADDRESS,
        "from_name": FROM_NAME,
        "idle_timeout_s": 5,
        "poll_interval_s": 0.2,
        "timeout_s": 5,
        **extra,
    }


@dataclass
class Mailbox:
    app: web.Application
    channel: Channel
    dovecot: Dovecot

    @property
    def hub(self) -> Hub:
        return self.app[HUB]

    async def start(self) -> None:
        await self.app[RUNNER].start_channel(spec_of(self.channel))

    async def stop(self) -> None:
        await self.app[RUNNER].stop_channel("email", self.channel.name)

    async def checkpoint(self) -> str | None:
        return await channel_state.read(self.hub, self.channel.id, CHECKPOINT)

    async def set_checkpoint(self, value: str) -> None:
        await channel_state.write(self.hub, self.channel.id, CHECKPOINT, value)

    async def deliver(self, raw: bytes) -> tuple[int, int]:
        return await self.dovecot.append(raw)

    async def read_up_to(self, position: tuple[int, int], timeout: float = 15.0) -> None:
        """Wait until the connector has checkpointed past this (UIDVALIDITY, UID)."""
        validity, uid = position

        async def done() -> bool:
            value = await self.checkpoint()
            if value is None:
                return False
            seen_validity, _, seen_uid = value.partition(":")
            return int(seen_validity) == validity and int(seen_uid) >= uid

        await until(done, timeout, what=f"the checkpoint past {position}")

    async def deliver_and_read(self, raw: bytes) -> tuple[int, int]:
        position = await self.deliver(raw)
        await self.read_up_to(position)
        return position

    async def count(self, model: type, *where: Any) -> int:
        async with self.hub.db.sessions() as session:
            stmt = select(func.count()).select_from(model).where(*where)
            return int((await session.execute(stmt)).scalar_one())

    async def rows(self, model: type, *where: Any) -> list[Any]:
        async with self.hub.db.sessions() as session:
            return list((await session.execute(select(model).where(*where))).scalars())

    async def message_by_ref(self, ref: str) -> Message:
        [message] = await self.rows(Message, Message.external_id == ref)
        return message


async def open_mailbox(
    backend: Backend, serve: Serve, dovecot: Dovecot, smtp: SmtpServer | None, **extra: Any
) -> Mailbox:
    app = create_app(backend.settings())
    await serve(app)
    async with unit_of_work(app[HUB]) as uow:
        channel = await create_channel(
            uow, "email", "sales", channel_options(dovecot, smtp, **extra)
        )
    box = Mailbox(app, channel, dovecot)
    await box.start()
    return box


# The outbound mail the fixtures answer or bounce (fixtures README, "Email tests must first
# seed"): conversation id -> (client address, client name, subject, our Message-IDs).
SEEDED = {
    42: (
        "ivan.petrov@stroymontazh.example",
        "Иван Петров",
        "Коммерческое предложение",
        (
            "<okno-conv-42-msg-1@okno.example>",
            "<okno-conv-42-msg-7@okno.example>",
            "<okno-conv-42-msg-8@okno.example>",
        ),
    ),
    51: (
        "gusev@zavod-polimer.example",
        "Гусев Виктор Андреевич",
        "Счёт на остекление цеха",
        ("<okno-conv-51-msg-3@okno.example>",),
    ),
    57: (
        "olga.smirnova@list.example",
        "Ольга Смирнова",
        "Ваша заявка на замер",
        ("<okno-conv-57-msg-1@okno.example>",),
    ),
}


async def seed_sent_mail(box: Mailbox, closed: tuple[int, ...] = ()) -> None:
    """Conversations 42, 51, 57 on this channel with our sent replies (explicit ids)."""
    async with unit_of_work(box.hub) as uow:
        channel = await uow.session.get_one(Channel, box.channel.id)
        for conversation_id, (address, name, subject, wire_ids) in SEEDED.items():
            identity = NormalisedIdentity(IdentityKind.email, address, address)
            contact, lead = await create_lead(uow, name, [identity], "email", {}, subject)
            now = uow.now()
            conversation = Conversation(
                id=conversation_id,
                contact_id=contact.id,
                channel_id=channel.id,
                lead_id=lead.id,
                subject=subject,
                status=ConversationStatus.open,
                created_at=now,
                last_message_at=now,
            )
            uow.session.add(conversation)
            await uow.session.flush()
            for wire_id in wire_ids:
                message = Message(
                    conversation_id=conversation_id,
                    direction=Direction.outbound,
                    text=f"our reply {wire_id}",
                    meta={"delivery": {"status": "sent"}},
                    created_at=now,
                )
                uow.session.add(message)
                await uow.session.flush()
                uow.session.add(
                    OutboxItem(
                        message_id=message.id,
                        conversation_id=conversation_id,
                        channel_id=channel.id,
                        status=OutboxStatus.sent,
                        external_id=wire_id,
                        created_at=now,
                        sent_at=now,
                        next_attempt_at=None,
                    )
                )
            if conversation_id in closed:
                await close(uow, conversation)
