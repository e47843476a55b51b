"""Reading header fields from real-world mail without ever raising.

`email.policy.default` decodes RFC 2047 words, but it may raise on a mangled field; every
accessor here falls back to decoding the raw value the old way, and then to the raw text.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.header import decode_header
from email.message import EmailMessage
from email.utils import getaddresses

from .bodies import decode_bytes

_MSG_ID = re.compile(r"<[^<>\s]+>")
_LINE_BREAKS = re.compile(r"[\r\n]+[ \t]*")
_SURROGATES = re.compile("[\udc80-\udcff]")
_ENCODED_WORD = re.compile(r"(=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?=)")
_WORD = r"=\?[^?\s]+\?[bBqQ]\?[^?\s]*\?="
# A run of encoded-words, with the quotes some mailers wrongly put around it.
_ENCODED_RUN = re.compile(rf'"?\s*({_WORD}(?:\s+{_WORD})*)\s*"?')


def collapse_whitespace(text: str) -> str:
    return " ".join(text.split())


def _raw_value(msg: EmailMessage, name: str) -> str | None:
    for key, value in msg.raw_items():
        if key.lower() == name.lower():
            return str(value)
    return None


def _decode_word(word: str) -> str:
    try:
        [(data, charset)] = decode_header(word)
    except Exception:  # a broken encoded-word: show it as written
        return word
    if isinstance(data, str):
        return data
    return decode_bytes(data, (charset or "").split("*")[0] or None)


def _decode_raw(raw: str) -> str:
    """RFC 2047 decoding by hand, for values the policy parser could not take."""
    pieces = _ENCODED_WORD.split(raw)
    out: list[str] = []
    for index, piece in enumerate(pieces):
        if index % 2:
            out.append(_decode_word(piece))
        elif piece.strip() or index in (0, len(pieces) - 1):
            out.append(piece)
        # whitespace between two encoded-words is dropped (RFC 2047 section 6.2)
    return "".join(out)


def repair_8bit(text: str) -> str:
    """Undo the parser's stand-ins for raw 8-bit bytes (surrogates) by decoding the bytes
    with the usual Cyrillic suspects; raw koi8-r/windows-1251 headers are still sent."""
    if not _SURROGATES.search(text):
        return text
    return decode_bytes(text.encode("utf-8", "surrogateescape"), None)


def header_text(msg: EmailMessage, name: str) -> str:
    """The decoded, unfolded value of a header field ("" when absent)."""
    raw = _raw_value(msg, name)
    if raw is not None and _SURROGATES.search(raw):
        # policy.default would turn raw 8-bit bytes into U+FFFD: decode them ourselves.
        text = _decode_raw(repair_8bit(raw))
    else:
        try:
            value = msg[name]
            text = "" if value is None else str(value)
        except Exception:
            text = "" if raw is None else _decode_raw(raw)
    return _LINE_BREAKS.sub(" ", text).strip()


def subject(msg: EmailMessage) -> str:
    return header_text(msg, "subject")


def _quote_encoded_names(raw: str) -> str:
    """Each run of encoded-words (a display name) -> one quoted string of its decoded text.

    Python's address parser puts a space between adjacent encoded-words, so a name split
    mid-word over two words ("от" + "дел") comes out wrong; quoting also keeps a decoded
    comma from splitting the address list.
    """

    def quoted(match: re.Match[str]) -> str:
        text = _decode_raw(match.group(1))
        return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

    return _ENCODED_RUN.sub(quoted, raw)


def addresses(msg: EmailMessage, name: str) -> list[tuple[str, str]]:
    """(display name, address) pairs of an address field, names with whitespace collapsed."""
    raw = _raw_value(msg, name)
    if raw is None:
        return []
    unfolded = _LINE_BREAKS.sub(" ", repair_8bit(raw))
    try:
        pairs = getaddresses([_quote_encoded_names(unfolded)])
    except Exception:
        pairs = []
    return [(collapse_whitespace(n), a.strip()) for n, a in pairs if a.strip() or n.strip()]


def first_address(msg: EmailMessage, name: str) -> tuple[str, str]:
    found = addresses(msg, name)
    return found[0] if found else ("", "")


def _lossless_id_text(raw: str) -> str:
    """A message-id field's raw bytes as text without losing one: UTF-8 (RFC 6532) is
    decoded, any other byte becomes `\\xNN`. A backslash cannot occur in a msg-id, so
    two different ids never read alike; U+FFFD stand-ins would collapse them, and the
    second mail would be dropped as a duplicate of the first."""
    if not _SURROGATES.search(raw):
        return raw
    return raw.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def message_ids(msg: EmailMessage, name: str) -> list[str]:
    """Every <id> in a Message-ID / In-Reply-To / References field, in order, de-duplicated."""
    raw = _raw_value(msg, name)
    if raw is None:
        return []
    raw = _lossless_id_text(raw)
    found = _MSG_ID.findall(raw)
    if not found and "@" in raw and len(raw.split()) == 1:
        found = [f"<{raw.strip()}>"]  # some mailers drop the angle brackets
    return list(dict.fromkeys(found))


def message_id(msg: EmailMessage) -> str | None:
    ids = message_ids(msg, "message-id")
    return ids[0] if ids else None


def sent_at(msg: EmailMessage) -> datetime | None:
    """The Date field as an aware datetime, or None when it cannot be read."""
    try:
        header = msg["date"]
        value = getattr(header, "datetime", None) if header is not None else None
    except Exception:
        return None
    if not isinstance(value, datetime):
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
