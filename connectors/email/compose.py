"""An operator's reply (Outbound) -> the e-mail to send, threaded into the client's mail.

Threading works both ways: the client's mail program files it under the conversation by
In-Reply-To/References, and the client's answer comes back carrying our Message-ID
(`okno-conv-N-msg-M@domain`) and the "[#N]" subject marker, which route it to conversation N.
"""

from __future__ import annotations

import base64
import binascii
import re
from collections.abc import Mapping
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from typing import Any

from connectors.base import Outbound

from .mapping import okno_message_id

_REPLY_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|ответ|отв|пересл)\s*(\[\d+\])?\s*:\s*)+", re.I)
_MARKER = re.compile(r"\s*\[#\d+\]\s*")
# Long References lists are trimmed to the first and the latest ids (RFC 5322 3.6.4 allows it).
MAX_REFERENCES = 20


class ComposeError(ValueError):
    """The reply cannot be turned into a mail (a bad recipient address, say)."""


def clean_subject(subject: str) -> str:
    """The topic without "Re:"/"Fwd:" chains and old "[#N]" markers."""
    previous = None
    while previous != subject:
        previous = subject
        subject = _MARKER.sub(" ", _REPLY_PREFIX.sub("", subject)).strip()
    return subject


def reply_subject(conversation_id: int, subject: str) -> str:
    topic = clean_subject(subject)
    return f"Re: [#{conversation_id}] {topic}".rstrip()


def _ids(value: Any) -> list[str]:
    if isinstance(value, str):
        return re.findall(r"<[^<>\s]+>", value)
    if isinstance(value, list | tuple):
        return [v for item in value for v in _ids(item)]
    return []


def references(meta: Mapping[str, Any]) -> tuple[str | None, list[str]]:
    """(In-Reply-To, References) from the latest inbound mail the hub put in meta."""
    in_reply_to = next(iter(_ids(meta.get("in_reply_to"))), None)
    chain = list(dict.fromkeys([*_ids(meta.get("references")), *_ids(in_reply_to)]))
    if len(chain) > MAX_REFERENCES:
        chain = [chain[0], *chain[-(MAX_REFERENCES - 1) :]]
    return in_reply_to, chain


def sender_name(author_name: str, from_name: str) -> str:
    author, mailbox = author_name.strip(), from_name.strip()
    if author and mailbox:
        return f"{author} via {mailbox}"
    return author or mailbox


def _address(value: str, display_name: str = "") -> Address:
    if any(c in value for c in "\r\n<>\0") or value.count("@") != 1:
        raise ComposeError(f"{value!r} is not an e-mail address")
    username, domain = value.strip().rsplit("@", 1)
    if not username or not domain:
        raise ComposeError(f"{value!r} is not an e-mail address")
    try:
        return Address(display_name=display_name, username=username, domain=domain)
    except (ValueError, TypeError) as exc:
        raise ComposeError(f"{value!r} is not an e-mail address: {exc}") from exc


def compose_reply(
    outbound: Outbound,
    *,
    address: str,
    from_name: str,
    domain: str,
    now: datetime,
) -> EmailMessage:
    meta = outbound.meta
    message_id = meta.get("message_id")
    if not isinstance(message_id, int):
        # Without it a retry would send a second, differently named copy of the mail.
        raise ComposeError("the hub did not say which message this is (meta.message_id)")
    msg = EmailMessage()
    msg["From"] = _address(address, sender_name(outbound.author_name, from_name))
    msg["To"] = _address(outbound.recipient)
    msg["Subject"] = reply_subject(outbound.conversation_id, str(meta.get("subject") or ""))
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = okno_message_id(outbound.conversation_id, message_id, domain)
    in_reply_to, chain = references(meta)
    if in_reply_to:
        msg["In-Reply-To"] = in_reply_to
    if chain:
        msg["References"] = " ".join(chain)
    msg.set_content(outbound.text or "", charset="utf-8")
    for attachment in outbound.attachments:
        if attachment.content_b64 is None:
            raise ComposeError(f"attachment {attachment.name!r} has no content to send")
        try:
            data = base64.b64decode(attachment.content_b64, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise ComposeError(f"attachment {attachment.name!r} is not valid base64") from exc
        maintype, _, subtype = (attachment.mime_type or "application/octet-stream").partition("/")
        msg.add_attachment(
            data,
            maintype=maintype or "application",
            subtype=subtype or "octet-stream",
            filename=attachment.name or "attachment",
        )
    return msg


def compose_staff_notice(
    *, to: str, subject: str, text: str, address: str, from_name: str, domain: str, now: datetime
) -> EmailMessage:
    """A robot's notice to a colleague: plain text from the mailbox, in no client's thread
    (its Message-ID is not an Okno conversation's, so an answer to it threads nowhere)."""
    msg = EmailMessage()
    msg["From"] = _address(address, from_name)
    msg["To"] = _address(to)
    msg["Subject"] = clean_subject(subject) or "Okno"
    msg["Date"] = format_datetime(now)
    msg["Message-ID"] = make_msgid("okno-staff", domain=domain)
    msg.set_content(text, charset="utf-8")
    return msg
