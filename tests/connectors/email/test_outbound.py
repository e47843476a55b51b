"""Replies from Okno through aiosmtpd: threading headers, the answer coming back, SMTP errors."""

from __future__ import annotations

import base64
import logging
from email.message import EmailMessage
from types import SimpleNamespace

from connectors.base import Attachment, Outbound
from connectors.email import EmailConnector, EmailOptions
from connectors.email.headers import first_address
from hub.actions import unit_of_work
from hub.actions.conversations import close
from hub.actions.messages import queue_reply
from hub.models import Conversation, ConversationStatus, Message, OutboxItem, OutboxStatus, User
from tests.conftest import Backend, add_user
from tests.waiting import until

from .servers import Dovecot, SmtpServer, free_port
from .support import (
    ADDRESS,
    FROM_NAME,
    MAILS,
    Mailbox,
    Serve,
    channel_options,
    open_mailbox,
)

OLGA_MAIL_ID = "<2f6c1d0e-8a7b-4c3d-9e2f-1a2b3c4d5e6f@list.example>"


async def reply(box: Mailbox, conversation_id: int, author: User, text: str) -> OutboxItem:
    async with unit_of_work(box.hub) as uow:
        conversation = await uow.session.get_one(Conversation, conversation_id)
        _, item = await queue_reply(uow, conversation, author, text)
    return item


async def settled(box: Mailbox, item: OutboxItem) -> OutboxItem:
    """The outbox row once the app's worker has delivered or failed it."""

    async def check() -> OutboxItem | None:
        [row] = await box.rows(OutboxItem, OutboxItem.id == item.id)
        return row if row.status is not OutboxStatus.queued else None

    return await until(check, 15, what=f"outbox item {item.id} settled")


def client_answer(to_message_id: str, subject: str, sender: str, text: str, mid: str) -> bytes:
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = f"{FROM_NAME} <{ADDRESS}>"
    mail["Subject"] = subject
    mail["Message-ID"] = mid
    if to_message_id:
        mail["In-Reply-To"] = to_message_id
        mail["References"] = f"{OLGA_MAIL_ID} {to_message_id}"
    mail.set_content(f"{text}\n\n> our earlier reply\n")
    return mail.as_bytes()


async def test_reply_is_threaded_and_the_answer_joins_the_conversation(
    backend: Backend, serve: Serve, dovecot: Dovecot, smtp: SmtpServer
) -> None:
    box = await open_mailbox(backend, serve, dovecot, smtp)
    await box.deliver_and_read(MAILS.bytes("message__plain_utf8.eml"))
    inbound = await box.message_by_ref(OLGA_MAIL_ID)
    conversation_id = inbound.conversation_id
    maria = await add_user(box.hub, "maria", name="Мария Лукина")

    item = await settled(box, await reply(box, conversation_id, maria, "Ольга, записали на замер."))
    assert item.status is OutboxStatus.sent, item.error
    [sent] = smtp.recorder.messages
    assert smtp.recorder.authenticated == [True]
    # Python's own address parser mangles names split over encoded-words; ours does not.
    assert first_address(sent, "from") == (f"Мария Лукина via {FROM_NAME}", ADDRESS)
    assert str(sent["To"]) == "o.smirnova@list.example"
    assert str(sent["Subject"]) == f"Re: [#{conversation_id}] Заявка на замер окон"
    expected_id = f"<okno-conv-{conversation_id}-msg-{item.message_id}@okno.example>"
    assert str(sent["Message-ID"]) == expected_id == item.external_id
    assert str(sent["In-Reply-To"]) == OLGA_MAIL_ID
    assert str(sent["References"]) == OLGA_MAIL_ID
    assert sent.get_content().replace("\r\n", "\n") == "Ольга, записали на замер.\n"

    # The client answers our mail after the conversation was closed: it is reopened.
    async with unit_of_work(box.hub) as uow:
        await close(uow, await uow.session.get_one(Conversation, conversation_id))
    answer_id = "<answer-1@list.example>"
    await box.deliver_and_read(
        client_answer(
            expected_id,
            str(sent["Subject"]).replace("Re:", "RE:"),
            "Ольга Смирнова <o.smirnova@list.example>",
            "Спасибо, жду.",
            answer_id,
        )
    )
    answer = await box.message_by_ref(answer_id)
    assert answer.conversation_id == conversation_id
    assert answer.text == "Спасибо, жду." and answer.meta["quoted_text"] == "> our earlier reply"
    [conversation] = await box.rows(Conversation, Conversation.id == conversation_id)
    assert conversation.status is ConversationStatus.open

    # The next reply answers the latest mail and carries the whole chain.
    item = await settled(box, await reply(box, conversation_id, maria, "Хорошо."))
    second = smtp.recorder.messages[-1]
    assert str(second["In-Reply-To"]) == answer_id
    assert str(second["References"]).split() == [OLGA_MAIL_ID, expected_id, answer_id]

    # A colleague writing from another address with only the [#N] marker joins it too.
    await box.deliver_and_read(
        client_answer(
            "",
            f"Fwd: [#{conversation_id}] Заявка на замер окон",
            "Пётр <petr@office.example>",
            "Я муж Ольги, подтверждаю.",
            "<colleague-1@office.example>",
        )
    )
    colleague = await box.message_by_ref("<colleague-1@office.example>")
    assert colleague.conversation_id == conversation_id
    assert await box.count(Message, Message.conversation_id == conversation_id) == 5


