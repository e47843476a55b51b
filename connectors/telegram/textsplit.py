"""Splitting a long reply into Telegram-sized messages.

Telegram measures a message in UTF-16 code units (an emoji outside the BMP counts twice)
and allows 4096 of them. Cuts fall on a paragraph, else a line, else a word boundary, and
never inside a character or an emoji sequence (skin tone, ZWJ family, flag).
"""

from __future__ import annotations

import unicodedata

MESSAGE_LIMIT = 4096
CAPTION_LIMIT = 1024
# A boundary this far back is still worth it; nearer the start, cutting mid-word is better
# than sending a sliver.
_MIN_FILL = 0.5
_ZWJ = "\u200d"


def utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _fit(text: str, limit: int) -> int:
    """How many code points of `text` fit in `limit` UTF-16 units."""
    used = 0
    for index, char in enumerate(text):
        used += 2 if ord(char) > 0xFFFF else 1
        if used > limit:
            return index
    return len(text)


def _joins_previous(text: str, index: int) -> bool:
    """Would a cut before text[index] break a visible character apart?"""
    char, before = text[index], text[index - 1]
    if char == _ZWJ or before == _ZWJ:
        return True
    if unicodedata.category(char) in ("Mn", "Me", "Mc"):
        return True  # combining marks, variation selectors
    if 0x1F3FB <= ord(char) <= 0x1F3FF:
        return True  # skin tone modifiers
    regional = 0x1F1E6 <= ord(char) <= 0x1F1FF and 0x1F1E6 <= ord(before) <= 0x1F1FF
    return regional and _regional_run(text, index) % 2 == 1


def _regional_run(text: str, index: int) -> int:
    run = 0
    while index - run - 1 >= 0 and 0x1F1E6 <= ord(text[index - run - 1]) <= 0x1F1FF:
        run += 1
    return run


def _cut_point(text: str, limit: int) -> int:
    fit = _fit(text, limit)
    head = text[:fit]
    for separator in ("\n\n", "\n", " "):
        at = head.rfind(separator)
        if at >= fit * _MIN_FILL:
            return at
    cut = fit
    while cut > 1 and _joins_previous(text, cut):
        cut -= 1
    return cut


def split_text(text: str, limit: int = MESSAGE_LIMIT) -> list[str]:
    """Parts of at most `limit` UTF-16 units; whitespace at a cut is dropped (Telegram
    trims it anyway), everything else is kept in order."""
    parts: list[str] = []
    rest = text.strip()
    while utf16_len(rest) > limit:
        cut = _cut_point(rest, limit)
        part = rest[:cut].rstrip()
        if part:
            parts.append(part)
        rest = rest[cut:].lstrip()
    if rest:
        parts.append(rest)
    return parts
