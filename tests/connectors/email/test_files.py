"""An e-mail attachment kept in the file store goes back out intact with an operator's reply."""

from __future__ import annotations

from hub.actions import unit_of_work
from hub.actions.messages import queue_reply
from hub.models import Conversation, OutboxStatus, StoredFile
from tests.conftest import Backend, add_user

from .servers import Dovecot, SmtpServer
from .support import MAILS, Serve, open_mailbox
from .test_outbound import settled

INVOICE_ID = "<e8d1c2b3-0a49-4f1e-b6d7-3c2a1b0f9e8d@stroy-dom.example>"


async def test_stored_attachment_goes_out_with_the_reply(
    backend: Backend, serve: Serve, dovecot: Dovecot, smtp: SmtpServer
) -> None:
    box = await open_mailbox(backend, serve, dovecot, smtp)
    await box.deliver_and_read(MAILS.bytes("message__attachment_rfc2231_cyrillic_name.eml"))
    inbound = await box.message_by_ref(INVOICE_ID)
    [pdf] = inbound.meta["attachments"]
    assert "content_b64" not in pdf and pdf["name"] == "Счёт № 123 от 15.06.2026.pdf"
    [stored] = await box.rows(StoredFile, StoredFile.id == pdf["file_id"])

    maria = await add_user(box.hub, "maria-files", name="Мария Лукина")
    async with unit_of_work(box.hub) as uow:
        conversation = await uow.session.get_one(Conversation, inbound.conversation_id)
        _, item = await queue_reply(uow, conversation, maria, "Счёт во вложении.", [pdf])
    row = await settled(box, item)
    assert row.status is OutboxStatus.sent, row.error
    [sent] = smtp.recorder.messages
    [part] = list(sent.iter_attachments())
    assert part.get_filename() == "Счёт № 123 от 15.06.2026.pdf"
    assert part.get_content_type() == "application/pdf"
    assert part.get_content() == stored.data and len(stored.data) == 609
    assert sent.get_body(("plain",)).get_content().strip() == "Счёт во вложении."
