"""Text as clients send it, made safe to keep and honest to show; shared by every connector.

`visible` answers "did the client say anything?": a message of only invisible characters
(zero-width space, a right-to-left override, a byte-order mark, a Hangul filler) would be an
empty bubble in the operator's list, and such messages come from bots and fuzzers far more
often than from people. The connectors drop them (see each call site); a message that has a
file, a place or anything visible besides is kept as it came, invisible characters included.

`storable` answers "can every backend keep it?": PostgreSQL refuses NUL in text and JSONB, and
JSON has no encoding for a lone surrogate, so one such character would fail the insert and
turn a client's message into a 503 on PostgreSQL only.
"""

from __future__ import annotations

import re
import unicodedata
from typing import Any

# Control, format (ZWSP, ZWJ, LRM/RLM, RLO, BOM, word joiner...), separators and marks that
# have nothing to sit on. Unassigned code points (Cn) are deliberately NOT here: an emoji newer
# than this Python's Unicode tables is Cn, and dropping it would lose what the client said.
_INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Zs", "Zl", "Zp", "Mn", "Me"})
# Letters and symbols that render as nothing at all, used exactly to send "empty" messages.
_BLANK_GLYPHS = frozenset("\u115f\u1160\u3164\uffa0\u2800\u17b4\u17b5\u034f")
_SURROGATE = re.compile("[\ud800-\udfff]")


def is_invisible(char: str) -> bool:
    return char in _BLANK_GLYPHS or unicodedata.category(char) in _INVISIBLE_CATEGORIES


def is_blank(text: str) -> bool:
    """True when nothing in the text would show on screen."""
    return all(is_invisible(char) for char in text)


def visible(text: str) -> str:
    """The text as sent if any of it shows; "" if it is only invisible characters."""
    return "" if is_blank(text) else text


def storable(value: Any) -> Any:
    """The value with NUL removed and lone surrogates replaced (U+FFFD), recursively."""
    if isinstance(value, str):
        if "\x00" in value:
            value = value.replace("\x00", "")
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, list | tuple):
        return [storable(v) for v in value]
    if isinstance(value, dict):
        return {storable(k): storable(v) for k, v in value.items()}
    return value


def is_storable(text: str) -> bool:
    return "\x00" not in text and _SURROGATE.search(text) is None
