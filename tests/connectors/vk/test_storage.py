"""VK Callback API fixtures through the real app on both backends: answers and stored effects."""

from __future__ import annotations

from hub.models import Contact, Conversation, Identity, InboundEvent, Message
from tests.conftest import Backend

from .fake_vk import USER_ID, VK
from .support import CONFIRMATION, Serve, VkSite, open_vk

MARINA = ("vk", str(USER_ID))


async def identities(site: VkSite) -> list[tuple[str, str]]:
    return [(i.kind.value, i.value) for i in await site.all(Identity)]


async def test_handshake_text_resend_and_refusals(backend: Backend, serve: Serve) -> None:
    site = await open_vk(backend, serve)
    assert await site.post_fixture("confirmation__request.json") == (200, CONFIRMATION)
    assert (await site.post_fixture("message_new__wrong_secret.json"))[0] == 403
    other_group = VK.json("message_new__text.json") | {"group_id": 1}
    assert (await site.post(other_group))[0] == 403
    status, body = await site.post(b'{"type": "message_new", "group_id": 22711')
    assert status == 400 and "not JSON" in body
    # From VK (its secret) but unreadable: kept raw and acknowledged, or VK sends it for ever.
    garbage = {
        **VK.json("message_new__text.json"),
        "event_id": "unreadable-1",
        "object": {"message": {"text": "x"}},
    }
    assert await site.post(garbage) == (200, "ok")
    typing = {**VK.json("longpoll__updates.json")["updates"][1], "secret": garbage["secret"]}
    assert await site.post(typing) == (200, "ok")
    [kept] = await site.all(InboundEvent)
    assert kept.external_id == "unreadable-1" and kept.status.value == "ignored"
    assert kept.last_error == "unreadable (malformed-event): from_id is missing or not a number"
    assert await site.count(Message) == 0

    # The next good event after all that is processed; VK's resend of it is stored once.
    sent = VK.json("message_new__text.json")
    assert await site.post_fixture("message_new__text.json") == (200, "ok")
    assert await site.post_fixture("message_new__text_retry.json") == (200, "ok")
    [_, event] = await site.all(InboundEvent)
    assert event.source == "vk:main" and event.external_id == sent["event_id"]
    [message] = await site.all(Message)
    assert message.text == sent["object"]["message"]["text"]
    assert message.external_id == "1871" and message.direction.value == "in"
    [contact] = await site.all(Contact)
    assert contact.name == "Марина Кравцова"  # users.get on the fake VK, once (cached)
    assert len(site.vk.called("users.get")) == 1
    assert await identities(site) == [MARINA]
    [conversation] = await site.all(Conversation)
    assert conversation.contact_id == contact.id and message.conversation_id == conversation.id


async def test_every_message_fixture_lands_in_marinas_conversation(
    backend: Backend, serve: Serve
) -> None:
    site = await open_vk(backend, serve)
    for name in (
        "message_new__text.json",
        "message_new__attachment_photo.json",
        "message_new__attachment_doc.json",
        "message_new__sticker.json",
        "message_new__audio_message.json",
        "message_new__reply.json",
        "message_new__fwd_messages.json",
        "message_new__keyboard_payload.json",
        "message_edit__text.json",
        "message_reply__operator_outgoing.json",
    ):
        assert await site.post_fixture(name) == (200, "ok"), name
    # The community's own message, as a message_new with out=1: not a customer's either,
    # but an admin's answer from VK's interface, kept as an outbound message.
    echo = VK.json("message_new__text.json")
    echo["event_id"] = "0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b"
    echo["object"]["message"].update(out=1, from_id=-227118430, id=1886, text="Спасибо!")
    assert await site.post(echo) == (200, "ok")

    assert await site.count(Conversation) == 1
    assert await site.count(InboundEvent) == 11  # 8 messages, the edit, 2 sent from VK
    assert sorted(m.external_id for m in await site.all(Message)) == [
        "1871",
        "1872",
        "1873",
        "1874",
        "1875",
        "1877",
        "1878",
        "1880",
        "1881",
        "1886",
    ]
    for ref in ("1881", "1886"):
        sent_from_vk = await site.message(ref)
        assert sent_from_vk.direction.value == "out" and sent_from_vk.author_user_id is None
        assert sent_from_vk.meta["sent_from"] == "vk"
    assert await identities(site) == [MARINA]  # the forwarded author is no contact

    edited = await site.message("1871")
    assert edited.text == VK.json("message_edit__text.json")["object"]["text"]
    assert edited.edited_at is not None and edited.meta["edits"][0]["text"].endswith("Мытищи")

    [image] = (await site.message("1872")).meta["attachments"]
    assert image["kind"] == "photo" and "size=1280x960" in image["url"]
    assert (image["meta"]["width"], image["meta"]["height"], image["meta"]["size_type"]) == (
        1280,
        960,
        "z",
    )
    [doc] = (await site.message("1873")).meta["attachments"]
    assert doc["name"] == "План квартиры Кравцова (БТИ) №2.pdf"
    assert doc["size"] == 1843377 and doc["mime_type"] == "application/pdf"
    sticker = await site.message("1874")
    [image] = sticker.meta["attachments"]
    assert sticker.text == "" and image["kind"] == "sticker"
    assert image["url"] == "https://vk.com/sticker/1-51577-512"
    [voice] = (await site.message("1875")).meta["attachments"]
    assert voice["kind"] == "voice" and voice["url"].endswith(".ogg")
    assert voice["meta"]["duration"] == 9 and voice["meta"]["link_mp3"].endswith(".mp3")

    reply = await site.message("1877")
    assert reply.meta["reply_to"]["message_ref"] == "1876"
    forward = await site.message("1878")
    assert forward.text == "Мне вас посоветовал сосед, вот его сообщение"
    [forwarded] = forward.meta["forwarded"]
    assert forwarded["from_id"] == 498765432 and forwarded["text"].startswith("Марин, вот фирма")
    button = await site.message("1880")
    assert button.meta["payload"] == {"command": "zamer", "day": "wed"}
