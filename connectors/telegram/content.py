"""What a Telegram message says, as Okno keeps it: text, attachments and channel extras.

Files stay on Telegram's side: an attachment carries the `file_id` (in `url`) from which
the file can be fetched with getFile later, plus the size, name and type Telegram reported.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from aiogram.enums import ContentType
from aiogram.types import (
    Message,
    MessageEntity,
    MessageOriginChat,
    MessageOriginHiddenUser,
    MessageOriginUnion,
    MessageOriginUser,
    PhotoSize,
)

from connectors.base import Attachment
from connectors.text import visible

# "/start <payload>" from a t.me/<bot>?start=<payload> deep link.
_START = re.compile(r"^/start(?:@\w+)?[ \t]+(\S.*)$", re.DOTALL)

# Chat service notices: not something the client said, so not a message.
SERVICE_CONTENT = frozenset(
    {
        "new_chat_members",
        "left_chat_member",
        "new_chat_title",
        "new_chat_photo",
        "delete_chat_photo",
        "group_chat_created",
        "supergroup_chat_created",
        "channel_chat_created",
        "message_auto_delete_timer_changed",
        "migrate_to_chat_id",
        "migrate_from_chat_id",
        "pinned_message",
        "write_access_allowed",
        "chat_background_set",
        "boost_added",
        "forum_topic_created",
        "forum_topic_edited",
        "forum_topic_closed",
        "forum_topic_reopened",
        "general_forum_topic_hidden",
        "general_forum_topic_unhidden",
        "video_chat_scheduled",
        "video_chat_started",
        "video_chat_ended",
        "video_chat_participants_invited",
        "proximity_alert_triggered",
    }
)

REPLY_SNIPPET = 300


@dataclass(frozen=True)
class Content:
    text: str
    attachments: tuple[Attachment, ...] = ()
    meta: dict[str, Any] = field(default_factory=dict)


def message_ref(chat_id: int, message_id: int) -> str:
    """A message id is unique only within its chat."""
    return f"{chat_id}:{message_id}"


def shown_phone(phone: str) -> str:
    """A shared number as the operator reads it. Telegram writes numbers in international form
    without the plus; people who typed their own in the Russian domestic form (8 916…) keep
    it. Only for display: identity matching normalises the raw number (routing.identity)."""
    phone = phone.strip()
    domestic = len(phone) == 11 and phone.startswith("8")
    return f"+{phone}" if phone.isdigit() and not domestic else phone


def _drop_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}


def _entities(entities: list[MessageEntity] | None) -> list[dict[str, Any]]:
    # Offsets and lengths are UTF-16 code units, exactly as Telegram gave them.
    return [e.model_dump(mode="json", exclude_none=True) for e in entities or []]


def _largest(sizes: list[PhotoSize]) -> PhotoSize:
    return max(sizes, key=lambda s: (s.width * s.height, s.file_size or 0))


def _file(
    kind: str,
    obj: Any,
    *,
    name: str = "",
    mime_type: str = "",
    **meta: Any,
) -> Attachment:
    return Attachment(
        kind=kind,
        name=name,
        mime_type=mime_type,
        size=obj.file_size,
        url=obj.file_id,
        meta=_drop_none({"file_unique_id": obj.file_unique_id, **meta}),
    )


def _attachments(message: Message) -> tuple[list[Attachment], str]:
    """The message's files and places, and a readable text for those that have no words."""
    if message.photo:
        p = _largest(message.photo)
        return [_file("photo", p, mime_type="image/jpeg", width=p.width, height=p.height)], ""
    if message.animation:
        a = message.animation
        video = _file(
            "video",
            a,
            name=a.file_name or "",
            mime_type=a.mime_type or "video/mp4",
            animation=True,
            duration=a.duration,
            width=a.width,
            height=a.height,
        )
        return [video], ""
    if message.document:
        d = message.document
        return [_file("document", d, name=d.file_name or "", mime_type=d.mime_type or "")], ""
    if message.voice:
        vo = message.voice
        return [_file("voice", vo, mime_type=vo.mime_type or "audio/ogg", duration=vo.duration)], ""
    if message.video:
        vi = message.video
        video = _file(
            "video",
            vi,
            name=vi.file_name or "",
            mime_type=vi.mime_type or "video/mp4",
            duration=vi.duration,
            width=vi.width,
            height=vi.height,
        )
        return [video], ""
    if message.video_note:
        n = message.video_note
        note = _file("video", n, mime_type="video/mp4", round=True, duration=n.duration)
        return [note], ""
    if message.audio:
        au = message.audio
        audio = _file(
            "audio",
            au,
            name=au.file_name or "",
            mime_type=au.mime_type or "",
            duration=au.duration,
            performer=au.performer,
            title=au.title,
        )
        return [audio], ""
    if message.sticker:
        s = message.sticker
        mime = (
            "application/x-tgsticker"
            if s.is_animated
            else "video/webm"
            if s.is_video
            else "image/webp"
        )
        sticker = _file(
            "sticker",
            s,
            name=s.set_name or "",
            mime_type=mime,
            emoji=s.emoji,
            set_name=s.set_name,
            width=s.width,
            height=s.height,
        )
        return [sticker], s.emoji or ""
    if message.location:
        loc = message.location
        place = _drop_none(
            {
                "latitude": loc.latitude,
                "longitude": loc.longitude,
                "live_period": loc.live_period,
                "title": message.venue.title if message.venue else None,
                "address": message.venue.address if message.venue else None,
            }
        )
        readable = f"📍 {loc.latitude}, {loc.longitude}"
        if message.venue:
            readable = f"📍 {message.venue.title}, {message.venue.address} ({readable[2:]})"
        return [Attachment(kind="location", meta=place)], readable
    return [], ""


