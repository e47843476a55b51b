"""Reading what real sites send in a form field, without ever refusing the lead over it.

Legacy site builders (Tilda, Bitrix, hand-written PHP) send a checkbox as `Y`, `1`, `да`
or `on`, a number where text was expected, a list for a repeated field, a timestamp in
whatever form the page's script had. Each reader returns a sensible reading (or none) and,
when the value was not what the contract says, a short note of why: the connector keeps
the raw value next to the reading and logs the note, and the request is accepted.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta, timezone
from email.utils import parsedate_to_datetime
from typing import Any

# Words a consent checkbox arrives as (compared lower-cased, trimmed).
CONSENT_YES = frozenset(
    {"true", "on", "1", "yes", "y", "да", "д", "checked", "agree", "accepted", "ok", "v", "x", "+"}
)
CONSENT_NO = frozenset({"", "false", "off", "0", "no", "n", "нет", "н", "unchecked", "-"})

# A page's clock without a zone is read as Moscow time: the forms Okno serves are Russian
# sites, and a reading three hours off in the far east beats no reading at all.
_MOSCOW = timezone(timedelta(hours=3))
# Plausible submission times: anything else is a typo or garbage, not a date.
_EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
_LATEST = datetime(2100, 1, 1, tzinfo=UTC)
_RU_DATE = re.compile(r"^(\d{1,2})\.(\d{1,2})\.(\d{4})(?:[,\s]+(\d{1,2}):(\d{2})(?::(\d{2}))?)?$")
# JavaScript's Date.toString(): "Mon Jun 15 2026 09:05:13 GMT+0300 (Москва, стандартное время)".
_JS_DATE = re.compile(r"^\w{3} (\w{3} \d{1,2} \d{4} \d{2}:\d{2}:\d{2}) GMT([+-]\d{4})")


def text_of(value: Any) -> tuple[str, str | None]:
    """The field as trimmed text, and a note when it was not text to begin with."""
    if value is None:
        return "", None
    if isinstance(value, str):
        return value.strip(), None
    if isinstance(value, bool):
        return ("true" if value else "false"), "a yes/no value where text was expected"
    if isinstance(value, int):
        return str(value), "a number where text was expected"
    if isinstance(value, float):
        shown = str(int(value)) if value.is_integer() else str(value)
        return shown, "a number where text was expected"
    if isinstance(value, list):
        # A repeated field (`phone[]`): every part, in order, so nothing typed is dropped.
        parts = [text_of(item)[0] for item in value]
        return ", ".join(p for p in parts if p), "a list where text was expected"
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    return text, "an object where text was expected"


def consent_of(value: Any) -> tuple[bool | None, str | None]:
    """True/False for the ways a checkbox is sent; None (and a note) for anything else."""
    if value is None:
        return False, None
    if isinstance(value, bool):
        return value, None
    if isinstance(value, int | float) and value in (0, 1):
        return bool(value), None
    text, _ = text_of(value)
    word = text.lower()
    if word in CONSENT_YES:
        return True, None
    if word in CONSENT_NO:
        return False, None
    return None, "consent is neither yes nor no"


def _plausible(moment: datetime) -> datetime | None:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=_MOSCOW)
    try:
        moment = moment.astimezone(UTC)
    except OverflowError:  # year 9999 at -14:00 is past the last datetime
        return None
    return moment if _EARLIEST <= moment < _LATEST else None


def _from_epoch(number: float) -> datetime | None:
    # Milliseconds (Date.now()) are 1000 times seconds (PHP's time()); both are common.
    seconds = number / 1000 if abs(number) >= 1e11 else number
    try:
        return _plausible(datetime.fromtimestamp(seconds, UTC))
    except (OverflowError, OSError, ValueError):
        return None


def _from_text(text: str) -> datetime | None:
    try:
        return _plausible(datetime.fromisoformat(text))
    except ValueError:
        pass
    ru = _RU_DATE.match(text)
    if ru:
        day, month, year, hour, minute, second = ru.groups()
        try:
            moment = datetime(
                int(year), int(month), int(day), int(hour or 0), int(minute or 0), int(second or 0)
            )
        except ValueError:
            return None
        return _plausible(moment)
    js = _JS_DATE.match(text)
    if js:
        try:
            return _plausible(datetime.strptime(" ".join(js.groups()), "%b %d %Y %H:%M:%S %z"))
        except ValueError:
            return None
    try:
        return _plausible(parsedate_to_datetime(text))
    except (TypeError, ValueError, IndexError):
        return None


def moment_of(value: Any) -> tuple[str | None, str | None]:
    """The visitor's clock as an ISO-8601 UTC time, or None (and a note) when unreadable."""
    if value is None or value == "":
        return None, None
    if isinstance(value, bool):
        return None, "a yes/no value where a time was expected"
    if isinstance(value, int | float):
        moment = _from_epoch(float(value))
    else:
        text, _ = text_of(value)
        if not text:
            return None, None
        moment = _from_epoch(float(text)) if text.isdigit() and len(text) < 16 else None
        moment = moment or _from_text(text)
    if moment is None:
        return None, "not a time Okno can read"
    return moment.isoformat().replace("+00:00", "Z"), None
