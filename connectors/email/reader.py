"""The mailbox reader: every new UID in order, stored before the checkpoint moves past it.

The checkpoint "UIDVALIDITY:LAST_UID" is written after each message is stored (or let
pass), so a restart resumes right after the last one: nothing lost, nothing repeated. If the
server renumbered the mailbox (a new UIDVALIDITY), reading starts over; the Message-ID
dedup key keeps the mail already stored from being stored twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from datetime import UTC, datetime
from typing import Any

from connectors.base import ConnectorContext

from .imap import FetchedMail, ImapSession
from .mapping import MailboxPosition, Skipped, to_inbound
from .options import EmailOptions
from .parse import parse_mail, raw_mail


def parse_checkpoint(value: str | None) -> tuple[int, int] | None:
    if not value:
        return None
    validity, _, uid = value.partition(":")
    if not (validity.isdigit() and uid.isdigit()):
        return None
    return int(validity), int(uid)


class MailboxReader:
    def __init__(self, ctx: ConnectorContext, options: EmailOptions) -> None:
        self.ctx = ctx
        self.options = options

    async def run(self) -> None:
        """Read until cancelled; any error ends the run and the runner restarts it."""
        session = ImapSession(self.options, self.ctx.log)
        try:
            validity = await session.open()
            self.ctx.link_changed(True)
            last_uid = await self._resume_after(validity)
            self.ctx.log.info(
                "email %s: reading %s from UID %d (IDLE %s)",
                self.ctx.channel_name,
                self.options.mailbox,
                last_uid + 1,
                "on" if session.supports_idle else "off, polling",
            )
            while True:
                last_uid = await self._read_new(session, validity, last_uid)
                await session.wait_for_news()
        finally:
            session.close()

    async def _resume_after(self, validity: int) -> int:
        stored = parse_checkpoint(await self.ctx.checkpoint_get(self.options.checkpoint_key))
        if stored is None:
            return 0
        stored_validity, last_uid = stored
        if stored_validity != validity:
            self.ctx.log.warning(
                "email %s: UIDVALIDITY of %s changed (%d -> %d); reading it again from the "
                "start, mail already stored is recognised by its Message-ID",
                self.ctx.channel_name,
                self.options.mailbox,
                stored_validity,
                validity,
            )
            return 0
        return last_uid

    async def _read_new(self, session: ImapSession, validity: int, last_uid: int) -> int:
        for uid in await session.uids_after(last_uid):
            fetched = await session.fetch(uid)
            await self._uninterrupted(self._take(fetched, MailboxPosition(validity, uid)))
            last_uid = uid
        return last_uid

    async def _uninterrupted(self, step: Coroutine[Any, Any, None]) -> None:
        """Finish storing and checkpointing the mail in hand even if the channel stops now.

        Cancelled halfway, a mail would stay stored but unprocessed until the hub's retry
        pass took it up again (a minute later, after mail read since).
        """
        task = asyncio.ensure_future(step)
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError:
            await asyncio.wait({task})
            if not task.cancelled() and task.exception() is not None:
                self.ctx.log.error(
                    "email %s: storing a mail failed while stopping: %r",
                    self.ctx.channel_name,
                    task.exception(),
                )
            raise

    async def _take(self, fetched: FetchedMail | None, position: MailboxPosition) -> None:
        if fetched is None:
            self.ctx.log.info(
                "email %s: UID %d vanished before it was read", self.ctx.channel_name, position.uid
            )
        else:
            await self._store(fetched, position)
        await self.ctx.checkpoint_set(
            self.options.checkpoint_key, f"{position.uid_validity}:{position.uid}"
        )

    async def _store(self, fetched: FetchedMail, position: MailboxPosition) -> None:
        """Submit one mail. A storage failure propagates (the checkpoint stays put)."""
        name = self.ctx.channel_name
        received = fetched.internal_date or datetime.now(UTC)
        try:
            mail = parse_mail(fetched.raw, received)
            item = to_inbound(mail, name, position, self.options.address, self.options.id_domain)
        except Exception as exc:  # a parser bug must not block the mailbox: keep the raw text
            self.ctx.log.exception("email %s: UID %d could not be parsed", name, position.uid)
            mail = raw_mail(fetched.raw, received, f"{type(exc).__name__}: {exc}")
            item = to_inbound(mail, name, position, self.options.address, self.options.id_domain)
        if mail.defects:
            self.ctx.log.warning(
                "email %s: UID %d is malformed (%s); stored as well as it could be read",
                name,
                position.uid,
                ", ".join(mail.defects),
            )
        if isinstance(item, Skipped):
            self.ctx.log.info(
                "email %s: UID %d (%s) not submitted: %s",
                name,
                position.uid,
                mail.message_id or "no Message-ID",
                item.reason,
            )
            return
        receipt = await self.ctx.submit(item)
        self.ctx.log.info(
            "email %s: UID %d stored as event %d%s",
            name,
            position.uid,
            receipt.event_id,
            " (already stored)" if receipt.duplicate else "",
        )
