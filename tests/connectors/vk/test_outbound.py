"""Replies to VK: messages.send through the real outbox, errors, retries and uploads."""

from __future__ import annotations

import base64

from aiohttp import web

from connectors.base import Attachment, Outbound
from connectors.vk.outbound import random_id_for
from hub.models import Identity, InboundEvent, OutboxStatus
from tests.conftest import Backend

from .fake_vk import ERROR_6, USER_ID, VK, FakeVk
from .offline import make_connector
from .support import TOKEN, Serve, open_vk, settled

DENIED = "client unreachable: user denied messages from the community"
NO_PERMISSION = "Can't send messages for users without permission"


async def test_reply_is_sent_confirmed_by_echo_and_denied_users_are_not_called(
    backend: Backend, serve: Serve
) -> None:
    site = await open_vk(backend, serve)
    await site.post_fixture("message_new__text.json")
    [conversation_id] = [c.conversation_id for c in await site.all(InboundEvent)]

    outbox_id = await site.reply(conversation_id, "Марина, добрый день! От 17 900 ₽.")
    row = await site.outbox_row(outbox_id, settled)
    assert row.status is OutboxStatus.sent and row.external_id == "1885"
    [call] = site.vk.called("messages.send")
    assert call["peer_id"] == str(USER_ID) and call["message"].startswith("Марина, добрый")
    assert call["random_id"] == str(random_id_for(outbox_id))
    assert call["v"] == "5.199" and call["access_token"] == TOKEN

    # VK's message_reply echo of that send confirms it (matched by our random_id).
    echo = VK.json("message_reply__operator_outgoing.json")
    echo["event_id"] = "1c0ffee5e4d3c2b1a09f8e7d6c5b4a3928170615"
    echo["object"].update(id=1885, random_id=random_id_for(outbox_id))
    assert await site.post(echo) == (200, "ok")
    report = [e for e in await site.all(InboundEvent) if e.external_id == echo["event_id"]]
    assert [e.status.value for e in report] == ["processed"]

    assert await site.post_fixture("message_deny__unsubscribe.json") == (200, "ok")
    denied = await site.outbox_row(await site.reply(conversation_id, "Ещё вопрос"), settled)
    assert (denied.status, denied.error) == (OutboxStatus.failed, DENIED)
    assert len(site.vk.called("messages.send")) == 1  # VK was not called

    assert await site.post_fixture("message_allow__subscribe.json") == (200, "ok")
    allowed = await site.outbox_row(await site.reply(conversation_id, "Снова на связи"), settled)
    assert allowed.status is OutboxStatus.sent
    assert len(site.vk.called("messages.send")) == 2


async def test_rate_limit_retries_with_the_same_random_id_and_901_fails_for_good(
    backend: Backend, serve: Serve
) -> None:
    site = await open_vk(backend, serve)
    await site.post_fixture("message_new__text.json")
    [conversation_id] = [c.conversation_id for c in await site.all(InboundEvent)]

    site.vk.script("messages.send", ERROR_6)  # then the default: messages_send__ok.json
    outbox_id = await site.reply(conversation_id, "Минутку")
    row = await site.outbox_row(outbox_id, settled)
    assert row.status is OutboxStatus.sent and row.attempts == 2
    first, second = site.vk.called("messages.send")
    assert first["random_id"] == second["random_id"] == str(random_id_for(outbox_id))

    site.vk.script("messages.send", VK.json("messages_send__error_901.json"))
    refused = await site.outbox_row(await site.reply(conversation_id, "Алло?"), settled)
    assert (refused.status, refused.error, refused.attempts) == (
        OutboxStatus.failed,
        NO_PERMISSION,
        1,
    )
    assert len(site.vk.called("messages.send")) == 3  # not retried
    [identity] = await site.all(Identity)
    assert identity.unreachable_reason == NO_PERMISSION


async def test_files_go_through_vk_upload_flow() -> None:
    vk = await FakeVk().start()
    connector, _ = make_connector(vk)
    photo, pdf = b"\x89PNG\r\n\x1a\n-photo-bytes", b"%PDF-1.4 smeta"
    outbound = Outbound(
        outbox_id=41,
        conversation_id=7,
        text="Смета и фото",
        recipient=str(USER_ID),
        attachments=(
            Attachment(
                "photo", "okno.png", "image/png", content_b64=base64.b64encode(photo).decode()
            ),
            Attachment(
                "document",
                "Смета №17.pdf",
                "application/pdf",
                content_b64=base64.b64encode(pdf).decode(),
            ),
        ),
    )
    try:
        delivery = await connector.send(outbound)
    finally:
        await vk.close()
    assert delivery.status == "sent" and delivery.external_id == "1885"
    assert [c.name for c in vk.calls] == [
        "photos.getMessagesUploadServer",
        "upload:photo",
        "photos.saveMessagesPhoto",
        "docs.getMessagesUploadServer",
        "upload:doc",
        "docs.save",
        "messages.send",
    ]
    assert [(k, data) for k, _, data in vk.uploads] == [("photo", photo), ("doc", pdf)]
    assert vk.called("photos.saveMessagesPhoto")[0]["hash"] == "9e1"
    assert vk.called("docs.save")[0]["title"] == "Смета №17.pdf"
    [send] = vk.called("messages.send")
    assert send["attachment"] == "photo-227118430_457239601_5c8a1e,doc-227118430_678912399"


async def test_errors_without_an_answer_are_retried_and_long_text_is_split() -> None:
    vk = await FakeVk().start()
    connector, _ = make_connector(vk)
    reply = Outbound(outbox_id=5, conversation_id=1, text="Добрый день", recipient=str(USER_ID))
    vk.script("messages.send", web.Response(status=502, text="Bad Gateway"))
    assert (await connector.send(reply)).status == "retry"
    flood = {"error": {"error_code": 9, "error_msg": "Flood control"}}
    vk.script("messages.send", flood)
    retry = await connector.send(reply)
    assert (retry.status, retry.retry_after) == ("retry", 60.0)
    assert (await connector.send(Outbound(5, 1, "x", recipient="@marina"))).status == "failed"
    long_text = "Размеры: " + "1400×1300 " * 600
    vk.script("messages.send", {"response": 1890}, {"response": 1891})
    sent = await connector.send(Outbound(6, 1, long_text, recipient=str(USER_ID)))
    port = vk.server.port
    await vk.close()
    assert (sent.status, sent.external_id) == ("sent", "1890")
    parts = vk.called("messages.send")[-2:]
    assert [p["random_id"] for p in parts] == [str(random_id_for(6)), str(random_id_for(6, 1))]
    assert "".join(p["message"] for p in parts).replace(" ", "") == long_text.replace(" ", "")

    down, _ = make_connector(None, api_base=f"http://127.0.0.1:{port}/method/")
    assert (await down.send(reply)).status == "retry"
