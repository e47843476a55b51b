"""Long polling against the fake Bot API: order, offset only after storing, 409, restarts."""

from __future__ import annotations

import asyncio
import contextlib
import copy
from typing import Any

import pytest
from sqlalchemy import select

from connectors.telegram.options import TelegramOptions
from connectors.telegram.polling import Poller
from connectors.telegram.runtime import TelegramRuntime
from hub.host.appkeys import RUNNER
from hub.host.channels import spec_of
from hub.models import Channel, ChannelState, InboundEvent, Message
from tests.conftest import Backend

from .fake_api import TELEGRAM, TOKEN, FakeBotApi, Reply, error_reply
from .support import Bot, Serve, offline_context, open_bot

THREE = TELEGRAM.json("get_updates__three_updates.json")["result"]
NEXT_OFFSET = 781234533


def later_text(update_id: int, message_id: int, text: str) -> dict[str, Any]:
    """Игорь writes again: the first update of the batch with new ids and text."""
    update = copy.deepcopy(THREE[0])
    update["update_id"] = update_id
    update["message"].update(message_id=message_id, text=text)
    return update


def offset_of(call: Any) -> int | None:
    offset = call.params.get("offset")
    return int(offset) if offset is not None else None


async def open_poller(backend: Backend, serve: Serve, api: FakeBotApi) -> Bot:
    return await open_bot(backend, serve, api, mode="polling", webhook_secret=None, poll_timeout=1)


async def saved_offset(bot: Bot) -> str | None:
    async with bot.hub.db.sessions() as session:
        stmt = select(ChannelState.value).where(ChannelState.key == "offset")
        return (await session.execute(stmt)).scalar_one_or_none()


async def test_three_updates_in_order_then_the_next_offset(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    api.queue_updates(*THREE)
    bot = await open_poller(backend, serve, api)
    api.snapshot = lambda: bot.count(InboundEvent)

    acknowledged = await api.wait_for("getUpdates", lambda c: offset_of(c) == NEXT_OFFSET)
    assert acknowledged.snapshot == 3  # all three stored before the offset moved on
    methods = [c.method for c in api.calls]
    assert methods.index("deleteWebhook") < methods.index("getUpdates")
    first = api.calls_of("getUpdates")[0]
    assert offset_of(first) is None and first.params["timeout"] == "1"

    assert await bot.external_ids() == ["781234530", "781234531", "781234532"]
    messages = await bot.all(Message)
    assert [m.text for m in messages] == [
        "Добрый день! Интересует входная дверь в частный дом",
        "Двери",
        "Проём вот такой, 860×2050",
    ]
    assert messages[1].meta["button"]["data"] == "topic:doors"
    assert messages[2].meta["attachments"][0]["meta"]["width"] == 1280
    [answer] = api.calls_of("answerCallbackQuery")
    assert answer.params["callback_query_id"] == "2628620198513307811"
    assert await saved_offset(bot) == str(NEXT_OFFSET)


async def test_restart_resumes_from_the_checkpoint_and_a_repeat_is_stored_once(
    backend: Backend, api: FakeBotApi, serve: Serve
) -> None:
    api.queue_updates(*THREE)
    bot = await open_poller(backend, serve, api)
    await api.wait_for("getUpdates", lambda c: offset_of(c) == NEXT_OFFSET)

    # The node restarts; Telegram, not having seen the acknowledgement, sends the last again.
    api.calls.clear()
    [channel] = await bot.all(Channel)
    await bot.app[RUNNER].stop_channel("telegram", "main")
    api.queue_updates(THREE[2], later_text(781234533, 312, "Когда сможете приехать?"))
    await bot.app[RUNNER].start_channel(spec_of(channel))

    resumed = await api.wait_for("getUpdates")
    assert offset_of(resumed) == NEXT_OFFSET
    await api.wait_for("getUpdates", lambda c: offset_of(c) == NEXT_OFFSET + 1)
    assert await bot.external_ids() == ["781234530", "781234531", "781234532", "781234533"]
    assert await bot.count(Message) == 4
    assert await saved_offset(bot) == str(NEXT_OFFSET + 1)


async def test_conflict_409_backs_off_without_losing_the_offset(
    backend: Backend, api: FakeBotApi, serve: Serve, caplog: pytest.LogCaptureFixture
) -> None:
    api.queue_updates(*THREE)
    api.queue("getUpdates", error_reply("error__409_conflict_getupdates.json"))
    api.queue_updates(later_text(781234533, 312, "Есть кто?"))
    bot = await open_poller(backend, serve, api)

    await api.wait_for("getUpdates", lambda c: offset_of(c) == NEXT_OFFSET + 1)
    offsets = [offset_of(c) for c in api.calls_of("getUpdates")]
    # The refused poll is repeated with the same offset, then the poller carries on.
    assert offsets[:4] == [None, NEXT_OFFSET, NEXT_OFFSET, NEXT_OFFSET + 1]
    assert "terminated by other getUpdates request" in caplog.text
    assert await bot.count(InboundEvent) == 4
    assert await saved_offset(bot) == str(NEXT_OFFSET + 1)


async def test_storage_failure_keeps_the_unstored_updates_unacknowledged(
    api: FakeBotApi,
) -> None:
    ctx = offline_context()
    ctx.fail_submit = lambda item: item.external_id == "781234531"
    options = TelegramOptions(token=TOKEN, api_base=api.base_url, poll_timeout=1)
    runtime = TelegramRuntime(ctx, options)
    api.queue_updates(*THREE)
    poller = Poller(runtime.bot, ctx, runtime.process_update, timeout=1)
    try:
        with pytest.raises(ConnectionError):
            await asyncio.wait_for(poller.run(), 10)
        # Only the first update was stored, so only it is acknowledged.
        assert ctx.stored == ["781234530"]
        assert ctx.checkpoints == {"offset": "781234531"}
        assert api.calls_of("answerCallbackQuery") == []

        # Restarted (as the runner does), it asks again from the first unstored update.
        ctx.fail_submit = lambda item: False
        api.queue_updates(*THREE[1:])
        task = asyncio.create_task(poller.run())
        await api.wait_for("getUpdates", lambda c: offset_of(c) == NEXT_OFFSET)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        assert offset_of(api.calls_of("getUpdates")[1]) == 781234531
        assert ctx.stored == ["781234530", "781234531", "781234532"]
        assert ctx.checkpoints == {"offset": str(NEXT_OFFSET)}
    finally:
        await runtime.stop()


async def test_the_link_is_reported_lost_on_a_failed_poll_and_up_on_the_next_answer(
    api: FakeBotApi,
) -> None:
    ctx = offline_context()
    options = TelegramOptions(token=TOKEN, api_base=api.base_url, poll_timeout=1)
    runtime = TelegramRuntime(ctx, options)
    bad_gateway = {"ok": False, "error_code": 502, "description": "Bad Gateway"}
    api.queue("getUpdates", Reply(502, bad_gateway))
    api.queue("getUpdates", Reply(502, bad_gateway))
    api.queue_updates(*THREE)
    poller = Poller(runtime.bot, ctx, runtime.process_update, timeout=1)
    task = asyncio.create_task(poller.run())
    try:
        await api.wait_for("getUpdates", lambda c: offset_of(c) == NEXT_OFFSET)
        # Told once when the polls start failing, once when one is answered; a second
        # failure or more answers change nothing (the gauge is set, not counted).
        assert ctx.link_states == [False, True]
        assert ctx.stored == ["781234530", "781234531", "781234532"]
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await runtime.stop()