def _forward_origin(origin: MessageOriginUnion) -> dict[str, Any]:
    # The forwarded author is named only: they are not the sender and never a contact.
    if isinstance(origin, MessageOriginUser):
        kind, name = "user", origin.sender_user.full_name
    elif isinstance(origin, MessageOriginHiddenUser):
        kind, name = "hidden_user", origin.sender_user_name
    elif isinstance(origin, MessageOriginChat):
        kind, name = "chat", origin.sender_chat.title or ""
    else:
        kind, name = "channel", origin.chat.title or ""
    return {"type": kind, "name": name, "date": origin.date.isoformat()}


def _extras(message: Message, text: str) -> dict[str, Any]:
    meta: dict[str, Any] = {}
    entities = _entities(message.entities or message.caption_entities)
    if entities:
        meta["entities"] = entities
    if message.reply_to_message is not None:
        replied = message.reply_to_message
        meta["reply_to"] = message_ref(replied.chat.id, replied.message_id)
        snippet = replied.text or replied.caption or ""
        if snippet:
            meta["reply_to_text"] = snippet[:REPLY_SNIPPET]
    if message.quote is not None:
        meta["quote"] = message.quote.text
    if message.forward_origin is not None:
        meta["forwarded_from"] = _forward_origin(message.forward_origin)
    if message.media_group_id:
        # Albums arrive as one message per file; this groups them back.
        meta["media_group_id"] = message.media_group_id
    start = _START.match(text)
    if start:
        meta["start_payload"] = start.group(1).strip()
    if message.location:
        meta["location"] = {
            "latitude": message.location.latitude,
            "longitude": message.location.longitude,
        }
    if message.contact:
        meta["contact"] = _drop_none(
            {
                "phone_number": message.contact.phone_number,
                "first_name": message.contact.first_name,
                "last_name": message.contact.last_name,
                "user_id": message.contact.user_id,
            }
        )
    return meta


def _described(message: Message) -> str:
    """Words for content that is neither text nor a file: a contact card, a poll, a dice."""
    if message.contact:
        c = message.contact
        name = " ".join(p for p in (c.first_name, c.last_name) if p)
        return " ".join(p for p in ("📇", name, shown_phone(c.phone_number)) if p)
    if message.poll:
        options = "\n".join(f"• {o.text}" for o in message.poll.options)
        return f"📊 {message.poll.question}\n{options}"
    if message.dice:
        return f"{message.dice.emoji} {message.dice.value}"
    return ""


def content_of(message: Message) -> Content | None:
    """The message as Okno keeps it, or None for a chat service notice."""
    kind = ContentType(message.content_type).value
    if kind in SERVICE_CONTENT:
        return None
    # A caption of only invisible characters is no caption: the file alone is shown.
    text = visible(message.text or message.caption or "")
    attachments, readable = _attachments(message)
    meta = _extras(message, text)
    if not text:
        text = readable or _described(message)
    if not text and not attachments:
        # Something newer than this connector knows (a story, a giveaway): keep a trace.
        text = f"[{kind}]"
        meta["content_type"] = kind
    return Content(text, tuple(attachments), meta)
