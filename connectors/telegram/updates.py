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
from aiogram.types.update import UpdateTypeLookupError
from pydantic import ValidationError

from connectors.base import (
    IdentityClaim,
    InboundEdit,
    InboundMessage,
    ReachabilityChange,
    Sender,
)
from connectors.text import is_blank

from .content import content_of, message_ref
from .errors import NotAnUpdate, UnreadableUpdate

GROUP_CHATS = frozenset({"group", "supergroup"})
BLOCKED_REASON = "bot blocked by the user"
# Update kinds the poller asks for; anything else is not a client talking to us.
WANTED_UPDATES = ("message", "edited_message", "callback_query", "my_chat_member")
# Telegram's ids and times are 64-bit at most (ids fit in 52 bits): a larger number is not
# from Telegram, and would overflow the clock and the database further down.
INT64 = 2**63
# A sender's name is at most 64+64 characters on Telegram; more would not fit a contact.
NAME_LIMIT = 200
BLANK_REASON = "no visible content (only invisible characters)"

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
    """Raises NotAnUpdate for what is no Update at all, UnreadableUpdate for an Update
    this connector cannot read (the caller keeps it raw and acknowledges it)."""
    if not isinstance(data, dict) or type(data.get("update_id")) is not int:
        raise NotAnUpdate("expected a JSON object with an integer update_id")
    if (big := _out_of_range(data)) is not None:
        raise UnreadableUpdate("value-out-of-range", f"a number out of 64-bit range: {big:.40}")
    try:
        update = Update.model_validate(data, context={"bot": bot})
    except ValidationError as exc:
        where = ".".join(str(p) for p in exc.errors()[0]["loc"])[:200]
        raise UnreadableUpdate(
            "invalid-update",
            f"not a valid Telegram Update: {exc.error_count()} error(s), first at {where}",
        ) from exc
    return _Parser(update, channel, allow_groups).parse()


def _out_of_range(data: Any) -> str | None:
    """The first integer anywhere in the update outside 64 bits, as text (iteratively: the
    body may nest deeply)."""
    stack = [data]
    while stack:
        value = stack.pop()
        if isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
        elif isinstance(value, int) and not -INT64 <= value < INT64:
            return str(value)[:40]
    return None


def _sender(user: User | None, chat: Chat | None, *extra: IdentityClaim) -> Sender:
    if user is not None:
        name = user.full_name[:NAME_LIMIT]
        return Sender(name, (IdentityClaim("telegram", str(user.id)), *extra))
    if chat is None:
        return Sender("", extra)
    # Anonymous group admins and channels speak as a chat.
    name = (chat.title or chat.full_name)[:NAME_LIMIT]
    return Sender(name, (IdentityClaim("telegram", str(chat.id)), *extra))


def _when(value: datetime | int | None) -> datetime | None:
    """aiogram reads Telegram's unix times as datetimes; 0 (inaccessible message) is none.

    A time no clock can hold (past year 9999) is read as none: the message is still the
    client's, and the hub then dates it by its arrival.
    """
    if isinstance(value, datetime):
        return value
    if not value:
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


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
        try:
            kind = u.event_type
        except UpdateTypeLookupError:
            # Telegram adds update types every few months; one the library does not know yet
            # (or an update with no type at all) is kept raw for a look.
            fields = sorted(k for k in (u.model_extra or {}) if k != "update_id")
            raise UnreadableUpdate(
                "unknown-update-type",
                f"an update of a type this connector does not know ({', '.join(fields)[:200]})"
                if fields
                else "an update with no type at all",
            ) from None
        return self._ignore(f"{kind} updates are not handled")

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
        if message.text is not None and is_blank(message.text):
            # Dropped, not stored: it would be an empty bubble in the operator's list.
            return self._ignore(BLANK_REASON)
        content = content_of(message)
        if content is None:
            return self._ignore("a chat service message")
        extra: tuple[IdentityClaim, ...] = ()
        shared = message.contact
        if shared and message.from_user and shared.user_id == message.from_user.id:
            # The client shared their own number: it is how we may call them. It goes to the
            # hub as written ("79161234567", "+7 916…", "89161234567"): routing.identity
            # normalises it by the rule every phone Okno receives goes by.
            extra = (IdentityClaim("phone", shared.phone_number.strip()),)
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
        if message.text is not None and is_blank(message.text):
            # An edit that blanks the message is not applied: the earlier words stay shown
            # rather than an empty bubble.
            return self._ignore(BLANK_REASON)
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
