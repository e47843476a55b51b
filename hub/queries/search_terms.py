"""What a search box's text may mean: words of messages, a name, a phone number in any
spelling, an e-mail address, a request number. Pure functions; no database."""

from __future__ import annotations

import re
from dataclasses import dataclass

from hub.models.crm import search_key
from routing.identity import normalise_phone

_WORD = re.compile(r"\w+", re.UNICODE)
_NUMBER = re.compile(r"^\s*(?:№|#|n|no\.?)?\s*(\d{1,18})\s*$", re.IGNORECASE)
_NOT_DIGIT = re.compile(r"\D")
_WHOLE_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# A part of a phone number worth looking for (fewer digits match half the base).
MIN_PHONE_DIGITS = 5
MAX_WORDS = 8
SNIPPET_CHARS = 160


@dataclass(frozen=True)
class SearchTerms:
    key: str  # search_key of the whole text: a name's part
    words: tuple[str, ...]  # its word characters only: safe inside FTS query syntax
    phone: str | None  # E.164 when the text reads as a valid number
    digits: str | None  # the digits of a phone-like text, to find a number by its part
    email: str | None
    number: int | None  # «№123», «#123» or «123»: a request (conversation) number

    @property
    def whole_email(self) -> bool:
        """A complete address (someone@domain.tld), not a part of one."""
        return self.email is not None and _WHOLE_EMAIL.match(self.email) is not None

    @property
    def empty(self) -> bool:
        return not (self.words or self.email)


def parse_terms(text: str, region: str = "RU") -> SearchTerms:
    key = search_key(text)
    words = tuple(_WORD.findall(key))[:MAX_WORDS]
    email = key if "@" in key and " " not in key else None
    number_match = _NUMBER.match(text)
    number = int(number_match.group(1)) if number_match else None
    digits = _NOT_DIGIT.sub("", text)
    phone_like = bool(digits) and not any(c.isalpha() for c in text) and "@" not in text
    phone = normalise_phone(text, region) if phone_like else None
    if phone_like and len(digits) >= MIN_PHONE_DIGITS:
        # "8 916…" is the same number as "+7 916…": look for its national part.
        national = digits[1:] if len(digits) == 11 and digits[0] in "78" else digits
    else:
        national = None
    return SearchTerms(key, words, phone, national, email, number)


def postgres_tsquery(terms: SearchTerms) -> str:
    """Every word in any of its forms (the Russian stemmer: «замера» finds «замер»), the last
    one also as a prefix («зам» while typing) unless it is a number or the text a whole e-mail
    address; only word characters reach to_tsquery, so no input can break its syntax.

    Why so few prefixes: for a prefix the GIN index gathers every lexeme it starts, and all
    their rows, before the words are intersected, and it does so in every window of ids
    (hub/queries/search.py); whole words are intersected by skipping through their lists, and
    one that no message holds ends the search at once. A number is looked for whole: as a
    prefix the short groups of a phone number («8 (916) 047-50-00»: «00:*», «50:*») start
    half the numbers written in messages, 0.15-0.3 s a window at 10,000,000 messages, where
    whole they cost microseconds (README.md, «bench/search.py»)."""
    *whole, last = terms.words
    return " & ".join([*whole, f"{last}:*" if _last_is_prefix(terms) else last])


def _last_is_prefix(terms: SearchTerms) -> bool:
    last = terms.words[-1]
    return not (last.isdigit() or terms.whole_email)


def postgres_whole_tsquery(terms: SearchTerms) -> str | None:
    """The words before a last one searched as a prefix, all whole («иванова & анна» of
    «Иванова Анна Серге»): every message postgres_tsquery finds holds them, so the newest
    message holding them bounds where to look, and none holding them means none at all. None
    when there are no such words (one word, or a last one searched whole).

    Why: PostgreSQL prices a prefix's walk through the GIN index by the share of the index's
    words it may match, which on a corpus of few distinct words makes it read windows of up to
    ~100,000 ids through the primary key instead (116 ms a window at 10,000,000 messages,
    README.md, «bench/search.py»), while whole words it prices right: words no message holds
    (a client's name, typed into the search box) are then answered by the GIN index in
    microseconds a window."""
    if len(terms.words) < 2 or not _last_is_prefix(terms):
        return None
    return " & ".join(terms.words[:-1])


# Russian words change their endings («лоджия», «лоджии», «лоджию»); FTS5 has no Russian
# stemmer, so a word's vowel ending is cut and the rest searched as a prefix.
_ENDING_LETTERS = "аеиоуыэюяйь"
_MIN_STEM = 3


def rough_stem(word: str) -> str:
    stem = word
    while len(stem) > _MIN_STEM and stem[-1] in _ENDING_LETTERS and len(word) - len(stem) < 2:
        stem = stem[:-1]
    return stem


def sqlite_match(terms: SearchTerms) -> str:
    """FTS5 MATCH text: every word's rough stem as a quoted prefix (the index folds ё to е,
    so do the words)."""
    return " ".join(f'"{rough_stem(word)}"*' for word in terms.words)


def snippet(text: str, terms: SearchTerms) -> str:
    """A piece of the message around the first word found, for the result list."""
    folded = text.casefold().replace("ё", "е")
    positions = [p for p in (folded.find(word) for word in terms.words) if p >= 0]
    start = max(min(positions, default=0) - SNIPPET_CHARS // 3, 0)
    piece = " ".join(text[start : start + SNIPPET_CHARS].split())
    prefix = "…" if start > 0 else ""
    suffix = "…" if start + SNIPPET_CHARS < len(text) else ""
    return f"{prefix}{piece}{suffix}"
