"""Replies through the real outbox worker to the fake Bot API: sent, rate limited, blocked."""

from __future__ import annotations

from datetime import timedelta

from hub.models import Identity, Message, OutboxStatus
from tests.conftest import Backend, Clock

from .fake_api import TELEGRAM, FakeBotApi, error_reply
from .support import Bot, Serve, open_bot

ANNA_CHAT = "5823419076"


async def anna_writes(bot: Bot) -> int:
    assert (await bot.post_fixture("message__text.json")).status == 200
    [message] = await bot.all(Message)
    return message.conversation_id


async def test_reply_is_sent_and_gets_telegram_message_id(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    text = TELEGRAM.json("send_message__ok.json")["result"]["text"]
    outbox_id = await bot.reply(await anna_writes(bot), text)
    item = await bot.settled(outbox_id)
    assert item.status is OutboxStatus.sent and item.external_id == "1559"
    [call] = api.calls_of("sendMessage")
    assert call.params["chat_id"] == ANNA_CHAT and call.params["text"] == text
    assert "parse_mode" not in call.params  # plain text: nothing the operator typed is markup
    [reply] = await bot.all(Message, Message.id == item.message_id)
    assert reply.meta["delivery"]["status"] == "sent"


async def test_rate_limited_reply_waits_retry_after(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    clock = Clock()
    bot = await open_bot(backend, serve, api, clock=clock)
    api.queue("sendMessage", error_reply("error__429_too_many_requests.json"))
    outbox_id = await bot.reply(await anna_writes(bot), "Перезвоню через минуту")
    item = await bot.settled(outbox_id)
    assert item.status is OutboxStatus.queued and "23" in (item.error or "")
    assert item.next_attempt_at == clock.now + timedelta(seconds=23)

    clock.advance(22)
    await bot.deliver()
    assert (await bot.outbox(outbox_id)).status is OutboxStatus.queued
    assert len(api.calls_of("sendMessage")) == 1  # not retried before 23 s

    clock.advance(1)
    item = await bot.settled(outbox_id)
    assert item.status is OutboxStatus.sent and item.external_id == "1559"
    assert item.attempts == 2 and len(api.calls_of("sendMessage")) == 2


async def test_blocked_reply_fails_and_marks_the_client_unreachable(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    bot = await open_bot(backend, serve, api)
    api.queue("sendMessage", error_reply("error__403_bot_blocked.json"))
    conversation_id = await anna_writes(bot)
    item = await bot.settled(await bot.reply(conversation_id, "Анна, добрый день!"))
    assert item.status is OutboxStatus.failed
    assert item.error == "bot was blocked by the user"
    [identity] = await bot.all(Identity)
    assert identity.unreachable_reason == "bot was blocked by the user"

    # The next reply fails at once, without asking Telegram again.
    second = await bot.settled(await bot.reply(conversation_id, "Вы тут?"))
    assert second.status is OutboxStatus.failed
    assert "bot was blocked by the user" in (second.error or "")
    assert len(api.calls_of("sendMessage")) == 1
