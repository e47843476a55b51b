"""The e-mail connector: one mailbox per channel, read over IMAP, answered over SMTP."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from connectors.base import BaseConnector, ConnectorContext, ConnectorOptions, Delivery, Outbound

from .compose import ComposeError, compose_reply, compose_staff_notice
from .options import EmailOptions
from .reader import MailboxReader
from .smtp import send_mail


class EmailConnector(BaseConnector):
    kind: ClassVar[str] = "email"
    options_model: ClassVar[type[ConnectorOptions]] = EmailOptions
    secret_fields: ClassVar[frozenset[str]] = frozenset({"password"})

    def __init__(self, ctx: ConnectorContext, options: ConnectorOptions) -> None:
        super().__init__(ctx, options)
        if not isinstance(options, EmailOptions):
            raise TypeError(f"email needs EmailOptions, got {type(options).__name__}")
        self.mail_options = options

    async def start(self) -> None:
        self.ctx.spawn("imap", MailboxReader(self.ctx, self.mail_options).run)

    async def send(self, outbound: Outbound) -> Delivery:
        options = self.mail_options
        try:
            message = compose_reply(
                outbound,
                address=options.address,
                from_name=options.from_name,
                domain=options.id_domain,
                now=datetime.now(UTC),
            )
        except ComposeError as exc:
            self.ctx.log.warning(
                "email %s: outbox %d cannot be sent: %s",
                self.ctx.channel_name,
                outbound.outbox_id,
                exc,
            )
            return Delivery("failed", error=str(exc))
        delivery = await send_mail(options, message)
        self.ctx.log.info(
            "email %s: outbox %d %s %s%s",
            self.ctx.channel_name,
            outbound.outbox_id,
            delivery.status,
            message["Message-ID"],
            f": {delivery.error}" if delivery.error else "",
        )
        return delivery

    async def send_to_staff(self, address: str, subject: str, text: str) -> Delivery:
        """A robot's notice to a person, from the mailbox's address, through its SMTP."""
        options = self.mail_options
        try:
            message = compose_staff_notice(
                to=address,
                subject=subject,
                text=text,
                address=options.address,
                from_name=options.from_name,
                domain=options.id_domain,
                now=datetime.now(UTC),
            )
        except ComposeError as exc:
            return Delivery("failed", error=str(exc))
        delivery = await send_mail(options, message)
        self.ctx.log.info(
            "email %s: staff notice to %s %s%s",
            self.ctx.channel_name,
            address,
            delivery.status,
            f": {delivery.error}" if delivery.error else "",
        )
        return delivery
