"""Real-world e-mail through a real Dovecot on both backends: people who answer in a client's
thread from addresses Okno does not know, Cc recipients, and Message-IDs in raw UTF-8."""

from __future__ import annotations

from sqlalchemy import select

from hub.actions.identity_suggestions import accept_suggestion, dismiss_suggestion
from hub.models import (
    Contact,
    Conversation,
    Identity,
    IdentitySuggestion,
    InboundEvent,
    Lead,
    Message,
    SuggestionStatus,
)
from hub.policy import SystemActor
from hub.queries import contact_card
from tests.conftest import Backend

from .servers import Dovecot
from .support import Mailbox, Serve, open_mailbox, seed_sent_mail

DESK = SystemActor("test desk")
CLIENT = "ivan.petrov@stroymontazh.example"


def mail(
    sender: str,
    message_id: str,
    body: str,
    *,
    subject: str = "Re: Коммерческое предложение",
    extra: str = "",
) -> bytes:
    head = (
        f"From: {sender}\r\nTo: Окно <sales@okno.example>\r\n{extra}"
        f"Subject: {subject}\r\nMessage-ID: {message_id}\r\n"
        "Date: Mon, 15 Jun 2026 10:12:00 +0300\r\nMIME-Version: 1.0\r\n"
        "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
    )
    return head.encode() + body.encode() + b"\r\n"


async def client_of_42(box: Mailbox) -> int:
    [conversation] = await box.rows(Conversation, Conversation.id == 42)
    return int(conversation.contact_id)


async def test_unknown_addresses_answering_in_a_thread_join_it_and_are_proposed(
    backend: Backend, serve: Serve, dovecot: Dovecot
) -> None:
    box = await open_mailbox(backend, serve, dovecot, None)
    await seed_sent_mail(box)
    client = await client_of_42(box)
    contacts_before, leads_before = await box.count(Contact), await box.count(Lead)

    # A colleague answers our mail (In-Reply-To), keeping the client and us in Cc.
    await box.deliver(
        mail(
            "Мария Кузнецова <m.kuznetsova@stroymontazh.example>",
            "<colleague-1@stroymontazh.example>",
            "Добрый день, я вместо Ивана: счёт согласован.",
            extra=(
                "In-Reply-To: <okno-conv-42-msg-8@okno.example>\r\n"
                f"Cc: Иван Петров <{CLIENT}>, sales@okno.example,\r\n"
                " =?utf-8?b?0JHRg9GF0LPQsNC70YLQtdGA0LjRjw==?= <buh@stroymontazh.example>\r\n"
            ),
        )
    )
    # The client himself from his personal mailbox, found by the [#42] in the subject.
    last = await box.deliver(
        mail(
            "Иван Петров <ivan.petrov.1980@mail.example>",
            "<personal-1@mail.example>",
            "Пишу с личной почты: когда замер?",
            subject="Re: Коммерческое предложение [#42]",
        )
    )
    await box.read_up_to(last, timeout=30)

    # One conversation, both messages in it; no new contact and no new lead.
    colleague = await box.message_by_ref("<colleague-1@stroymontazh.example>")
    personal = await box.message_by_ref("<personal-1@mail.example>")
    assert colleague.conversation_id == personal.conversation_id == 42
    assert (await box.count(Contact), await box.count(Lead)) == (contacts_before, leads_before)
    assert colleague.meta["participant"] == {
        "name": "Мария Кузнецова",
        "address": "m.kuznetsova@stroymontazh.example",
    }
    assert personal.meta["participant"] == {
        "name": "Иван Петров",
        "address": "ivan.petrov.1980@mail.example",
    }
    # Cc kept on the message, our own mailbox left out, encoded names decoded.
    assert colleague.meta["cc"] == [
        {"name": "Иван Петров", "address": CLIENT},
        {"name": "Бухгалтерия", "address": "buh@stroymontazh.example"},
    ]
    # Neither address became the client's: both are proposed on his card, with the thread.
    identities = await box.rows(Identity, Identity.contact_id == client)
    assert [i.value for i in identities] == [CLIENT]
    async with box.hub.db.sessions() as session:
        card = await contact_card(session, client)
    assert card is not None
    proposed = [(s.value, s.name, s.reason, s.conversation_id) for s in card.suggestions]
    assert proposed == [
        ("m.kuznetsova@stroymontazh.example", "Мария Кузнецова", "replied_in_conversation", 42),
        ("ivan.petrov.1980@mail.example", "Иван Петров", "replied_in_conversation", 42),
    ]
    colleague_tip, personal_tip = card.suggestions

    # Accepted, the personal mailbox finds the client next time, with no headers at all;
    # dismissed, the colleague's next mail without headers is a request of its own.
    version = await accept_suggestion(box.hub, DESK, personal_tip.id)
    assert version == card.version + 1
    await dismiss_suggestion(box.hub, DESK, colleague_tip.id)
    last = await box.deliver(
        mail("ivan.petrov.1980@mail.example", "<personal-2@mail.example>", "Жду ответа.")
    )
    await box.read_up_to(last, timeout=30)
    assert (await box.message_by_ref("<personal-2@mail.example>")).conversation_id == 42
    last = await box.deliver(
        mail(
            "m.kuznetsova@stroymontazh.example",
            "<colleague-2@stroymontazh.example>",
            "Новый вопрос",
            subject="Другой объект",
        )
    )
    await box.read_up_to(last, timeout=30)
    assert (await box.message_by_ref("<colleague-2@stroymontazh.example>")).conversation_id != 42
    decided = {s.value: s.status for s in await box.rows(IdentitySuggestion)}
    assert decided == {
        "ivan.petrov.1980@mail.example": SuggestionStatus.accepted,
        "m.kuznetsova@stroymontazh.example": SuggestionStatus.dismissed,
    }
    await box.stop()


async def test_two_non_ascii_message_ids_of_one_shape_are_two_mails(
    backend: Backend, serve: Serve, dovecot: Dovecot
) -> None:
    box = await open_mailbox(backend, serve, dovecot, None)
    # RFC 6532 ids that differ only in Cyrillic letters, and one that is not UTF-8 at all:
    # replaced by U+FFFD they would read alike, and the later ones be dropped as repeats.
    firsts = [
        mail("a@пример.рф", "<заявка@пример.рф>", "Первая", subject="Замер"),
        mail("b@пример.рф", "<запрос@пример.рф>", "Вторая", subject="Замер"),
    ]
    koi8 = mail("c@пример.рф", "<ZZZZZZ@пример.рф>", "Третья", subject="Замер")
    koi8 = koi8.replace(b"ZZZZZZ", "заказы".encode("koi8-r"))
    for raw in firsts:
        await box.deliver(raw)
    last = await box.deliver(koi8)
    await box.read_up_to(last, timeout=30)
    async with box.hub.db.sessions() as session:
        stored = (
            await session.execute(select(Message.external_id, Message.text).order_by(Message.id))
        ).all()
    assert [tuple(row) for row in stored] == [
        ("<заявка@пример.рф>", "Первая"),
        ("<запрос@пример.рф>", "Вторая"),
        ("<\\xda\\xc1\\xcb\\xc1\\xda\\xd9@пример.рф>", "Третья"),
    ]
    assert await box.count(InboundEvent) == 3
    # The senders' raw UTF-8 addresses are kept as written, each its own identity.
    addresses = sorted(i.value for i in await box.rows(Identity))
    assert addresses == ["a@пример.рф", "b@пример.рф", "c@пример.рф"]
    await box.stop()