async def test_smtp_550_fails_the_reply_with_the_server_reason(
    sqlite_backend: Backend, serve: Serve, dovecot: Dovecot, smtp: SmtpServer
) -> None:
    refusal = "550 5.1.1 <o.smirnova@list.example>: Recipient address rejected: User unknown"
    smtp.recorder.refuse["o.smirnova@list.example"] = refusal
    box = await open_mailbox(sqlite_backend, serve, dovecot, smtp)
    await box.deliver_and_read(MAILS.bytes("message__plain_utf8.eml"))
    inbound = await box.message_by_ref(OLGA_MAIL_ID)
    maria = await add_user(box.hub, "maria", name="Мария Лукина")
    item = await settled(box, await reply(box, inbound.conversation_id, maria, "Здравствуйте!"))
    assert item.status is OutboxStatus.failed
    assert item.error == refusal
    [message] = await box.rows(Message, Message.id == item.message_id)
    assert message.meta["delivery"] == {
        "status": "failed",
        "at": message.meta["delivery"]["at"],
        "error": refusal,
    }
    assert smtp.recorder.messages == []


def connector_for(options: dict[str, object]) -> EmailConnector:
    """The connector alone (no hub): send() needs only the options and a logger."""
    ctx = SimpleNamespace(channel_name="sales", log=logging.getLogger("test.email"))
    return EmailConnector(ctx, EmailOptions.model_validate(options))  # type: ignore[arg-type]


def outbound(**changes: object) -> Outbound:
    values: dict[str, object] = {
        "outbox_id": 1,
        "conversation_id": 42,
        "text": "Счёт во вложении.",
        "recipient": "ivan.petrov@stroymontazh.example",
        "author_name": "Мария Лукина",
        "meta": {
            "message_id": 9,
            "subject": "Коммерческое предложение",
            "in_reply_to": "<5b0e2c1a@stroymontazh.example>",
            "references": ["<okno-conv-42-msg-7@okno.example>"],
        },
    }
    values.update(changes)
    return Outbound(**values)  # type: ignore[arg-type]


async def test_attachments_go_out_intact(dovecot: Dovecot, smtp: SmtpServer) -> None:
    pdf = b"%PDF-1.4 test \x00\xff" * 100
    connector = connector_for(channel_options(dovecot, smtp))
    delivery = await connector.send(
        outbound(
            attachments=(
                Attachment(
                    "file",
                    "Счёт № 42 от 15.06.2026.pdf",
                    "application/pdf",
                    len(pdf),
                    content_b64=base64.b64encode(pdf).decode(),
                ),
            )
        )
    )
    assert delivery.status == "sent"
    assert delivery.external_id == "<okno-conv-42-msg-9@okno.example>"
    [sent] = smtp.recorder.messages
    assert str(sent["References"]).split() == [
        "<okno-conv-42-msg-7@okno.example>",
        "<5b0e2c1a@stroymontazh.example>",
    ]
    [attached] = list(sent.iter_attachments())
    assert attached.get_filename() == "Счёт № 42 от 15.06.2026.pdf"
    assert attached.get_content_type() == "application/pdf"
    assert attached.get_content() == pdf


async def test_temporary_smtp_trouble_is_retried(dovecot: Dovecot, smtp: SmtpServer) -> None:
    smtp.recorder.refuse["ivan.petrov@stroymontazh.example"] = "451 4.3.0 Try again later"
    delivery = await connector_for(channel_options(dovecot, smtp)).send(outbound())
    assert delivery.status == "retry" and delivery.error is not None
    assert "451 4.3.0 Try again later" in delivery.error

    nobody_listens = channel_options(dovecot, smtp, smtp_port=free_port())
    delivery = await connector_for(nobody_listens).send(outbound())
    assert delivery.status == "retry" and "SMTP unavailable" in (delivery.error or "")

    wrong_password = channel_options(dovecot, smtp, password="wrong")
    delivery = await connector_for(wrong_password).send(outbound())
    assert delivery.status == "retry" and "login refused" in (delivery.error or "")
    assert smtp.recorder.messages == []


async def test_a_reply_without_its_message_id_is_not_sent(
    dovecot: Dovecot, smtp: SmtpServer
) -> None:
    delivery = await connector_for(channel_options(dovecot, smtp)).send(outbound(meta={}))
    assert delivery.status == "failed" and "message_id" in (delivery.error or "")
    bad_address = outbound(recipient="ivan@x.example>\r\nBcc: all@x.example")
    delivery = await connector_for(channel_options(dovecot, smtp)).send(bad_address)
    assert delivery.status == "failed" and "not an e-mail address" in (delivery.error or "")
    assert smtp.recorder.messages == []
