"""VK community events (Callback API bodies, Bots Long Poll updates) -> what Okno does with them.

Both transports carry the same event objects ({type, object, group_id, event_id, v}), so one
parser serves both. The result is an Inbound value to submit, an `OutgoingEcho` (the
community's own message, never a customer's) or an `Ignored` with the reason.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from connectors.base import (
    Attachment,
    IdentityClaim,
    Inbound,
    InboundEdit,
    InboundMessage,
    ReachabilityChange,
    Sender,
)
from connectors.text import visible

from .attachments import attachments_of, location_of

KIND = "vk"
# peer_id from here up is a group chat (2000000000 + chat id).
CHAT_PEER_START = 2_000_000_000
DENIED_REASON = "user denied messages from the community"
_FORWARD_DEPTH = 3
# VK's ids and times are 64-bit: a larger number is not from VK (and would overflow below).
_INT64 = 2**63
# Referral of a first message (vk.me/club?ref=…&ref_source=…), kept as the lead's source.
_REF_FIELDS = ("ref", "ref_source")
_REF_LIMIT = 500
BLANK_REASON = "a message with no text and no attachment"


def stand_in_name(user_id: int) -> str:
    """What a VK client is called until their name can be fetched: never an empty name."""
    return f"VK id {user_id}"


class MalformedEvent(ValueError):
    """Not a VK event Okno can read (missing or wrongly typed fields)."""


@dataclass(frozen=True)
class OutgoingEcho:
    """A message the community itself sent: from Okno, or from VK's own interface."""

    message_id: int
    random_id: int
    peer_id: int
    text: str
    admin_author_id: int | None = None
    # The channel's id of the message ("1881", or "peer:conversation_message_id").
    message_ref: str = ""
    attachments: tuple[Attachment, ...] = ()
    occurred_at: datetime | None = None


@dataclass(frozen=True)
class Ignored:
    reason: str


Parsed = Inbound | OutgoingEcho | Ignored


def external_id_of(event: Mapping[str, Any]) -> str:
    """VK's event_id; without one, a digest of the event (the secret left out)."""
    event_id = event.get("event_id")
    if isinstance(event_id, str) and event_id:
        return event_id
    canonical = json.dumps(
        {k: v for k, v in event.items() if k != "secret"}, sort_keys=True, ensure_ascii=False
    )
    return "sha256:" + hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise MalformedEvent(f"{what} is not an object")
    return value


def _int_field(obj: Mapping[str, Any], key: str) -> int:
    value = obj.get(key)
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise MalformedEvent(f"{key} is missing or not a number")
    try:
        number = int(value)
    except ValueError:
        raise MalformedEvent(f"{key} is not a number") from None
    if not -_INT64 <= number < _INT64:
        raise MalformedEvent(f"{key} is out of range")
    return number


