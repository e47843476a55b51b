"""A robot writes: a reply template to the client through his conversation's channel (stored
in the thread, delivered to the fake Bot API), refused when the channel cannot send, held
until the working day; and notices to staff by e-mail (to aiosmtpd) and Telegram (to the
fake Bot API) beside the live one. Bad settings are refused per field."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from connectors.base import BaseConnector
from connectors.email import EmailConnector, EmailOptions
from connectors.telegram.connector import TelegramConnector
from connectors.telegram.options import TelegramOptions
from connectors.testing import FakeContext
from hub.core import Hub
from hub.host.staff_messages import send_due
from hub.models import (
    Conversation,
    Direction,
    Message,
    OutboxItem,
    OutboxStatus,
    ReplyTemplate,
    RobotRule,
    Role,
    StaffMessage,
    TemplateScope,
    User,
)
from hub.policy import DomainError, SystemActor
from robots import engine, manage
from tests.conftest import Backend, Clock, add_channel, add_user
from tests.connectors.email.servers import PASSWORD, USER, start_smtp
from tests.connectors.telegram.fake_api import TOKEN, FakeBotApi, Reply
from tests.connectors.telegram.support import Bot, Serve, open_bot
from tests.robots import world

ANNA_CHAT = "5823419076"
REPLY_BODY = "{{ client.name }}, здравствуйте! Ответим в течение часа."


@pytest.fixture
async def api() -> AsyncIterator[FakeBotApi]:
    server = FakeBotApi()
    await server.start()
    yield server
    await server.close()


async def company_template(hub: Hub, body: str = REPLY_BODY) -> int:
    async with hub.db.sessions() as session, session.begin():
        row = ReplyTemplate(
            scope=TemplateScope.company,
            locale="ru",
            name="Скоро ответим",
            body=body,
            search_text="",
            created_at=hub.clock(),
            updated_at=hub.clock(),
        )
        session.add(row)
        await session.flush()
        return row.id


def waiting_rule(template_id: int, **message: Any) -> dict[str, Any]:
    return {
        "trigger": {
            "type": "time",
            "state": "conversation.no_first_response",
            "after": {"amount": 5, "unit": "minutes"},
        },
        "actions": [{"type": "message", "template_id": template_id, **message}],
    }


async def robot_messages(hub: Hub, conversation_id: int) -> list[Message]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(Message)
            .where(
                Message.conversation_id == conversation_id,
                Message.direction == Direction.outbound,
            )
            .order_by(Message.id)
        )
        return list(rows.scalars())


async def test_template_reaches_the_client_through_his_telegram_once(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    clock = Clock()  # Monday 12:00 in Moscow: a working hour
    bot: Bot = await open_bot(backend, serve, api, clock=clock)
    hub = bot.hub
    assert (await bot.post_fixture("message__text.json")).status == 200
    [inbound] = await bot.all(Message)
    template_id = await company_template(hub)
    rule_id = await manage.create(
        hub,
        SystemActor(),
        name="Скоро ответим",
        description="",
        rule=waiting_rule(template_id),
        enabled=True,
    )
    clock.advance(4 * 60)
    await engine.tick(hub)
    assert await robot_messages(hub, inbound.conversation_id) == []

    clock.advance(60)
    await engine.tick(hub)
    [sent] = await robot_messages(hub, inbound.conversation_id)
    text = "Анна Соколова, здравствуйте! Ответим в течение часа."
    assert (sent.text, sent.author_user_id) == (text, None)
    assert sent.meta["robot"] == {"id": rule_id, "name": "Скоро ответим"}
    [item] = await bot.all(OutboxItem, OutboxItem.message_id == sent.id)
    delivered = await bot.settled(item.id)
    assert delivered.status is OutboxStatus.sent
    [call] = api.calls_of("sendMessage")
    assert (call.params["chat_id"], call.params["text"]) == (ANNA_CHAT, text)
    [firing] = await world.firings(hub, rule_id)
    assert [(r["type"], r["ok"]) for r in firing.results] == [("message", True)]
    assert firing.results[0]["result"]["message_id"] == sent.id
    # Not a person's answer: the client still waits for one.
    async with hub.db.sessions() as session:
        conversation = await session.get_one(Conversation, inbound.conversation_id)
    assert conversation.first_response_at is None

    clock.advance(3600)
    await engine.tick(hub)
    assert len(await robot_messages(hub, inbound.conversation_id)) == 1
    assert len(api.calls_of("sendMessage")) == 1


async def test_a_phone_line_cannot_carry_the_message(hub: Hub) -> None:
    clock = Clock()
    hub.clock = clock
    pbx = await add_channel(hub, "asterisk", "pbx")
    conversation_id = await world.conversation(
        hub, pbx, await world.contact(hub), team_id=None, at=clock.now
    )
    rule_id = await manage.create(
        hub,
        SystemActor(),
        name="Скоро ответим",
        description="",
        rule=waiting_rule(await company_template(hub)),
        enabled=True,
    )
    clock.advance(5 * 60)
    await engine.tick(hub)
    [firing] = await world.firings(hub, rule_id)
    assert firing.status == "done"
    [result] = firing.results
    assert (result["type"], result["ok"], result["result"]["id"]) == (
        "message",
        False,
        "channel-cannot-send",
    )
    assert await robot_messages(hub, conversation_id) == []
    async with hub.db.sessions() as session:
        assert (await session.execute(select(OutboxItem.id))).all() == []


async def test_outside_working_hours_the_message_waits_for_monday(hub: Hub) -> None:
    clock = Clock()
    clock.now = world.msk(2026, 6, 20, 12, 0)  # a Saturday
    hub.clock = clock
    channel_id = await add_channel(hub, "telegram", "bot")
    conversation_id = await world.conversation(
        hub, channel_id, await world.contact(hub, "Ольга"), team_id=None, at=clock.now
    )
    rule_id = await manage.create(
        hub,
        SystemActor(),
        name="Скоро ответим",
        description="",
        rule=waiting_rule(await company_template(hub)),
        enabled=True,
    )
    clock.advance(5 * 60)
    await engine.tick(hub)
    [firing] = await world.firings(hub, rule_id)
    assert (firing.status, firing.step, firing.retry_at) == (
        "pending",
        0,
        world.msk(2026, 6, 22, 9, 0),
    )
    assert await robot_messages(hub, conversation_id) == []

    clock.now = world.msk(2026, 6, 22, 8, 59)
    await engine.tick(hub)
    assert await robot_messages(hub, conversation_id) == []

    clock.now = world.msk(2026, 6, 22, 9, 0)
    await engine.tick(hub)
    [sent] = await robot_messages(hub, conversation_id)
    assert sent.text == "Ольга, здравствуйте! Ответим в течение часа."
    [firing] = await world.firings(hub, rule_id)
    assert (firing.status, firing.attempts) == ("done", 0)


class Running:
    """The node's running connectors, as the staff worker asks for them."""

    def __init__(self, **connectors: BaseConnector) -> None:
        self.connectors = connectors

    def get(self, kind: str, name: str) -> BaseConnector | None:
        return self.connectors.get(name)


