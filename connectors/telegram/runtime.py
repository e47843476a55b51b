"""A running bot: the aiogram Bot, storing updates, answering button presses, sending replies."""

from __future__ import annotations

import asyncio
import mimetypes
from typing import Any

from aiogram.exceptions import (
    AiogramError,
    TelegramAPIError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
)

from connectors.base import (
    Attachment,
    ConnectorContext,
    Delivery,
    IdentityClaim,
    Outbound,
    ReachabilityChange,
    Receipt,
    Sender,
)
from connectors.capabilities import FetchedFile, FileUnavailable
from connectors.unreadable import UnreadableKeeper

from .api import make_bot
from .errors import NotAnUpdate, UnreadableUpdate
from .options import TelegramOptions
from .polling import Poller
from .sending import (
    Outgoing,
    UndeliverableError,
    chat_id_of,
    result_for,
    telegram_reason,
)
from .textsplit import MESSAGE_LIMIT
from .updates import WANTED_UPDATES, Parsed, parse_update

CALLBACK_ANSWER_TIMEOUT_S = 5.0
DOWNLOAD_TIMEOUT_S = 60


class TelegramRuntime:
    def __init__(self, ctx: ConnectorContext, options: TelegramOptions) -> None:
        self.ctx = ctx
        self.options = options
        self.bot = make_bot(options)
        self.outgoing = Outgoing(self.bot, ctx.log)
        self.unreadable = UnreadableKeeper(ctx)

    async def start(self) -> None:
        if self.options.mode == "polling":
            poller = Poller(self.bot, self.ctx, self.process_update, self.options.poll_timeout)
            self.ctx.spawn("poller", poller.run)
        elif self.options.webhook_url:
            self.ctx.spawn("set-webhook", self._set_webhook)

    async def stop(self) -> None:
        await self.bot.session.close()

    async def _set_webhook(self) -> None:
        await self.bot.set_webhook(
            self.options.webhook_url or "",
            secret_token=self.options.webhook_secret,
            allowed_updates=list(WANTED_UPDATES),
        )
        self.ctx.log.info(
            "telegram %s: webhook set to %s", self.ctx.channel_name, self.options.webhook_url
        )

    async def process_update(self, data: Any) -> Receipt | None:
        """Store one update; None if it is acknowledged without storing (a group chat...).

        Raises NotAnUpdate for garbage, and whatever `submit` raises if storage failed:
        then the update must not be acknowledged. An update it cannot read is stored raw
        and acknowledged like any other: Telegram would otherwise send it for ever.
        """
        try:
            parsed = parse_update(
                data, self.bot, self.ctx.channel_name, allow_groups=self.options.allow_groups
            )
        except NotAnUpdate:
            raise
        except UnreadableUpdate as exc:
            return await self.unreadable.keep(str(data["update_id"]), exc.kind, str(exc), data)
        except Exception as exc:
            # A reading bug of ours on an input nobody foresaw: the same treatment, with the
            # traceback logged (once per kind) so it gets fixed.
            reason = f"{type(exc).__name__}: {exc}"
            return await self.unreadable.keep(
                str(data["update_id"]), "parser-error", reason, data, error=exc
            )
        receipt = None
        if parsed.item is None:
            self.ctx.log.info(
                "telegram %s: update %d ignored: %s",
                self.ctx.channel_name,
                parsed.update_id,
                parsed.ignored,
            )
        else:
            receipt = await self.ctx.submit(parsed.item)
            if receipt.duplicate:
                self.ctx.log.info(
                    "telegram %s: update %d was stored before (repeat delivery)",
                    self.ctx.channel_name,
                    parsed.update_id,
                )
        await self._answer_callback(parsed)
        return receipt

    async def _answer_callback(self, parsed: Parsed) -> None:
        if parsed.callback_query_id is None:
            return
        try:
            await asyncio.wait_for(
                self.bot.answer_callback_query(parsed.callback_query_id),
                CALLBACK_ANSWER_TIMEOUT_S,
            )
        except (AiogramError, TimeoutError) as exc:
            # The press is stored; only the client's spinner is left turning a little longer.
            self.ctx.log.warning(
                "telegram %s: answerCallbackQuery %s failed: %s",
                self.ctx.channel_name,
                parsed.callback_query_id,
                exc,
            )

    async def send(self, outbound: Outbound) -> Delivery:
        result = await self.outgoing.send(outbound)
        if result.forbidden:
            await self._mark_unreachable(outbound, result.delivery.error or "")
        return result.delivery

    async def send_to_staff(self, address: str, subject: str, text: str) -> Delivery:
        """A robot's notice to a colleague's chat with this bot (one message, cut to
        Telegram's limit: a notice is a line or two)."""
        try:
            chat = chat_id_of(address)
        except UndeliverableError as exc:
            return Delivery("failed", error=str(exc))
        body = f"{subject}\n{text}" if subject else text
        try:
            sent = await self.bot.send_message(chat, body[:MESSAGE_LIMIT])
        except Exception as exc:
            delivery = result_for(exc).delivery
            self.ctx.log.warning(
                "telegram %s: staff notice to %s: %s (%s)",
                self.ctx.channel_name,
                address,
                delivery.error,
                delivery.status,
            )
            return delivery
        return Delivery("sent", external_id=str(sent.message_id))

    async def fetch_file(self, attachment: Attachment) -> FetchedFile:
        """getFile, then the download from the same Bot API server (`api_base` honoured)."""
        file_id = attachment.url
        if not file_id:
            raise FileUnavailable("the attachment has no Telegram file_id")
        try:
            found = await self.bot.get_file(file_id)
            if not found.file_path:
                raise FileUnavailable("Telegram gave no path for the file")
            stream = await self.bot.download_file(found.file_path, timeout=DOWNLOAD_TIMEOUT_S)
        except (TelegramNetworkError, TelegramServerError, TelegramRetryAfter) as exc:
            raise FileUnavailable(f"Telegram unreachable: {exc}", temporary=True) from exc
        except TelegramAPIError as exc:
            # "file is too big" (over the Bot API's 20 MB), "wrong file_id"...
            raise FileUnavailable(telegram_reason(exc)) from exc
        except FileUnavailable:
            raise
        except Exception as exc:  # the download's HTTP error or a broken connection
            status = getattr(exc, "status", None)
            temporary = not isinstance(status, int) or status >= 500
            raise FileUnavailable(f"download failed: {exc}", temporary=temporary) from exc
        data = stream.read() if stream is not None else b""
        mime = attachment.mime_type or mimetypes.guess_type(found.file_path)[0] or ""
        return FetchedFile(data, mime)

    async def _mark_unreachable(self, outbound: Outbound, reason: str) -> None:
        """Telegram refused with 403: the client's Telegram address is marked unreachable,
        so later replies fail at once instead of calling the API again."""
        item = ReachabilityChange(
            channel_kind="telegram",
            channel_name=self.ctx.channel_name,
            external_id=f"send-forbidden:{outbound.outbox_id}",
            sender=Sender(identities=(IdentityClaim("telegram", outbound.recipient.strip()),)),
            reachable=False,
            reason=reason,
        )
        try:
            await self.ctx.submit(item)
        except Exception:
            self.ctx.log.exception(
                "telegram %s: could not record %s as unreachable",
                self.ctx.channel_name,
                outbound.recipient,
            )
