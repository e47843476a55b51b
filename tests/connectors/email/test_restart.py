"""The mailbox checkpoint: restarts (clean, mid-mailbox, after a crash) lose and repeat nothing."""

from __future__ import annotations

from email.message import EmailMessage

from sqlalchemy import select

from hub.models import InboundEvent, Message
from tests.conftest import Backend
from tests.waiting import until

from .servers import Dovecot, start_dovecot
from .support import MAILS, Serve, open_mailbox


def numbered_mail(n: int, with_id: bool = True) -> bytes:
    mail = EmailMessage()
    mail["From"] = f"Клиент {n} <client{n}@example.ru>"
    mail["To"] = "sales@okno.example"
    mail["Subject"] = f"Письмо {n}"
    if with_id:
        mail["Message-ID"] = f"<restart-{n}@example.ru>"
    mail.set_content(f"Текст письма {n}")
    return mail.as_bytes()


async def texts(box: object) -> list[str]:
    async with box.hub.db.sessions() as session:  # type: ignore[attr-defined]
        stmt = select(Message.text).order_by(Message.id)
        return list((await session.execute(stmt)).scalars())


async def test_restart_mid_mailbox_loses_and_repeats_nothing(
    backend: Backend, serve: Serve, dovecot: Dovecot
) -> None:
    box = await open_mailbox(backend, serve, dovecot, None)
    for n in (1, 2):
        await box.deliver(numbered_mail(n))
    last = await box.deliver(numbered_mail(3, with_id=False))
    await box.read_up_to(last)
    await box.stop()

    # Mail arriving while the channel is down is read after the restart.
    for n in (4, 5):
        await box.deliver(numbered_mail(n))
    # A crash after storing but before the checkpoint moved: UIDs 2 and 3 are read again,
    # and neither the Message-ID mail nor the one keyed by its UID is stored twice.
    validity = last[0]
    await box.set_checkpoint(f"{validity}:1")
    await box.start()
    last = await box.deliver(numbered_mail(6))
    await box.read_up_to(last)
    assert await texts(box) == [f"Текст письма {n}" for n in range(1, 7)]

    # Stopped in the middle of a batch: whatever it had not checkpointed is read next time.
    await box.stop()
    positions = [await box.deliver(numbered_mail(n)) for n in range(7, 13)]
    await box.start()
    await until(
        lambda: box.count(InboundEvent, InboundEvent.external_id == "<restart-7@example.ru>"),
        15,
    )
    await box.stop()
    await box.start()
    await box.read_up_to(positions[-1])
    assert await texts(box) == [f"Текст письма {n}" for n in range(1, 13)]
    assert await box.count(InboundEvent) == 12
    assert await box.checkpoint() == f"{validity}:{positions[-1][1]}"


async def test_new_uidvalidity_reads_again_without_duplicates(
    sqlite_backend: Backend, serve: Serve, dovecot: Dovecot
) -> None:
    box = await open_mailbox(sqlite_backend, serve, dovecot, None)
    last = (0, 0)
    for n in (1, 2, 3):
        last = await box.deliver(numbered_mail(n))
    await box.read_up_to(last)
    await box.stop()
    # As if the server had renumbered the mailbox since the checkpoint was written.
    await box.set_checkpoint(f"{last[0] - 1}:999")
    await box.start()
    await box.read_up_to(last)
    assert await box.count(InboundEvent) == 3 and await box.count(Message) == 3


async def test_polling_when_the_server_has_no_idle(sqlite_backend: Backend, serve: Serve) -> None:
    # imap_capability replaces what Dovecot announces after login: no IDLE here.
    server = await start_dovecot("imap_capability = IMAP4rev1 UIDPLUS")
    try:
        box = await open_mailbox(sqlite_backend, serve, server, None, poll_interval_s=0.2)
        await box.deliver_and_read(MAILS.bytes("message__plain_utf8.eml"))
        last = await box.deliver(MAILS.bytes("message__koi8r_base64.eml"))
        await box.read_up_to(last, timeout=5)
        assert await box.count(Message) == 2
    finally:
        server.stop()


async def test_a_dropped_connection_is_reopened(
    sqlite_backend: Backend, serve: Serve, dovecot: Dovecot
) -> None:
    box = await open_mailbox(sqlite_backend, serve, dovecot, None, timeout_s=2)
    await box.deliver_and_read(MAILS.bytes("message__plain_utf8.eml"))
    dovecot.kick()  # the reader is cut off in the middle of IDLE
    last = await box.deliver(MAILS.bytes("message__koi8r_base64.eml"))
    await box.read_up_to(last, timeout=20)
    assert await box.count(Message) == 2 and await box.count(InboundEvent) == 2


async def test_the_server_restarted_mid_idle_is_reconnected_and_read_on(
    sqlite_backend: Backend, serve: Serve, dovecot: Dovecot
) -> None:
    box = await open_mailbox(sqlite_backend, serve, dovecot, None, timeout_s=2)
    await box.deliver_and_read(MAILS.bytes("message__plain_utf8.eml"))
    # The reader is in IDLE; the server goes away (its session cut, connections refused until
    # it is back) and comes back on the same port with the same mail.
    await dovecot.restart()
    last = await box.deliver(MAILS.bytes("message__koi8r_base64.eml"))
    await box.read_up_to(last, timeout=30)
    # Resynced from its checkpoint: the one read before is not read again.
    assert await box.count(Message) == 2 and await box.count(InboundEvent) == 2
