"""Raw RFC 5322 bytes -> a ParsedMail record. Pure and total: it never raises.

Parsing uses the standard `email` package with `policy.default` (RFC 2047 words, RFC 2231
parameters, charsets); `headers`, `bodies`, `quoting`, `sanitize` and `reports` hold the
pieces, this module puts them together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from email import message_from_bytes, policy
from email.message import EmailMessage

from . import headers
from .bodies import FilePart, decode_bytes, extract
from .quoting import split_quoted
from .reports import Bounce, auto_reply_reason, bounce_of
from .sanitize import html_to_text, sanitise_html


@dataclass(frozen=True)
class ParsedMail:
    from_name: str
    from_address: str
    to: tuple[str, ...]
    # (display name, address) of each Cc recipient: the client's colleagues kept in the loop.
    cc: tuple[tuple[str, str], ...]
    reply_to: str
    subject: str
    # The Date field, else the server's receipt time (`date_from_header` tells which).
    date: datetime
    date_from_header: bool
    message_id: str | None
    in_reply_to: str | None
    references: tuple[str, ...]
    # What the client wrote now; `quoted_text` is the history below it (kept, collapsed).
    text: str
    quoted_text: str
    html: str | None  # sanitised
    files: tuple[FilePart, ...]
    auto_reply: str | None  # why it is an automatic answer
    bounce: Bounce | None
    defects: tuple[str, ...]


def _defects(msg: EmailMessage) -> tuple[str, ...]:
    found = [type(d).__name__ for part in msg.walk() for d in part.defects]
    return tuple(dict.fromkeys(found))


def parse_mail(raw: bytes, received_at: datetime) -> ParsedMail:
    try:
        msg = message_from_bytes(raw, policy=policy.default)
        if isinstance(msg, EmailMessage):
            return _parse(msg, received_at)
        raise TypeError("the parser did not return an EmailMessage")
    except Exception as exc:  # the parser itself gave up: keep the bytes as text
        return raw_mail(raw, received_at, f"{type(exc).__name__}: {exc}")


def raw_mail(raw: bytes, received_at: datetime, defect: str) -> ParsedMail:
    """A record for mail nothing could be made of: its bytes become the text."""
    text = decode_bytes(raw, None).replace("\r\n", "\n")
    return ParsedMail(
        from_name="",
        from_address="",
        to=(),
        cc=(),
        reply_to="",
        subject="",
        date=received_at,
        date_from_header=False,
        message_id=None,
        in_reply_to=None,
        references=(),
        text=text,
        quoted_text="",
        html=None,
        files=(),
        auto_reply=None,
        bounce=None,
        defects=(defect,),
    )


def _parse(msg: EmailMessage, received_at: datetime) -> ParsedMail:
    from_name, from_address = headers.first_address(msg, "from")
    sent = headers.sent_at(msg)
    bodies = extract(msg)
    html = sanitise_html(bodies.html) if bodies.html and bodies.html.strip() else None
    full_text = bodies.text
    if not full_text.strip() and bodies.html:
        full_text = html_to_text(bodies.html)
    text, quoted = split_quoted(full_text.strip("\n"))
    in_reply_to = headers.message_ids(msg, "in-reply-to")
    return ParsedMail(
        from_name=from_name,
        from_address=from_address,
        to=tuple(address for _, address in headers.addresses(msg, "to")),
        cc=tuple((name, address) for name, address in headers.addresses(msg, "cc") if address),
        reply_to=headers.first_address(msg, "reply-to")[1],
        subject=headers.subject(msg),
        date=sent or received_at,
        date_from_header=sent is not None,
        message_id=headers.message_id(msg),
        in_reply_to=in_reply_to[0] if in_reply_to else None,
        references=tuple(headers.message_ids(msg, "references")),
        text=text,
        quoted_text=quoted,
        html=html,
        files=bodies.files,
        auto_reply=auto_reply_reason(msg),
        bounce=bounce_of(msg),
        defects=_defects(msg),
    )
