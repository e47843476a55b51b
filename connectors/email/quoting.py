"""Splitting a reply into what the client wrote now and the history it drags along.

The history (quoted lines, an Outlook "Original Message" block, a signature) is not thrown
away: it is returned separately so the view can collapse it and still show it on demand.
"""

from __future__ import annotations

import re

_ORIGINAL_MESSAGE = re.compile(
    r"^\s*-{2,}\s*(original message|исходное сообщение|forwarded message|"
    r"пересылаемое сообщение|переадресованное сообщение)\s*-{2,}\s*$",
    re.IGNORECASE,
)
# Outlook without the marker line: a header block "От: … / Отправлено: … / Кому: …".
_BLOCK_FROM = re.compile(r"^\s*\*?(от|from)\s*:\*?\s+\S", re.IGNORECASE)
_BLOCK_NEXT = re.compile(
    r"^\s*\*?(отправлено|sent|дата|date|кому|to|тема|subject)\s*:", re.IGNORECASE
)
_OUTLOOK_RULE = re.compile(r"^\s*_{10,}\s*$")
# "On Mon, 15 Jun 2026, Anna wrote:", "15.06.2026 10:12, Окно пишет:", "… написал(а):", and
# Gmail's Russian form with no verb at all: "пн, 15 июн. 2026 г. в 10:12, Иван <i@x.ru>:".
_ATTRIBUTION = re.compile(
    r"((wrote|пишет|написал|написала|написал\(а\)|schrieb|a écrit)\s*:"
    r"|[^<>\s]+@[^<>\s]+>\s*:)\s*$",
    re.IGNORECASE,
)
# Where a wrapped attribution starts: "On …", "В …", a weekday ("пн,", "Mon,") or a date.
_ATTRIBUTION_START = re.compile(
    r"^\s*(on |в |am |le |(пн|вт|ср|чт|пт|сб|вс|mon|tue|wed|thu|fri|sat|sun)[a-zа-я]*\.?,"
    r"|\d{1,2}[./ ]\s*\w+\.?[./ ]\s*\d{2,4})",
    re.IGNORECASE,
)
_SIGNATURE = "-- "


def _is_quote(line: str) -> bool:
    return line.lstrip().startswith(">")


def _header_block_at(lines: list[str], index: int) -> bool:
    if not _BLOCK_FROM.match(lines[index]):
        return False
    following = [line for line in lines[index + 1 : index + 5] if line.strip()]
    return sum(bool(_BLOCK_NEXT.match(line)) for line in following) >= 2


def _history_marker(lines: list[str]) -> int | None:
    """First line from which everything below is history: a marker, header block or sig."""
    for index, line in enumerate(lines):
        if line == _SIGNATURE:
            return index
        if _ORIGINAL_MESSAGE.match(line):
            return index
        if _header_block_at(lines, index):
            # Outlook draws a rule of underscores just above the block.
            above = index - 1
            while above >= 0 and not lines[above].strip():
                above -= 1
            return above if above >= 0 and _OUTLOOK_RULE.match(lines[above]) else index
    return None


def _trailing_quote(lines: list[str]) -> int | None:
    """Start of the quoted tail (">" lines, blank lines and their attribution line).

    Quotes followed by new text (inline answers) are left in the text: hiding them would
    hide what the client wrote between them.
    """
    start = len(lines)
    seen_quote = False
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if _is_quote(line):
            seen_quote = True
        elif line.strip():
            break
        start = index
    if not seen_quote:
        return None
    above = start - 1
    while above >= 0 and not lines[above].strip():
        above -= 1
    if above >= 0 and _ATTRIBUTION.search(lines[above]):
        start = above
        # Long attributions wrap: "On Mon, 15 Jun 2026 at 10:12, Anna Sokolova\n<a@b> wrote:"
        if (
            above >= 1
            and lines[above - 1].strip()
            and not _ATTRIBUTION_START.match(lines[above])
            and _ATTRIBUTION_START.match(lines[above - 1])
        ):
            start = above - 1
    return start


def split_quoted(text: str) -> tuple[str, str]:
    """(new part, history). When nothing new is left the whole text stays the new part."""
    lines = text.split("\n")
    cuts = [i for i in (_history_marker(lines), _trailing_quote(lines)) if i is not None]
    if not cuts:
        return text, ""
    cut = min(cuts)
    new = "\n".join(lines[:cut]).rstrip()
    history = "\n".join(lines[cut:]).strip("\n")
    if not new.strip():
        return text, ""
    return new, history
