"""Delivering an outbox row: text parts, then files, and what Telegram's answer means for it.

Retry (the core waits and calls again): 429 with its retry_after, network trouble, 5xx,
a rejected token. Failed (permanent): 403 (blocked, never started, deactivated) and other
4xx with Telegram's own reason. A row whose first parts went out before a retry resumes after
them on this node, so a client does not get the same paragraph twice.
"""

from __future__ import annotations

import base64
import binascii
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from aiogram import Bot
from aiogram.exceptions import (
    ClientDecodeError,
    TelegramAPIError,
    TelegramEntityTooLarge,
    TelegramForbiddenError,
    TelegramNetworkError,
    TelegramRetryAfter,
    TelegramServerError,
    TelegramUnauthorizedError,
)
from aiogram.types import BufferedInputFile, Message

from connectors.base import Attachment, Delivery, Outbound

from .textsplit import split_text

# Telegram's prefix on every error description ("Forbidden: bot was blocked by the user").
_ERROR_PREFIX = re.compile(r"^(?:Bad Request|Forbidden|Not Found|Conflict|Unauthorized): ")
_CHAT_ID = re.compile(r"^-?\d{1,20}$")
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
PHOTO_MAX_BYTES = 10 * 1024 * 1024
# A file's caption holds this many characters; a longer text goes as messages of its own.
CAPTION_MAX = 1024

Step = Callable[[], Awaitable[Message]]


class UndeliverableError(ValueError):
    """The reply itself cannot be sent (no address, an empty body, a file without bytes)."""


@dataclass(frozen=True)
class SendResult:
    delivery: Delivery
    # Telegram said 403: the client blocked the bot (or never started it).
    forbidden: bool = False


def telegram_reason(exc: TelegramAPIError) -> str:
    return _ERROR_PREFIX.sub("", exc.message)


def chat_id_of(recipient: str) -> int | str:
    recipient = recipient.strip()
    if _CHAT_ID.match(recipient):
        return int(recipient)
    if recipient.startswith("@") and len(recipient) > 1:
        return recipient
    raise UndeliverableError(f"no Telegram chat for this client ({recipient!r})")


def result_for(exc: Exception) -> SendResult:
    """What a failed Bot API call means for the outbox row."""
    if isinstance(exc, TelegramRetryAfter):
        error = f"Telegram rate limit: retry after {exc.retry_after} s"
        return SendResult(Delivery("retry", error=error, retry_after=float(exc.retry_after)))
    if isinstance(exc, TelegramForbiddenError):
        return SendResult(Delivery("failed", error=telegram_reason(exc)), forbidden=True)
    if isinstance(exc, TelegramEntityTooLarge):
        return SendResult(Delivery("failed", error="the file is too large for Telegram"))
    if isinstance(exc, TelegramUnauthorizedError):
        return SendResult(Delivery("retry", error="Telegram rejected the bot token"))
    if isinstance(exc, TelegramNetworkError | TelegramServerError | ClientDecodeError):
        return SendResult(Delivery("retry", error=f"Telegram unreachable: {exc}"))
    if isinstance(exc, TelegramAPIError):
        return SendResult(Delivery("failed", error=telegram_reason(exc)))
    raise exc


def _file_bytes(attachment: Attachment) -> bytes:
    try:
        return base64.b64decode(attachment.content_b64 or "", validate=True)
    except (binascii.Error, ValueError):
        raise UndeliverableError(f"attachment {attachment.name!r} is not valid base64") from None


class Outgoing:
    def __init__(self, bot: Bot, log: logging.Logger) -> None:
        self.bot = bot
        self.log = log
        # outbox id -> (steps already delivered, message id of the last of them)
        self._progress: dict[int, tuple[int, str]] = {}

    async def send(self, outbound: Outbound) -> SendResult:
        try:
            steps = self._steps(outbound)
        except UndeliverableError as exc:
            return SendResult(Delivery("failed", error=str(exc)))
        done, last_id = self._progress.get(outbound.outbox_id, (0, ""))
        for step in steps[done:]:
            try:
                sent = await step()
            except Exception as exc:
                if done:
                    self._progress[outbound.outbox_id] = (done, last_id)
                result = result_for(exc)
                if result.delivery.status == "failed":
                    self._progress.pop(outbound.outbox_id, None)
                self.log.warning(
                    "telegram outbox %d: part %d/%d: %s (%s)",
                    outbound.outbox_id,
                    done + 1,
                    len(steps),
                    result.delivery.error,
                    result.delivery.status,
                )
                return result
            done, last_id = done + 1, str(sent.message_id)
        self._progress.pop(outbound.outbox_id, None)
        return SendResult(Delivery("sent", external_id=last_id))

    def _steps(self, outbound: Outbound) -> list[Step]:
        chat = chat_id_of(outbound.recipient)
        text = outbound.text.strip()
        single = outbound.attachments[0] if len(outbound.attachments) == 1 else None
        if single is not None and single.kind != "sticker" and len(text) <= CAPTION_MAX:
            # One file with a short text: one message, the text as its caption.
            return [self._file_step(chat, single, text or None)]
        steps = [self._text_step(chat, part) for part in split_text(outbound.text)]
        steps += [self._file_step(chat, attachment) for attachment in outbound.attachments]
        if not steps:
            raise UndeliverableError("the reply is empty")
        return steps

    def _text_step(self, chat: int | str, text: str) -> Step:
        return lambda: self.bot.send_message(chat, text)

    def _file_step(
        self, chat: int | str, attachment: Attachment, caption: str | None = None
    ) -> Step:
        if attachment.content_b64 is not None:
            data = _file_bytes(attachment)
            upload = BufferedInputFile(data, filename=attachment.name or "file")
            if attachment.mime_type in PHOTO_TYPES and len(data) <= PHOTO_MAX_BYTES:
                return lambda: self.bot.send_photo(chat, upload, caption=caption)
            return lambda: self.bot.send_document(chat, upload, caption=caption)
        file_id = attachment.url
        if not file_id:
            raise UndeliverableError(f"attachment {attachment.name!r} has no content")
        # A file Telegram already holds is re-sent by its id, with the method of its kind.
        match attachment.kind:
            case "photo":
                return lambda: self.bot.send_photo(chat, file_id, caption=caption)
            case "video":
                return lambda: self.bot.send_video(chat, file_id, caption=caption)
            case "voice":
                return lambda: self.bot.send_voice(chat, file_id, caption=caption)
            case "audio":
                return lambda: self.bot.send_audio(chat, file_id, caption=caption)
            case "sticker":
                return lambda: self.bot.send_sticker(chat, file_id)
        return lambda: self.bot.send_document(chat, file_id, caption=caption)