async def test_staff_are_told_by_email_and_telegram_once(hub: Hub, api: FakeBotApi) -> None:
    clock = Clock()
    hub.clock = clock
    smtp = await start_smtp()
    mail = EmailConnector(
        FakeContext("email", "office"),
        EmailOptions(
            imap_host="127.0.0.1",
            smtp_host="127.0.0.1",
            smtp_port=smtp.port,
            smtp_starttls=False,
            username=USER,
            password=PASSWORD,
            address="robot@okno.example",
            from_name="Окно",
        ),
    )
    telegram = TelegramConnector(
        FakeContext("telegram", "bot"),
        TelegramOptions(token=TOKEN, mode="polling", api_base=api.base_url),
    )
    running = Running(office=mail, bot=telegram)
    try:
        office = await add_channel(hub, "email", "office")
        bot = await add_channel(hub, "telegram", "bot")
        manager = await add_user(hub, "petrov", name="Иван Петров")
        colleague = await add_user(hub, "sidorov", name="Пётр Сидоров")
        async with hub.db.sessions() as session, session.begin():
            petrov = await session.get_one(User, manager.id)
            petrov.email = "i.petrov@okno.example"
            petrov.telegram_chat_id = "700100200"
        team = await world.office_team(hub, "Продажи", (manager.id, colleague.id))
        assert team
        contact = await world.contact(hub)
        lead_id = await world.lead(hub, contact, clock.now, responsible=manager.id)
        rule = {
            "trigger": {
                "type": "time",
                "state": "lead.not_contacted",
                "after": {"amount": 2, "unit": "hours"},
            },
            "actions": [
                {
                    "type": "notify",
                    "to": "responsible",
                    "text": "Лид «{title}» ждёт звонка",
                    "email_channel_id": office,
                    "telegram_channel_id": bot,
                },
                {
                    "type": "notify",
                    "to": "user",
                    "user_id": colleague.id,
                    "text": "Помогите с лидом",
                    "email_channel_id": office,
                },
            ],
        }
        rule_id = await manage.create(
            hub, SystemActor(), name="Лид без контакта", description="", rule=rule, enabled=True
        )
        clock.advance(2 * 3600)
        await engine.tick(hub)
        [firing] = await world.firings(hub, rule_id)
        assert firing.object_id == lead_id
        told, helper = (r["result"] for r in firing.results)
        assert told["email"] == {"queued": [manager.id], "no_address": []}
        assert told["telegram"] == {"queued": [manager.id], "no_address": []}
        # Sidorov has no e-mail address: the live notice only.
        assert helper["email"] == {"queued": [], "no_address": [colleague.id]}

        assert await send_due(hub, running) == 2
        [sent] = smtp.recorder.messages
        assert (str(sent["To"]), str(sent["Subject"])) == (
            "i.petrov@okno.example",
            "Робот «Лид без контакта»: Лид «Заявка с сайта» ждёт звонка",
        )
        assert sent.get_content().rstrip() == "Лид «Заявка с сайта» ждёт звонка"
        [call] = api.calls_of("sendMessage")
        assert (call.params["chat_id"], call.params["text"]) == (
            "700100200",
            "Робот «Лид без контакта»\nЛид «Заявка с сайта» ждёт звонка",
        )
        async with hub.db.sessions() as session:
            rows = (
                await session.execute(
                    select(
                        StaffMessage.medium, StaffMessage.status, StaffMessage.attempts
                    ).order_by(StaffMessage.medium)
                )
            ).all()
        assert [tuple(r) for r in rows] == [("email", "sent", 1), ("telegram", "sent", 1)]

        clock.advance(3600)
        await engine.tick(hub)
        assert await send_due(hub, running) == 0
        assert len(smtp.recorder.messages) == 1 and len(api.calls_of("sendMessage")) == 1
    finally:
        await telegram.stop()
        smtp.server.close()
        await smtp.server.wait_closed()


