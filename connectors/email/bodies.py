"""MIME bodies: the text to show, the HTML alternative, and the attached files.

Every step tolerates broken mail: unknown charsets, undecodable bytes, a multipart whose
boundary never appears (Python then leaves the body as one string and `get_content()`
raises), so text is always recovered somehow and nothing here raises.
"""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from email.message import EmailMessage, Message


@dataclass(frozen=True)
class FilePart:
    name: str
    mime_type: str
    data: bytes


def _payload_bytes(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:
        data = None
    if isinstance(data, bytes):
        return data
    raw = part.get_payload()
    if isinstance(raw, str):
        return raw.encode("utf-8", "surrogateescape")
    return b""


def _cyrillic_score(text: str) -> int:
    """Russian prose is mostly lower case; the wrong 8-bit table gives mostly capitals."""
    lower = sum(1 for c in text if "а" <= c <= "я" or c == "ё")
    upper = sum(1 for c in text if "А" <= c <= "Я" or c == "Ё")
    return lower - upper


def _undeclared(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    candidates = []
    for charset in ("windows-1251", "koi8-r"):
        try:
            candidates.append(data.decode(charset))
        except UnicodeDecodeError:
            continue
    if candidates:
        return max(candidates, key=_cyrillic_score)
    return data.decode("latin-1")


# Declarations that say nothing: mail without a charset is us-ascii by RFC 2045, and
# old clients that write 8-bit Cyrillic leave it at that. Their bytes are guessed.
_NO_DECLARATION = {"us-ascii", "ascii", "ansi_x3.4-1968"}


def decode_bytes(data: bytes, declared: str | None) -> str:
    """Text from bytes in the charset the mail declares: bytes that break it become U+FFFD
    there, and the rest stays right. Another charset is guessed only when nothing real is
    declared (none, us-ascii, a name Python does not know): re-guessing a declared UTF-8
    body with one bad byte as KOI8-R would turn the whole letter into mojibake."""
    charset = (declared or "").strip().lower()
    if charset and charset not in _NO_DECLARATION:
        try:
            return data.decode(charset, errors="replace")
        except LookupError:
            pass
    return _undeclared(data)


def part_text(part: Message) -> str:
    """A text part's content as str, with line ends normalised to \\n."""
    text: str | None = None
    if isinstance(part, EmailMessage):
        try:
            content = part.get_content()
            text = content if isinstance(content, str) else None
        except Exception:
            text = None
    if text is None or "\ufffd" in text:
        # get_content() replaces what it cannot decode, also when the charset was only the
        # us-ascii default; decode_bytes keeps a real declaration and guesses otherwise.
        text = decode_bytes(_payload_bytes(part), part.get_content_charset())
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if part.get_content_type() == "text/plain":
        params = {k.lower(): v.lower() for k, v in part.get_params(failobj=[]) if v}
        if params.get("format") == "flowed":
            text = unflow(text, delsp=params.get("delsp") == "yes")
    return text


def _quoted(depth: int, line: str) -> str:
    if not depth:
        return line
    return ">" * depth + (" " + line if line else "")


def unflow(text: str, delsp: bool = False) -> str:
    """RFC 3676 format=flowed: join soft line breaks, undo space-stuffing, keep quotes."""
    out: list[str] = []
    pending: str | None = None
    pending_depth = -1
    for raw_line in text.split("\n"):
        depth = len(raw_line) - len(raw_line.lstrip(">"))
        line = raw_line[depth:]
        if line.startswith(" "):
            line = line[1:]  # space-stuffing
        is_sig = line == "-- "
        if pending is not None and depth == pending_depth and not is_sig:
            line = pending + line
        elif pending is not None:
            out.append(_quoted(pending_depth, pending))
        pending = None
        if line.endswith(" ") and not is_sig:
            pending, pending_depth = (line[:-1] if delsp else line), depth
            continue
        out.append(_quoted(depth, line))
    if pending is not None:
        out.append(_quoted(pending_depth, pending))
    return "\n".join(out)


def _leaves(part: Message) -> list[Message]:
    """Leaf parts in order; an attached message (message/rfc822) is a leaf, not a subtree."""
    if part.get_content_maintype() == "multipart":
        children = part.get_payload()
        if isinstance(children, list):
            parts = [child for child in children if isinstance(child, Message)]
            return [leaf for child in parts for leaf in _leaves(child)]
        return [part]  # a multipart whose boundary never appears: its body is one string
    return [part]


def _choose_body(msg: EmailMessage, subtype: str) -> Message | None:
    try:
        return msg.get_body(preferencelist=(subtype,))
    except Exception:
        return None


def _file_name(part: Message, index: int) -> str:
    try:
        name = part.get_filename()
    except Exception:
        name = None
    if name:
        # A name is shown and offered for download, never used as a path.
        return " ".join(name.replace("/", "_").replace("\\", "_").split())
    if part.get_content_type() == "message/rfc822":
        return f"message-{index}.eml"
    extension = mimetypes.guess_extension(part.get_content_type()) or ".bin"
    return f"attachment-{index}{extension}"


def _leaf_bytes(part: Message) -> bytes:
    """A file's bytes; an attached message (or status report) is serialised back."""
    inner = part.get_payload()
    if isinstance(inner, list):
        chunks = []
        for sub in inner:
            if not isinstance(sub, Message):
                continue
            try:
                chunks.append(sub.as_bytes())
            except Exception:
                chunks.append(str(sub).encode("utf-8", "replace"))
        return b"\n".join(chunks)
    return _payload_bytes(part)


@dataclass(frozen=True)
class Bodies:
    text: str
    html: str | None
    files: tuple[FilePart, ...]


def extract(msg: EmailMessage) -> Bodies:
    """Plain text preferred; HTML kept for the view; every other leaf is a file."""
    plain = _choose_body(msg, "plain")
    html_part = _choose_body(msg, "html")
    chosen = {id(p) for p in (plain, html_part) if p is not None}
    extra_text: list[str] = []
    files: list[FilePart] = []
    for index, leaf in enumerate(_leaves(msg), start=1):
        if id(leaf) in chosen:
            continue
        if leaf.get_content_maintype() == "multipart":
            # Broken multipart: show its raw body as text instead of losing it.
            extra_text.append(decode_bytes(_payload_bytes(leaf), None))
            continue
        attached = leaf.get_content_disposition() == "attachment" or bool(leaf.get_filename())
        if not attached and leaf.get_content_type() == "text/plain":
            extra_text.append(part_text(leaf))  # Apple Mail splits the body around files
            continue
        if not attached and leaf.get_content_type() == "text/html":
            continue  # the HTML twin of a text part already taken
        files.append(FilePart(_file_name(leaf, index), leaf.get_content_type(), _leaf_bytes(leaf)))
    html = part_text(html_part) if html_part is not None else None
    texts = [part_text(plain)] if plain is not None else []
    texts += [t.replace("\r\n", "\n") for t in extra_text]
    return Bodies("\n\n".join(t.strip("\n") for t in texts if t.strip()), html, tuple(files))
