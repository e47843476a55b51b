"""VK and the hub: reply files through the upload flow, and admins' messages sent in VK."""

from __future__ import annotations

from connectors.vk.outbound import random_id_for
from hub.actions import files, unit_of_work
from hub.actions.conversations import get_for_update
from hub.actions.messages import queue_reply
from hub.models import Direction, InboundEvent, Message, OutboxStatus
from tests.conftest import Backend, add_user
from tests.waiting import until

from .fake_vk import VK
from .support import Serve, VkSite, open_vk, settled

PHOTO = b"\x89PNG\r\n\x1a\n-zamer-photo"
PDF = b"%PDF-1.4 dogovor"


async def conversation_of_marina(site: VkSite) -> int:
    assert await site.post_fixture("message_new__text.json") == (200, "ok")
    [event] = await site.all(InboundEvent)
    assert event.conversation_id is not None
    return event.conversation_id


async def test_reply_files_from_the_store_go_through_the_upload_flow(
    backend: Backend, serve: Serve
) -> None:
    site = await open_vk(backend, serve)
    conversation_id = await conversation_of_marina(site)
    photo_id = await files.store(site.hub, PHOTO, "image/png")
    pdf_id = await files.store(site.hub, PDF, "application/pdf")
    operator = await add_user(site.hub, "vk-files", online=True)
    async with unit_of_work(site.hub) as uow:
        conversation = await get_for_update(uow, conversation_id)
        assert conversation is not None
        _, item = await queue_reply(uow, conversation, operator, "Фото замера и договор", [
            {"kind": "photo", "name": "замер.png", "mime_type": "image/png",
             "size": len(PHOTO), "file_id": photo_id},
            {"kind": "document", "name": "Договор №5.pdf", "mime_type": "application/pdf",
             "size": len(PDF), "file_id": pdf_id},
        ])  # fmt: skip
    row = await site.outbox_row(item.id, settled)
    assert row.status is OutboxStatus.sent, row.error
    assert [kind for kind, _, _ in site.vk.uploads] == ["photo", "doc"]
    assert [data for _, _, data in site.vk.uploads] == [PHOTO, PDF]
    assert site.vk.called("docs.save")[0]["title"] == "Договор №5.pdf"
    [send] = site.vk.called("messages.send")
    assert send["message"] == "Фото замера и договор" and send["attachment"].count(",") == 1


async def test_admin_messages_from_vk_are_kept_once_and_our_echo_is_not_doubled(
    backend: Backend, serve: Serve
) -> None:
    site = await open_vk(backend, serve)
    conversation_id = await conversation_of_marina(site)

    # An admin answers in VK's interface: Callback API message_reply.
    assert await site.post_fixture("message_reply__operator_outgoing.json") == (200, "ok")
    assert await site.post_fixture("message_reply__operator_outgoing.json") == (200, "ok")
    admin = await site.message("1881")
    assert admin.conversation_id == conversation_id
    assert admin.direction is Direction.outbound and admin.author_user_id is None
    assert admin.meta["sent_from"] == "vk" and admin.meta["admin_author_id"] == 154321987
    assert admin.text.startswith("Записали вас на среду")
    # The same message again under another event (long poll's message_new, out=1): once.
    again = VK.json("message_new__text.json")
    again["event_id"] = "77aa0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819"
    again["object"]["message"].update(out=1, from_id=-227118430, id=1881, text=admin.text)
    assert await site.post(again) == (200, "ok")
    assert len([m for m in await site.all(Message) if m.external_id == "1881"]) == 1

    # Our own reply: its echo confirms it, also on a node that did not send it (the
    # connector's memory of random_ids lost, as after a restart).
    outbox_id = await site.reply(conversation_id, "Марина, договор готов")
    row = await site.outbox_row(outbox_id, settled)
    assert row.status is OutboxStatus.sent and row.external_id == "1885"
    site.connector.outbox._sent.clear()
    echo = VK.json("message_reply__operator_outgoing.json")
    echo["event_id"] = "5e4d3c2b1a09f8e7d6c5b4a3928170615c0ffee5"
    echo["object"].update(id=1885, random_id=random_id_for(outbox_id), text="Марина, договор готов")
    assert await site.post(echo) == (200, "ok")

    async def processed() -> bool:
        events = [e for e in await site.all(InboundEvent) if e.external_id == echo["event_id"]]
        return bool(events) and events[0].status.value == "processed"

    await until(processed)
    outbound = [m for m in await site.all(Message) if m.direction is Direction.outbound]
    assert [m.external_id for m in outbound] == ["1881", None]
    assert outbound[1].meta["delivery"]["status"] == "sent"

    # To someone Okno never talked to: nothing to attach it to, so it is only logged.
    stranger = VK.json("message_reply__operator_outgoing.json")
    stranger["event_id"] = "0f0f0e1f2a3b4c5d6e7f8091a2b3c4d5e6f70819"
    stranger["object"].update(id=1890, peer_id=700000001)
    assert await site.post(stranger) == (200, "ok")
    [ignored] = [e for e in await site.all(InboundEvent) if e.external_id == stranger["event_id"]]
    assert ignored.status.value == "ignored" and "unknown client" in (ignored.last_error or "")