async def test_a_refused_telegram_notice_is_retried_with_backoff(hub: Hub, api: FakeBotApi) -> None:
    clock = Clock()
    hub.clock = clock
    telegram = TelegramConnector(
        FakeContext("telegram", "bot"),
        TelegramOptions(token=TOKEN, mode="polling", api_base=api.base_url),
    )
    try:
        bot = await add_channel(hub, "telegram", "bot")
        manager = await add_user(hub, "petrov")
        async with hub.db.sessions() as session, session.begin():
            (await session.get_one(User, manager.id)).telegram_chat_id = "700100200"
        await world.lead(hub, await world.contact(hub), clock.now, responsible=manager.id)
        rule = {
            "trigger": {
                "type": "time",
                "state": "lead.not_contacted",
                "after": {"amount": 1, "unit": "hours"},
            },
            "actions": [
                {
                    "type": "notify",
                    "to": "responsible",
                    "text": "Позвоните",
                    "telegram_channel_id": bot,
                }
            ],
        }
        await manage.create(hub, SystemActor(), name="Лид", description="", rule=rule, enabled=True)
        clock.advance(3600)
        await engine.tick(hub)
        api.queue(
            "sendMessage",
            Reply(502, {"ok": False, "error_code": 502, "description": "Bad Gateway"}),
        )
        assert await send_due(hub, Running(bot=telegram)) == 0
        async with hub.db.sessions() as session:
            row = (await session.execute(select(StaffMessage))).scalar_one()
        assert (row.status, row.attempts) == ("queued", 1)
        assert row.next_attempt_at == clock.now + timedelta(seconds=30)
        assert "Telegram unreachable" in (row.last_error or "")

        clock.advance(29)
        assert await send_due(hub, Running(bot=telegram)) == 0
        assert len(api.calls_of("sendMessage")) == 1
        clock.advance(1)
        assert await send_due(hub, Running(bot=telegram)) == 1
        assert len(api.calls_of("sendMessage")) == 2
    finally:
        await telegram.stop()


async def test_bad_message_and_staff_settings_are_refused_per_field(hub: Hub) -> None:
    admin = await add_user(hub, "admin", Role.admin)
    phone = await add_channel(hub, "telegram", "bot")
    async with hub.db.sessions() as session, session.begin():
        personal = ReplyTemplate(
            scope=TemplateScope.personal,
            owner_id=admin.id,
            locale="ru",
            name="Моё",
            body="Привет",
            search_text="",
        )
        session.add(personal)
        await session.flush()
        personal_id = personal.id
    rule = waiting_rule(personal_id)
    rule["actions"].append(
        {"type": "notify", "to": "responsible", "text": "Ждёт", "email_channel_id": phone}
    )
    with pytest.raises(DomainError) as refused:
        await manage.create(hub, SystemActor(), name="x", description="", rule=rule)
    assert [(d["field"], d["type"]) for d in refused.value.details] == [
        ("actions.0.template_id", "no-such-template"),
        ("actions.1.email_channel_id", "no-such-channel"),
    ]
    deal_rule = {
        "trigger": {
            "type": "time",
            "state": "deal.stalled",
            "after": {"amount": 2, "unit": "days"},
        },
        "actions": [{"type": "message", "template_id": personal_id}],
    }
    with pytest.raises(DomainError) as refused:
        await manage.create(hub, SystemActor(), name="y", description="", rule=deal_rule)
    assert [(d["field"], d["type"]) for d in refused.value.details] == [
        ("actions.0.type", "not-for-object")
    ]
    async with hub.db.sessions() as session:
        assert (await session.execute(select(RobotRule.id))).all() == []
