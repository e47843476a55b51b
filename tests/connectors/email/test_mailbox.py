"""Every e-mail fixture delivered into a real Dovecot mailbox gives its documented result."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from hub.models import (
    Contact,
    Conversation,
    ConversationStatus,
    Identity,
    InboundEvent,
    Message,
    OutboxItem,
    OutboxStatus,
    StoredFile,
)
from tests.conftest import Backend

from .servers import Dovecot
from .support import MAILS, Mailbox, Serve, open_mailbox, seed_sent_mail

FORBIDDEN_IN_HTML = (
    "<script", "<iframe", "<form", "<object", "<base", "<svg", "<math", "<style", "<img",
    "<input", "onerror", "onload", "javascript:", "data:", "expression(", "tracker.example",
    "evil.example", "style=",
)  # fmt: skip


def plain_body(name: str) -> str:
    """The body of a single-part 8bit UTF-8 fixture, as written in the file."""
    body = MAILS.bytes(name).split(b"\r\n\r\n", 1)[1]
    return body.decode("utf-8").replace("\r\n", "\n").rstrip("\n")


async def message_of(box: Mailbox, message_id: str) -> tuple[Message, Conversation, Contact]:
    async with box.hub.db.sessions() as session:
        message = (
            await session.execute(select(Message).where(Message.external_id == message_id))
        ).scalar_one()
        conversation = await session.get_one(Conversation, message.conversation_id)
        contact = await session.get_one(Contact, conversation.contact_id)
    return message, conversation, contact


async def test_every_fixture_gives_its_documented_result(
    sqlite_backend: Backend, serve: Serve, dovecot: Dovecot
) -> None:
    box = await open_mailbox(sqlite_backend, serve, dovecot, None)
    await seed_sent_mail(box, closed=(42,))
    [before_42] = await box.rows(Conversation, Conversation.id == 42)

    # A vacation reply quoting [#42] opens nothing, does not reopen #42, resets no timer.
    await box.deliver_and_read(MAILS.bytes("autoreply__auto_submitted.eml"))
    assert await box.count(InboundEvent) == 0
    [after_42] = await box.rows(Conversation, Conversation.id == 42)
    assert after_42.status is ConversationStatus.closed
    assert after_42.waiting_since is None and after_42.last_message_at == before_42.last_message_at
    assert await box.count(Message, Message.conversation_id == 42) == 3

    # A bounce marks our message failed with the reason, opening nothing.
    await box.deliver_and_read(MAILS.bytes("bounce__dsn_failed_5_1_1.eml"))
    [bounced] = await box.rows(
        OutboxItem, OutboxItem.external_id == "<okno-conv-57-msg-1@okno.example>"
    )
    assert bounced.status is OutboxStatus.failed
    assert bounced.error is not None and bounced.error.startswith("550 5.1.1")
    assert "User unknown" in bounced.error
    assert await box.count(Conversation) == 3
    assert await box.count(Identity, Identity.value.like("mailer-daemon%")) == 0

    people = [
        "message__plain_utf8.eml",
        "message__windows1251_qp.eml",
        "message__koi8r_base64.eml",
        "message__subject_rfc2047_b_q_split.eml",
        "message__multipart_alternative_html_xss.eml",
        "message__attachment_rfc2231_cyrillic_name.eml",
        "reply__to_hub_in_reply_to.eml",
        "reply__outlook_original_message.eml",
        "message__no_message_id.eml",
        "message__malformed_date_broken_boundary.eml",
        "message__large_attachment_300kb.eml",
        "message__from_cyrillic_encoded_word.eml",
    ]
    positions = {name: await box.deliver(MAILS.bytes(name)) for name in people}
    await box.read_up_to(positions[people[-1]], timeout=30)
    # One stored event per mail (plus the bounce), one message each: nothing twice.
    assert await box.count(InboundEvent) == len(people) + 1
    assert await box.count(Message, Message.direction == "in") == len(people)

    message, conversation, contact = await message_of(
        box, "<2f6c1d0e-8a7b-4c3d-9e2f-1a2b3c4d5e6f@list.example>"
    )
    assert conversation.id not in (42, 51, 57)
    assert conversation.subject == "Заявка на замер окон"
    assert message.text == plain_body("message__plain_utf8.eml")
    [identity] = await box.rows(Identity, Identity.contact_id == contact.id)
    assert identity.value == "o.smirnova@list.example"

    message, conversation, contact = await message_of(
        box, "<1871503903.20260615093144@vector-mytishchi.example>"
    )
    assert contact.name == "Алексей Грачёв"
    assert conversation.subject == "Запрос КП: остекление офиса, 6 окон"
    for expected in ("с учётом демонтажа", "ООО «Вектор»", "до 250 000 руб.", "Грачёв"):
        assert expected in message.text + message.meta.get("quoted_text", "")
    assert not any(bad in message.text for bad in ("Ð", "Ã", "Ñ", "\ufffd"))

    message, conversation, contact = await message_of(
        box, "<aKzX3v1C2b9pQ0tR@shell.old-unix.example>"
    )
    assert conversation.subject == "Гарантийный ремонт створки"
    assert contact.name == "Борис Зайцев"
    assert message.text.startswith("Здравствуйте.\n\nПишу по поводу окон")
    assert "г. Королёв, ул. Калинина" in message.text

    _, conversation, _ = await message_of(box, "<1187191781506936@mail.yandex-mail.example>")
    assert (
        conversation.subject == "Срочно: замена 5 окон и балконной двери — нужен расчёт до пятницы"
    )

    message, _, contact = await message_of(
        box, "<CAKx7Vq3hT0pY1m_9sWq+z8Jr4eXbN2oQ5uF7gLk3dRc=A1vH8w@mail.gmail.example>"
    )
    assert contact.name == "Елена Ковалёва"
    assert message.text.startswith("Здравствуйте!\n\nПосмотрите, пожалуйста")  # the plain part
    assert "900×2100" in message.text and "<" not in message.text
    html = message.meta["html"]
    assert "Нужна дверь ПВХ на террасу" in html
    assert 'href="https://example.com/chertezh.pdf"' in html
    for bad in FORBIDDEN_IN_HTML:
        assert bad not in html.lower(), bad

    message, _, _ = await message_of(
        box, "<e8d1c2b3-0a49-4f1e-b6d7-3c2a1b0f9e8d@stroy-dom.example>"
    )
    [pdf] = message.meta["attachments"]
    assert pdf["name"] == "Счёт № 123 от 15.06.2026.pdf"
    assert pdf["mime_type"] == "application/pdf" and pdf["size"] == 609
    # The bytes live in the file store; the message keeps a reference only.
    [stored] = await box.rows(StoredFile, StoredFile.id == pdf["file_id"])
    data = stored.data
    assert "content_b64" not in pdf
    assert len(data) == 609 and data.startswith(b"%PDF-1.4")

    # Replies to our mail join their conversations, history collapsed but kept.
    message, conversation, _ = await message_of(
        box, "<5b0e2c1a-77f3-4d8e-a1c9-2f4b6d8e0a13@stroymontazh.example>"
    )
    assert conversation.id == 42 and conversation.status is ConversationStatus.open
    assert message.text.startswith("Мария, добрый день.")
    assert message.text.endswith("ООО «СтройМонтаж»") and ">" not in message.text
    assert message.meta["quoted_text"].startswith("15.06.2026 10:12, Окно — отдел продаж пишет:")
    assert "> Иван, добрый день!" in message.meta["quoted_text"]
    assert message.meta["thread_hint"] == 42

    message, conversation, _ = await message_of(
        box, "<a1b2c3d4e5f64718a9b0c1d2e3f40516@EXCH01.polimer.local>"
    )
    assert conversation.id == 51
    assert "Original Message" not in message.text
    assert message.text.endswith("тел. +7 (495) 987-65-43, доб. 112")
    assert message.meta["quoted_text"].startswith("-----Original Message-----\nОт: Окно")
    assert "Направляем счёт № 51-06" in message.meta["quoted_text"]

    # No Message-ID: processed normally, keyed by UIDVALIDITY and UID.
    validity, uid = positions["message__no_message_id.eml"]
    [event] = await box.rows(InboundEvent, InboundEvent.external_id == f"uid:{validity}:{uid}")
    async with box.hub.db.sessions() as session:
        conversation = await session.get_one(Conversation, event.conversation_id)
        [identity] = (
            await session.execute(
                select(Identity).where(Identity.contact_id == conversation.contact_id)
            )
        ).scalars()
    assert identity.value == "zakaz@shop-dveri.example"
    assert conversation.id not in (42, 51, 57)

    # Malformed: stored without a crash, receipt time as its date, body as raw text...
    message, _, _ = await message_of(box, "<20260615.125001.4411@okna-region.example>")
    assert "Здравствуйте! Предлагаем поставку стеклопакетов" in message.text
    assert message.meta["date_is_receipt_time"] is True
    received = datetime.fromisoformat(message.meta["date"])
    assert abs(received - datetime.now(UTC)) < timedelta(minutes=5)
    # ...and the next message is processed normally.
    message, _, _ = await message_of(box, "<1781518220.618273@mail.example>")
    [png] = message.meta["attachments"]
    [stored] = await box.rows(StoredFile, StoredFile.id == png["file_id"])
    data = stored.data
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) == 225_383 == png["size"]
    assert png["name"] == "zamer_kuhnya_2026-06-14.png" and png["mime_type"] == "image/png"

    _, _, contact = await message_of(box, "<1781520050.771402@mail.example>")
    assert contact.name == "Волкова Екатерина Дмитриевна"


async def test_garbage_does_not_stop_the_mailbox(
    sqlite_backend: Backend, serve: Serve, dovecot: Dovecot
) -> None:
    box = await open_mailbox(sqlite_backend, serve, dovecot, None)
    garbage = (
        b"\xff\xfe\x00garbage\r\n--\r\nContent-Type: multipart/mixed; boundary=\r\n\r\n\x00\x01"
    )
    await box.deliver(garbage)
    await box.deliver_and_read(MAILS.bytes("message__plain_utf8.eml"))
    assert await box.count(InboundEvent) == 2
    [raw_one, plain] = await box.rows(Message)
    assert "garbage" in raw_one.text and "\x00" not in raw_one.text
    assert plain.text == plain_body("message__plain_utf8.eml")
