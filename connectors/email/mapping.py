"""A parsed mail -> the value type routing understands, or a reason to let it pass.

A person's mail becomes an InboundMessage; a bounce of one of our replies becomes a
DeliveryReport; auto-replies, other delivery notices and our own mail become nothing
(they never open a conversation).
"""

from __future__ import annotations

import base64
import hashlib
import re
from dataclasses import dataclass
from typing import Any

from connectors.base import Attachment, DeliveryReport, IdentityClaim, InboundMessage, Sender

from .parse import ParsedMail

_SUBJECT_MARKER = re.compile(r"\[#(\d{1,18})\]")
# The inbound_events key column holds 300 characters.
_MAX_KEY = 300
_SURROGATE = re.compile("[\ud800-\udfff]")


def okno_message_id(conversation_id: int, message_id: int, domain: str) -> str:
    return f"<okno-conv-{conversation_id}-msg-{message_id}@{domain}>"


def _own_id(domain: str) -> re.Pattern[str]:
    return re.compile(rf"^<okno-conv-(\d{{1,18}})-msg-\d{{1,18}}@{re.escape(domain)}>$", re.I)


def thread_hint(mail: ParsedMail, domain: str) -> int | None:
    """The conversation this mail answers: our Message-ID in its In-Reply-To or References
    (newest first), else a "[#N]" marker in its subject."""
    own = _own_id(domain)
    for ref in (mail.in_reply_to, *reversed(mail.references)):
        match = own.match(ref or "")
        if match:
            return int(match.group(1))
    marker = _SUBJECT_MARKER.search(mail.subject)
    return int(marker.group(1)) if marker else None


@dataclass(frozen=True)
class Skipped:
    """Nothing to submit; `reason` goes to the log."""

    reason: str


@dataclass(frozen=True)
class MailboxPosition:
    uid_validity: int
    uid: int

    @property
    def key(self) -> str:
        return f"uid:{self.uid_validity}:{self.uid}"


def dedup_key(mail: ParsedMail, position: MailboxPosition) -> str:
    """Message-ID, so the same mail is stored once however it is re-read; else the UID."""
    if mail.message_id is None:
        return position.key
    if len(mail.message_id) <= _MAX_KEY:
        return mail.message_id
    return "message-id-sha256:" + hashlib.sha256(mail.message_id.encode()).hexdigest()


def safe(value: Any) -> Any:
    """Strings storable everywhere: PostgreSQL refuses NUL, JSON refuses lone surrogates."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value.replace("\x00", ""))
    if isinstance(value, list | tuple):
        return [safe(v) for v in value]
    if isinstance(value, dict):
        return {k: safe(v) for k, v in value.items()}
    return value


def _attachment(name: str, mime_type: str, data: bytes) -> Attachment:
    return Attachment(
        kind="file",
        name=safe(name),
        mime_type=mime_type,
        size=len(data),
        content_b64=base64.b64encode(data).decode("ascii"),
    )


def _cc(mail: ParsedMail, own_address: str) -> list[dict[str, str]]:
    """The Cc recipients other than this mailbox, once each, as the thread shows them."""
    seen: dict[str, dict[str, str]] = {}
    for name, address in mail.cc:
        key = address.lower()
        if key != own_address.lower() and key not in seen:
            seen[key] = {"name": name, "address": address}
    return list(seen.values())


def _meta(
    mail: ParsedMail, position: MailboxPosition, domain: str, own_address: str
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "message_id": mail.message_id,
        "in_reply_to": mail.in_reply_to,
        "references": list(mail.references),
        "date": mail.date.isoformat(),
        "imap_uid": position.key,
    }
    if not mail.date_from_header:
        meta["date_is_receipt_time"] = True
    optional = {
        "html": mail.html,
        "quoted_text": mail.quoted_text,
        "thread_hint": thread_hint(mail, domain),
        "reply_to": mail.reply_to if mail.reply_to.lower() != mail.from_address.lower() else "",
        "cc": _cc(mail, own_address),
        "mime_defects": list(mail.defects),
    }
    meta.update({k: v for k, v in optional.items() if v})
    return meta


def to_inbound(
    mail: ParsedMail,
    channel_name: str,
    position: MailboxPosition,
    own_address: str,
    domain: str,
) -> InboundMessage | DeliveryReport | Skipped:
    key = safe(dedup_key(mail, position))
    if mail.bounce is not None:
        bounce = mail.bounce
        if bounce.action != "failed":
            return Skipped(f"delivery notice ({bounce.action} {bounce.status})")
        if bounce.original_message_id is None:
            return Skipped(f"bounce without the original Message-ID: {bounce.reason}")
        return DeliveryReport(
            channel_kind="email",
            channel_name=channel_name,
            external_id=key,
            outbox_ref=safe(bounce.original_message_id),
            status="failed",
            error=safe(bounce.reason),
            occurred_at=mail.date,
            meta={"status": bounce.status, "bounce_message_id": mail.message_id},
        )
    if mail.auto_reply is not None:
        return Skipped(f"automatic reply ({mail.auto_reply})")
    if mail.from_address and mail.from_address.lower() == own_address.lower():
        return Skipped("sent from this mailbox's own address")
    if mail.message_id and _own_id(domain).match(mail.message_id):
        return Skipped("a copy of Okno's own reply")
    identities = (IdentityClaim("email", safe(mail.from_address)),) if mail.from_address else ()
    return InboundMessage(
        channel_kind="email",
        channel_name=channel_name,
        external_id=key,
        sender=Sender(name=safe(mail.from_name), identities=identities),
        text=safe(mail.text),
        subject=safe(mail.subject),
        attachments=tuple(_attachment(f.name, f.mime_type, f.data) for f in mail.files),
        meta=safe(_meta(mail, position, domain, own_address)),
        occurred_at=mail.date,
        message_ref=key if key == mail.message_id else None,
    )
