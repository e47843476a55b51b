"""Team business hours: {"tz": "Europe/Moscow", "days": {"mon": [["09:00", "18:00"]], ...}}."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def _parse(value: str) -> time:
    hours, minutes = value.split(":")
    return time(int(hours), int(minutes))


def is_open(hours: dict[str, Any] | None, moment: datetime) -> bool:
    """True when the team works at `moment`; no hours configured means always open."""
    if not hours:
        return True
    local = moment.astimezone(ZoneInfo(hours.get("tz", "Europe/Moscow")))
    ranges = hours.get("days", {}).get(DAY_KEYS[local.weekday()], [])
    now = local.time()
    for start, end in ranges:
        # "24:00" cannot be a time(); treat "00:00" as an end of day.
        close = _parse(end) if end not in ("24:00", "00:00") else time.max
        if _parse(start) <= now < close:
            return True
    return False
