"""One path for every VK event, whichever transport brought it: read, name, store (or log)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any, Literal

from connectors.base import (
    ConnectorContext,
    DeliveryReport,
    IdentityClaim,
    InboundMessage,
    OutgoingMessage,
    Sender,
)
from connectors.unreadable import UnreadableKeeper

from .names import NameBook
from .outbound import Outbox
from .parsing import (
    CHAT_PEER_START,
    KIND,
    Ignored,
    MalformedEvent,
    OutgoingEcho,
    Parsed,
    customer_of,
    external_id_of,
    parse_event,
)

Outcome = Literal["stored", "duplicate", "ignored", "unreadable"]
# Events VK sends all the time that mean nothing to Okno; logged at debug level only.
_NOISY = frozenset({"message_typing_state", "message_read"})


class Intake:
    def __init__(
        self, ctx: ConnectorContext, names: NameBook | None, outbox: Outbox, log: logging.Logger
    ) -> None:
        self.ctx = ctx
        self.names = names
        self.outbox = outbox
        self.log = log
        self.unreadable = UnreadableKeeper(ctx)

    async def take(self, event: Mapping[str, Any]) -> Outcome:
        """Store what the event means and return once it is stored.

        An event that cannot be read is stored raw and counts as taken: VK sends an event
        again until it is acknowledged, and would stall the channel behind it. Raises only
        what storage raised when it could not store (then the source must not be
        acknowledged).
        """
        try:
            user_id = customer_of(event)
            name = await self.names.name_of(user_id) if self.names and user_id else ""
            item = parse_event(event, self.ctx.channel_name, sender_name=name)
        except MalformedEvent as exc:
            await self.unreadable.keep(external_id_of(event), "malformed-event", str(exc), event)
            return "unreadable"
        except Exception as exc:
            # A reading bug of ours on an input nobody foresaw: kept alike, traceback logged.
            reason = f"{type(exc).__name__}: {exc}"
            await self.unreadable.keep(
                external_id_of(event), "parser-error", reason, event, error=exc
            )
            return "unreadable"
        return await self._store(event, item)

    async def _store(self, event: Mapping[str, Any], item: Parsed) -> Outcome:
        match item:
            case Ignored(reason=reason):
                level = logging.DEBUG if event.get("type") in _NOISY else logging.INFO
                self.log.log(level, "vk %s: ignored: %s", self.ctx.channel_name, reason)
                return "ignored"
            case OutgoingEcho():
                return await self._echo(item, external_id_of(event))
        receipt = await self.ctx.submit(item)
        what = "message" if isinstance(item, InboundMessage) else item.event
        self.log.info(
            "vk %s: %s %s stored as inbound %d%s",
            self.ctx.channel_name,
            what,
            item.external_id,
            receipt.event_id,
            " (repeat)" if receipt.duplicate else "",
        )
        return "duplicate" if receipt.duplicate else "stored"

    async def _echo(self, echo: OutgoingEcho, external_id: str) -> Outcome:
        """The community's own message is never a customer's: ours confirms a reply, one an
        admin wrote in VK's interface is kept as an outbound message of the conversation."""
        outbox_id = self.outbox.outbox_id_of(echo.random_id) if echo.random_id else None
        item: DeliveryReport | OutgoingMessage
        if outbox_id is not None and echo.message_id:
            item = DeliveryReport(
                channel_kind=KIND,
                channel_name=self.ctx.channel_name,
                external_id=external_id,
                outbox_ref=str(echo.message_id),
                status="sent",
                meta={"random_id": echo.random_id, "outbox_id": outbox_id},
            )
        elif not echo.message_ref or not 0 < echo.peer_id < CHAT_PEER_START:
            self.log.info(
                "vk %s: outgoing message %d to peer %d not stored (no id, or a group chat)",
                self.ctx.channel_name,
                echo.message_id,
                echo.peer_id,
            )
            return "ignored"
        else:
            # Not this node's send (or sent before a restart): the hub still recognises its
            # own replies by the message id VK returned for them.
            item = OutgoingMessage(
                channel_kind=KIND,
                channel_name=self.ctx.channel_name,
                external_id=external_id,
                recipient=Sender(identities=(IdentityClaim("vk", str(echo.peer_id)),)),
                message_ref=echo.message_ref,
                text=echo.text,
                attachments=echo.attachments,
                occurred_at=echo.occurred_at,
                meta={
                    "admin_author_id": echo.admin_author_id,
                    "random_id": echo.random_id,
                },
            )
        receipt = await self.ctx.submit(item)
        self.log.info(
            "vk %s: outgoing message %s stored as inbound %d (%s)%s",
            self.ctx.channel_name,
            echo.message_ref or echo.message_id,
            receipt.event_id,
            item.event,
            " (repeat)" if receipt.duplicate else "",
        )
        return "duplicate" if receipt.duplicate else "stored"
