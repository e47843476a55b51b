"""The pure parts: parsing, quoting, sanitising, mapping, composing, options."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

import pytest
from pydantic import ValidationError

from connectors.base import DeliveryReport, InboundMessage, Outbound
from connectors.email import EmailOptions
from connectors.email.bodies import decode_bytes, unflow
from connectors.email.compose import clean_subject, compose_reply, reply_subject
from connectors.email.mapping import MailboxPosition, Skipped, thread_hint, to_inbound
from connectors.email.parse import parse_mail
from connectors.email.quoting import split_quoted
from connectors.email.sanitize import sanitise_html

from . import servers
from .support import MAILS

RECEIVED = datetime(2026, 6, 15, 9, 50, tzinfo=UTC)
HERE = MailboxPosition(1795377921, 7)


def parsed(name: str):  # type: ignore[no-untyped-def]
    return parse_mail(MAILS.bytes(name), RECEIVED)


def mapped(name: str) -> InboundMessage | DeliveryReport | Skipped:
    return to_inbound(parsed(name), "sales", HERE, "sales@okno.example", "okno.example")


def test_every_fixture_parses_and_maps_without_raising() -> None:
    names = MAILS.names("*.eml")
    assert len(names) == 14
    kinds = {name: type(mapped(name)).__name__ for name in names}
    assert kinds.pop("autoreply__auto_submitted.eml") == "Skipped"
    assert kinds.pop("bounce__dsn_failed_5_1_1.eml") == "DeliveryReport"
    assert set(kinds.values()) == {"InboundMessage"}


def test_headers_decode_exactly() -> None:
    assert parsed("message__subject_rfc2047_b_q_split.eml").subject == (
        "Срочно: замена 5 окон и балконной двери — нужен расчёт до пятницы"
    )
    assert parsed("message__koi8r_base64.eml").subject == "Гарантийный ремонт створки"
    mail = parsed("message__from_cyrillic_encoded_word.eml")
    assert (mail.from_name, mail.from_address) == (
        "Волкова Екатерина Дмитриевна",
        "volkova.ekaterina@mail.example",
    )
    mail = parsed("message__windows1251_qp.eml")
    assert mail.from_name == "Алексей Грачёв" and mail.reply_to == mail.from_address
    assert "ООО «Вектор»" in mail.text and "руб." in mail.text


def test_raw_8bit_headers_and_undeclared_charsets_are_read() -> None:
    raw = (
        "From: Вася Пупкин <v@x.ru>\r\nSubject: Привет, окна\r\n"
        "Content-Type: text/plain\r\n\r\nНужно 3 окна\x00\r\n"
    ).encode("koi8-r")
    mail = parse_mail(raw, RECEIVED)
    assert (mail.from_name, mail.subject) == ("Вася Пупкин", "Привет, окна")
    item = to_inbound(mail, "sales", HERE, "sales@okno.example", "okno.example")
    assert isinstance(item, InboundMessage) and item.text == "Нужно 3 окна"  # NUL dropped


def test_charset_guess_prefers_readable_russian() -> None:
    text = "Добрый день, нужен замер"
    assert decode_bytes(text.encode("koi8-r"), None) == text
    assert decode_bytes(text.encode("windows-1251"), None) == text
    assert decode_bytes(text.encode("windows-1251"), "x-unknown-charset") == text
    assert decode_bytes(b"caf\xc3\xa9", "us-ascii") == "café"


def test_a_declared_charset_that_breaks_keeps_its_text_with_replacement_marks() -> None:
    # One stray byte in a UTF-8 letter: the rest stays Russian, never KOI8-R mojibake.
    assert decode_bytes("Нужен замер ".encode() + b"\xff" + "окон".encode(), "utf-8") == (
        "Нужен замер \ufffdокон"
    )
    # A multi-byte character cut off at the end of the part.
    assert decode_bytes("Счёт".encode()[:-1], "UTF-8") == "Счё\ufffd"
    for body in (
        b"\xd0\x97\xd0\xb0\xd0\xbc\xd0\xb5\xd1\x80 \xc3(",
        b"\xd0\x9e\xd0\xba\xd0\xbd\xd0\xb0 \xed\xa0\x80",
    ):
        raw = (
            b"From: v@x.ru\r\nSubject: t\r\nContent-Type: text/plain; charset=utf-8\r\n"
            b"Content-Transfer-Encoding: 8bit\r\n\r\n" + body + b"\r\n"
        )
        text = parse_mail(raw, RECEIVED).text
        assert text.startswith(("Замер \ufffd", "Окна \ufffd")), text


def test_format_flowed_is_unwrapped() -> None:
    flowed = "Первая строка \nпродолжение.\n> цитата \n> дальше\n-- \nПодпись"
    assert unflow(flowed) == "Первая строка продолжение.\n> цитата дальше\n-- \nПодпись"
    assert unflow("a \nb", delsp=True) == "ab"


def test_quoted_history_is_split_off_but_kept() -> None:
    text, history = split_quoted("Ответ.\n\nOn Mon, 15 Jun 2026, Anna\n<a@b.ru> wrote:\n> раньше")
    assert text == "Ответ." and history.startswith("On Mon, 15 Jun 2026, Anna")
    text, history = split_quoted("Да.\n\n-- \nИван\n+7 916")
    assert (text, history) == ("Да.", "-- \nИван\n+7 916")
    inline = "> вопрос 1\nответ 1\n> вопрос 2\nответ 2"
    assert split_quoted(inline) == (inline, "")  # answers between quotes stay visible
    outlook = "Ок.\n\n________________________________\nFrom: A\nSent: Monday\nTo: B\nSubject: x"
    assert split_quoted(outlook)[0] == "Ок."
    only_quote = "> всё процитировано"
    assert split_quoted(only_quote) == (only_quote, "")


@pytest.mark.parametrize(
    ("attribution", "introduces"),
    [
        # Gmail in Russian: no verb, the address and a colon.
        ("пн, 15 июн. 2026 г. в 10:12, Иван Петров <ivan@stroy.example>:", True),
        # The same, wrapped by the mailer before the address.
        ("пн, 15 июн. 2026 г. в 10:12, Иван Петров Сергеевич <\nivan.petrov@stroy.example>:", True),
        ("15.06.2026 10:12, Иван пишет:", True),
        ("15 июня 2026 г., в 10:12, Иван Петров написал(а):", True),
        ("On Mon, 15 Jun 2026 at 10:12, Ivan Petrov <ivan@stroy.example> wrote:", True),
        ("On Mon, Jun 15, 2026 at 10:12 AM Ivan Petrov <\nivan@stroy.example> wrote:", True),
        # Text that merely ends with a colon is the client's and stays.
        ("Вот что я вам писал:", False),
    ],
)
def test_reply_attribution_lines_go_with_the_quote_they_introduce(
    attribution: str, introduces: bool
) -> None:
    mail = f"Добрый день, согласны.\n\n{attribution}\n> Направляем счёт.\n> Менеджер"
    text, history = split_quoted(mail)
    if introduces:
        assert text == "Добрый день, согласны."
        assert history == f"{attribution}\n> Направляем счёт.\n> Менеджер"
    else:
        assert text == f"Добрый день, согласны.\n\n{attribution}"
        assert history == "> Направляем счёт.\n> Менеджер"


def test_html_is_sanitised_and_plain_text_preferred() -> None:
    mail = parsed("message__multipart_alternative_html_xss.eml")
    assert mail.text.startswith("Здравствуйте!\n\nПосмотрите, пожалуйста, фото проёма")
    assert mail.html is not None
    for bad in ("script", "iframe", "<form", "<object", "<base", "onerror", "onload",
                "javascript:", "data:", "<img", "<svg", "style", "tracker.example"):  # fmt: skip
        assert bad not in mail.html.lower(), bad
    cleaned = sanitise_html(
        '<a href="/relative">r</a><a href="mailto:a@b.ru">m</a><img src="cid:x">'
        '<p onclick="x()" style="background:url(https://t.example/p.gif)">t</p>'
    )
    assert cleaned == (
        '<a rel="noopener noreferrer nofollow">r</a>'
        '<a href="mailto:a@b.ru" rel="noopener noreferrer nofollow">m</a><p>t</p>'
    )


def test_html_only_mail_gets_a_text() -> None:
    raw = (
        b"From: a@b.ru\r\nSubject: x\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        + "<p>Привет,<br>нужен <b>замер</b></p><script>x()</script>".encode()
    )
    mail = parse_mail(raw, RECEIVED)
    assert (
        mail.text == "Привет,\nнужен замер" and mail.html == "<p>Привет,<br>нужен <b>замер</b></p>"
    )


def test_attachments_keep_exact_names_and_bytes() -> None:
    item = mapped("message__attachment_rfc2231_cyrillic_name.eml")
    assert isinstance(item, InboundMessage)
    [pdf] = item.attachments
    assert (pdf.kind, pdf.name, pdf.mime_type, pdf.size) == (
        "file",
        "Счёт № 123 от 15.06.2026.pdf",
        "application/pdf",
        609,
    )
    assert pdf.content_b64 is not None and base64.b64decode(pdf.content_b64)[:5] == b"%PDF-"


def test_malformed_mail_falls_back_to_receipt_time_and_raw_text() -> None:
    mail = parsed("message__malformed_date_broken_boundary.eml")
    assert mail.date == RECEIVED and not mail.date_from_header
    assert "Предлагаем поставку стеклопакетов" in mail.text
    assert "StartBoundaryNotFoundDefect" in mail.defects


def test_threading_hint_and_keys() -> None:
    assert thread_hint(parsed("reply__to_hub_in_reply_to.eml"), "okno.example") == 42
    assert thread_hint(parsed("reply__outlook_original_message.eml"), "okno.example") == 51
    # Our ids from another domain are not ours; the subject marker still counts.
    assert thread_hint(parsed("reply__to_hub_in_reply_to.eml"), "other.example") == 42
    assert thread_hint(parsed("message__plain_utf8.eml"), "okno.example") is None
    item = mapped("message__no_message_id.eml")
    assert isinstance(item, InboundMessage)
    assert item.external_id == "uid:1795377921:7" and item.message_ref is None
    item = mapped("message__plain_utf8.eml")
    assert isinstance(item, InboundMessage)
    assert (
        item.external_id
        == item.message_ref
        == "<2f6c1d0e-8a7b-4c3d-9e2f-1a2b3c4d5e6f@list.example>"
    )


def test_bounce_and_auto_reply_open_nothing() -> None:
    bounce = mapped("bounce__dsn_failed_5_1_1.eml")
    assert isinstance(bounce, DeliveryReport)
    assert bounce.outbox_ref == "<okno-conv-57-msg-1@okno.example>" and bounce.status == "failed"
    assert bounce.error == (
        "550 5.1.1 <olga.smirnova@list.example>: Recipient address rejected: "
        "User unknown in virtual mailbox table"
    )
    skipped = mapped("autoreply__auto_submitted.eml")
    assert isinstance(skipped, Skipped) and "auto-replied" in skipped.reason
    vacation = b"Return-Path: <>\r\nFrom: a@b.ru\r\nSubject: Out of Office: x\r\n\r\naway"
    mail = parse_mail(vacation, RECEIVED)
    assert mail.auto_reply is not None
    human = b"From: a@b.ru\r\nAuto-Submitted: no\r\nSubject: vacation photos\r\n\r\nhi"
    assert parse_mail(human, RECEIVED).auto_reply is None
    own = b"From: Sales <SALES@okno.example>\r\nSubject: loop\r\n\r\nx"
    assert isinstance(
        to_inbound(parse_mail(own, RECEIVED), "s", HERE, "sales@okno.example", "okno.example"),
        Skipped,
    )


def test_reply_subject_and_headers() -> None:
    assert clean_subject("RE: Ответ: [#42] Re[2]: Коммерческое предложение") == (
        "Коммерческое предложение"
    )
    assert reply_subject(42, "Fwd: [#42] КП") == "Re: [#42] КП"
    out = Outbound(
        outbox_id=1,
        conversation_id=42,
        text="Текст",
        recipient="ivan@x.example",
        author_name="",
        meta={"message_id": 8, "subject": "КП", "in_reply_to": None, "references": []},
    )
    mail = compose_reply(
        out, address="sales@okno.example", from_name="Окно", domain="okno.example", now=RECEIVED
    )
    assert str(mail["Message-ID"]) == "<okno-conv-42-msg-8@okno.example>"
    assert "In-Reply-To" not in mail and "References" not in mail
    assert str(mail["From"]) == "Окно <sales@okno.example>"


def test_options_are_validated() -> None:
    base = {
        "imap_host": "imap.example",
        "smtp_host": "smtp.example",
        "username": "sales",
        "password": "p",
        "address": "sales@okno.example",
    }
    options = EmailOptions.model_validate(base)
    assert options.id_domain == "okno.example" and options.imap_ssl and options.smtp_starttls
    with pytest.raises(ValidationError):
        EmailOptions.model_validate({**base, "smtp_ssl": True})  # with STARTTLS too
    with pytest.raises(ValidationError):
        EmailOptions.model_validate({**base, "address": "not an address"})
    with pytest.raises(ValidationError):
        EmailOptions.model_validate({**base, "mailbox": "INBOX\r\nA1 DELETE INBOX"})
    with pytest.raises(ValidationError):
        EmailOptions.model_validate({**base, "unknown": 1})


async def test_without_dovecot_an_imap_test_skips_instead_of_failing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # A clone outside CI has no Dovecot: the one way tests start it must skip them.
    monkeypatch.setattr(servers, "DOVECOT", "/nonexistent/okno-test/dovecot")
    with pytest.raises(pytest.skip.Exception, match="Dovecot is not installed"):
        await servers.start_dovecot()