def _list(value: Any, what: str) -> list[Any]:
    """A list field; absent is empty, anything else is no VK event Okno can read."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise MalformedEvent(f"{what} is not a list")
    return value


def message_of(event: Mapping[str, Any]) -> Mapping[str, Any]:
    """The message object: message_new nests it (API >= 5.103), edits and replies do not."""
    obj = _mapping(event.get("object"), "object")
    if "message" in obj:
        return _mapping(obj["message"], "object.message")
    return obj


def is_outgoing(message: Mapping[str, Any]) -> bool:
    return message.get("out") == 1 or _int_field(message, "from_id") < 0


def customer_of(event: Mapping[str, Any]) -> int | None:
    """The user who wrote a new message (for a name look-up), or None for anything else."""
    if event.get("type") != "message_new":
        return None
    try:
        message = message_of(event)
        peer = _int_field(message, "peer_id") if "peer_id" in message else 0
        if is_outgoing(message) or peer >= CHAT_PEER_START:
            return None
        return _int_field(message, "from_id")
    except MalformedEvent:
        return None


def _when(message: Mapping[str, Any], key: str = "date") -> datetime | None:
    value = message.get(key)
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        try:
            return datetime.fromtimestamp(value, UTC)
        except (OverflowError, OSError, ValueError):
            # No clock holds it (past year 9999): the message is still the client's, and
            # the hub dates it by its arrival.
            return None
    return None


def _author(from_id: int) -> str:
    return f"vk.com/id{from_id}" if from_id > 0 else f"vk.com/club{-from_id}"


def _forwarded(items: Any, depth: int = 0) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = []
    for item in _list(items, "fwd_messages"):
        if not isinstance(item, Mapping):
            continue
        from_id = item.get("from_id")
        entry: dict[str, Any] = {
            "from_id": from_id,
            "author": _author(from_id) if isinstance(from_id, int) else None,
            "text": str(item.get("text") or ""),
            "date": item.get("date"),
        }
        attachments = attachments_of(_list(item.get("attachments"), "fwd_messages.attachments"))
        if attachments:
            entry["attachments"] = [
                {"kind": a.kind, "name": a.name, "url": a.url} for a in attachments
            ]
        if depth < _FORWARD_DEPTH and item.get("fwd_messages"):
            entry["forwarded"] = _forwarded(item["fwd_messages"], depth + 1)
        result.append(entry)
    return result


def _reply_to(reply: Any) -> dict[str, Any] | None:
    if not isinstance(reply, Mapping):
        return None
    message_id = reply.get("id")
    return {
        "message_ref": str(message_id) if message_id else None,
        "conversation_message_id": reply.get("conversation_message_id"),
        "from_id": reply.get("from_id"),
        "text": str(reply.get("text") or ""),
    }


def _payload(raw: Any) -> Any:
    """Keyboard payloads are JSON strings; a broken one is kept as it came."""
    if not isinstance(raw, str):
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def message_ref_of(message: Mapping[str, Any]) -> str:
    message_id = message.get("id")
    if isinstance(message_id, int) and message_id > 0:
        return str(message_id)
    # Messages in chats have id 0 over the bot API; their number in the conversation is unique.
    return f"{message.get('peer_id')}:{_int_field(message, 'conversation_message_id')}"


def _sender(user_id: int, name: str) -> Sender:
    return Sender(name=name, identities=(IdentityClaim("vk", str(user_id)),))


def _message_new(
    event: Mapping[str, Any], channel_name: str, external_id: str, sender_name: str
) -> Parsed:
    message = message_of(event)
    from_id = _int_field(message, "from_id")
    peer_id = _int_field(message, "peer_id") if "peer_id" in message else from_id
    if is_outgoing(message):
        return _echo(message)
    if peer_id >= CHAT_PEER_START:
        return Ignored(f"message in group chat {peer_id} (only private dialogs are served)")
    attachments = list(attachments_of(_list(message.get("attachments"), "attachments")))
    location = location_of(message.get("geo"))
    meta: dict[str, Any] = {
        "conversation_message_id": message.get("conversation_message_id"),
        "peer_id": peer_id,
        # The name shown until VK says the real one; the hub replaces it once it does.
        "sender_stand_in": stand_in_name(from_id),
    }
    for key in _REF_FIELDS:
        if isinstance(message.get(key), str | int) and str(message[key]).strip():
            meta[key] = str(message[key]).strip()[:_REF_LIMIT]
    if location is not None:
        attachments.append(location)
        meta["location"] = dict(location.meta)
    reply_to = _reply_to(message.get("reply_message"))
    if reply_to is not None:
        meta["reply_to"] = reply_to
    forwarded = _forwarded(message.get("fwd_messages"))
    if forwarded:
        meta["forwarded"] = forwarded
    if "payload" in message:
        meta["payload"] = _payload(message["payload"])
    text = visible(str(message.get("text") or ""))
    if not text and not attachments and not forwarded:
        # Dropped, not stored: nothing to show but an empty bubble (also when the text is
        # only invisible characters).
        return Ignored(BLANK_REASON)
    return InboundMessage(
        channel_kind=KIND,
        channel_name=channel_name,
        external_id=external_id,
        sender=_sender(from_id, sender_name or stand_in_name(from_id)),
        text=text,
        attachments=tuple(attachments),
        meta=meta,
        occurred_at=_when(message),
        message_ref=message_ref_of(message),
    )


def _echo(message: Mapping[str, Any]) -> OutgoingEcho:
    admin = message.get("admin_author_id")
    return OutgoingEcho(
        message_id=_int_field(message, "id") if "id" in message else 0,
        random_id=_int_field(message, "random_id") if "random_id" in message else 0,
        peer_id=_int_field(message, "peer_id") if "peer_id" in message else 0,
        text=str(message.get("text") or ""),
        admin_author_id=admin if isinstance(admin, int) else None,
        message_ref=message_ref_of(message) if "id" in message else "",
        attachments=attachments_of(_list(message.get("attachments"), "attachments")),
        occurred_at=_when(message),
    )


def _message_edit(event: Mapping[str, Any], channel_name: str, external_id: str) -> Parsed:
    message = message_of(event)
    if is_outgoing(message):
        return Ignored("the community edited its own message")
    from_id = _int_field(message, "from_id")
    text = visible(str(message.get("text") or ""))
    attachments = attachments_of(_list(message.get("attachments"), "attachments"))
    if not text and not attachments:
        # Not applied: the earlier words stay shown rather than an empty bubble.
        return Ignored(f"an edit to {BLANK_REASON}")
    return InboundEdit(
        channel_kind=KIND,
        channel_name=channel_name,
        external_id=external_id,
        sender=_sender(from_id, ""),
        message_ref=message_ref_of(message),
        text=text,
        attachments=attachments,
        occurred_at=_when(message, "update_time") or _when(message),
    )


def _reachability(
    event: Mapping[str, Any], channel_name: str, external_id: str, reachable: bool
) -> ReachabilityChange:
    obj = _mapping(event.get("object"), "object")
    return ReachabilityChange(
        channel_kind=KIND,
        channel_name=channel_name,
        external_id=external_id,
        sender=_sender(_int_field(obj, "user_id"), ""),
        reachable=reachable,
        reason="" if reachable else DENIED_REASON,
    )


def parse_event(event: Mapping[str, Any], channel_name: str, sender_name: str = "") -> Parsed:
    """What one VK event means for Okno; raises MalformedEvent for unreadable input."""
    kind = event.get("type")
    if not isinstance(kind, str) or not kind:
        raise MalformedEvent("the event has no type")
    external_id = external_id_of(event)
    match kind:
        case "message_new":
            return _message_new(event, channel_name, external_id, sender_name)
        case "message_edit":
            return _message_edit(event, channel_name, external_id)
        case "message_reply":
            return _echo(message_of(event))
        case "message_allow":
            return _reachability(event, channel_name, external_id, True)
        case "message_deny":
            return _reachability(event, channel_name, external_id, False)
    return Ignored(f"{kind} events are not stored")
