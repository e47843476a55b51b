"""One Telegram Update (webhook body or getUpdates item) -> the value type Okno stores.

The same function serves both transports, so a fixture means the same thing either way.
The dedup key is the update_id (ARCHITECTURE rule 2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from aiogram import Bot
from aiogram.types import CallbackQuery, Chat, ChatMemberUpdated, Message, Update, User
from pydantic import ValidationError

from connectors.base import (
    IdentityClaim,
    InboundEdit,
    InboundMessage,
    ReachabilityChange,
    Sender,
)

from .content import content_of, international, message_ref
from .errors import NotAnUpdate

GROUP_CHATS = frozenset({"group", "supergroup"})
BLOCKED_REASON = "bot blocked by the user"
# Update kinds the poller asks for; anything else is not a client talking to us.
WANTED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")

TelegramItem = InboundMessage | InboundEdit | ReachabilityChange


@dataclass(frozen=True)
class Parsed:
    update_id: int
    # None: acknowledged and dropped, for the reason given.
    item: TelegramItem | None
    ignored: str = ""
    # A button press must be answered, or the client's button keeps spinning.
    callback_query_id: str | None = None


def parse_update(data: Any, bot: Bot, channel: str, *, allow_groups: bool) -> Parsed:
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise NotAnUpdate("expected a JSON object with an integer update_id")
    try:
        update = Update.model_validate(data, context={"bot": bot})
    except ValidationError as exc:
        raise NotAnUpdate(f"not a valid Telegram Update: {exc.error_count()} error(s)") from exc
    return _Parser(update, channel, allow_groups).parse()


def _sender(user: User | None, chat: Chat | None, *extra: IdentityClaim) -> Sender:
    if user is not None:
        return Sender(user.full_name, (IdentityClaim("telegram", str(user.id)), *extra))
    if chat is None:
        return Sender("", extra)
    # Anonymous group admins and channels speak as a chat.
    return Sender(chat.title or chat.full_name, (IdentityClaim("telegram", str(chat.id)), *extra))


def _when(value: datetime | int | None) -> datetime | None:
    """aiogram reads Telegram's unix times as datetimes; 0 (inaccessible message) is none."""
    if isinstance(value, datetime):
        return value
    return datetime.fromtimestamp(value, UTC) if value else None


class _Parser:
    def __init__(self, update: Update, channel: str, allow_groups: bool) -> None:
        self.update = update
        self.channel = channel
        self.allow_groups = allow_groups
        self.external_id = str(update.update_id)

    def parse(self) -> Parsed:
        u = self.update
        if u.message is not None:
            return self._message(u.message)
        if u.edited_message is not None:
            return self._edit(u.edited_message)
        if u.callback_query is not None:
            return self._callback(u.callback_query)
        if u.my_chat_member is not None:
            return self._membership(u.my_chat_member)
        return self._ignore(f"{u.event_type} updates are not handled")

    def _ignore(self, reason: str) -> Parsed:
        return Parsed(self.update.update_id, None, ignored=reason)

    def _chat_refused(self, chat: Chat) -> str:
        if chat.type in GROUP_CHATS and not self.allow_groups:
            return f"{chat.type} chat {chat.id} (group chats are not enabled)"
        if chat.type == "channel":
            return f"channel {chat.id}"
        return ""

    def _message(self, message: Message) -> Parsed:
        if refused := self._chat_refused(message.chat):
            return self._ignore(refused)
        content = content_of(message)
        if content is None:
            return self._ignore("a chat service message")
        extra: tuple[IdentityClaim, ...] = ()
        shared = message.contact
        if shared and message.from_user and shared.user_id == message.from_user.id:
            # The client shared their own number: it is how we may call them.
            extra = (IdentityClaim("phone", international(shared.phone_number)),)
        meta = dict(content.meta)
        if message.chat.type in GROUP_CHATS:
            meta["chat"] = {"id": message.chat.id, "type": message.chat.type}
            meta["chat"]["title"] = message.chat.title or ""
        item = InboundMessage(
            channel_kind="telegram",
            channel_name=self.channel,
            external_id=self.external_id,
            sender=_sender(message.from_user, message.chat, *extra),
            text=content.text,
            attachments=content.attachments,
            meta=meta,
            occurred_at=_when(message.date),
            message_ref=message_ref(message.chat.id, message.message_id),
        )
        return Parsed(self.update.update_id, item)

    def _edit(self, message: Message) -> Parsed:
        if refused := self._chat_refused(message.chat):
            return self._ignore(refused)
        content = content_of(message)
        if content is None:
            return self._ignore("an edited chat service message")
        item = InboundEdit(
            channel_kind="telegram",
            channel_name=self.channel,
            external_id=self.external_id,
            sender=_sender(message.from_user, message.chat),
            message_ref=message_ref(message.chat.id, message.message_id),
            text=content.text,
            attachments=content.attachments,
            occurred_at=_when(message.edit_date) or _when(message.date),
            meta=content.meta,
        )
        return Parsed(self.update.update_id, item)

    def _callback(self, query: CallbackQuery) -> Parsed:
        shown = query.message
        if shown is not None and (refused := self._chat_refused(shown.chat)):
            return Parsed(self.update.update_id, None, refused, callback_query_id=query.id)
        data = query.data or query.game_short_name or ""
        label = ""
        button: dict[str, Any] = {"data": data, "message_ref": None}
        if shown is not None:
            button["message_ref"] = message_ref(shown.chat.id, shown.message_id)
        if isinstance(shown, Message):
            label = _button_label(shown, data)
            question = shown.text or shown.caption or ""
            if question:
                button["message_text"] = question[:300]
        if label:
            button["label"] = label
        chat = shown.chat if shown is not None else None
        item = InboundMessage(
            channel_kind="telegram",
            channel_name=self.channel,
            external_id=self.external_id,
            sender=_sender(query.from_user, chat),
            text=label or data,
            meta={"button": button},
        )
        return Parsed(self.update.update_id, item, callback_query_id=query.id)

    def _membership(self, change: ChatMemberUpdated) -> Parsed:
        if change.chat.type != "private":
            return self._ignore(f"bot membership changed in {change.chat.type} {change.chat.id}")
        old, new = change.old_chat_member.status, change.new_chat_member.status
        if new == "kicked":
            reachable, reason = False, BLOCKED_REASON
        elif new == "member" and old in ("kicked", "left"):
            reachable, reason = True, "bot unblocked by the user"
        else:
            return self._ignore(f"bot membership {old} -> {new}")
        item = ReachabilityChange(
            channel_kind="telegram",
            channel_name=self.channel,
            external_id=self.external_id,
            # In a private chat the chat id is the user id, the address we send to.
            sender=Sender(
                change.from_user.full_name, (IdentityClaim("telegram", str(change.chat.id)),)
            ),
            reachable=reachable,
            reason=reason,
            occurred_at=_when(change.date),
        )
        return Parsed(self.update.update_id, item)


def _button_label(message: Message, data: str) -> str:
    markup = message.reply_markup
    if markup is None:
        return ""
    for row in markup.inline_keyboard:
        for button in row:
            if button.callback_data == data:
                return button.text
    return ""
