"""RFC 5545 text for activities: one VEVENT each, written by hand (no library is vetted for
it in DEPENDENCIES.md, and the subset needed is small).

Lines end in CRLF and are folded at 75 octets without splitting a UTF-8 character; text
values escape backslash, semicolon, comma and newlines. Timed activities are in UTC ("Z"),
so no VTIMEZONE is needed; all-day ones are DATE values, on their date in every zone. A
pending reminder becomes a VALARM at its absolute time. An absence is a busy VEVENT of its
own: whole days as DATE values, one narrowed by a time placed in its user's zone, in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta

from hub.models import Absence
from hub.queries.absences import instants
from hub.queries.activities import ActivityOut

PRODID = "-//Okno//Activities 1.0//RU"
_STATUS = {"planned": "CONFIRMED", "done": "CONFIRMED", "cancelled": "CANCELLED"}
KIND_NAMES = {
    "call": "Звонок",
    "meeting": "Встреча",
    "task": "Задача",
    "reminder": "Напоминание",
    "email": "Письмо",
}
ABSENCE_NAMES = {
    "vacation": "Отпуск",
    "sick_leave": "Больничный",
    "business_trip": "Командировка",
    "day_off": "Отгул",
    "other": "Отсутствие",
}


def escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\")
        .replace(";", "\\;")
        .replace(",", "\\,")
        .replace("\r\n", "\\n")
        .replace("\n", "\\n")
    )


def fold(line: str) -> str:
    """Split into 75-octet pieces, each continuation starting with a space."""
    pieces: list[str] = []
    current, size = "", 0
    for char in line:
        width = len(char.encode())
        limit = 75 if not pieces else 74  # the leading space counts
        if size + width > limit:
            pieces.append(current)
            current, size = "", 0
        current += char
        size += width
    pieces.append(current)
    return "\r\n ".join(pieces)


def _stamp(iso: str) -> str:
    return datetime.fromisoformat(iso).strftime("%Y%m%dT%H%M%SZ")


def vevent(item: ActivityOut, host: str) -> list[str]:
    assert item.due_at is not None
    lines = [
        "BEGIN:VEVENT",
        f"UID:activity-{item.id}@{host}",
        f"DTSTAMP:{_stamp(item.updated_at or item.created_at)}",
        f"SEQUENCE:{item.version - 1}",
    ]
    if item.all_day and item.due_on:
        day = datetime.fromisoformat(item.due_on)
        lines += [
            f"DTSTART;VALUE=DATE:{day:%Y%m%d}",
            f"DTEND;VALUE=DATE:{day + timedelta(days=1):%Y%m%d}",
        ]
    else:
        lines.append(f"DTSTART:{_stamp(item.due_at)}")
        lines.append(f"DTEND:{_stamp(item.ends_at or item.due_at)}")
    summary = f"{KIND_NAMES.get(item.kind, item.kind)}: {item.subject}"
    lines.append(f"SUMMARY:{escape(summary)}")
    description = "\n\n".join(
        part
        for part in (
            item.description,
            f"Повестка: {item.agenda}" if item.agenda else "",
            f"Клиент: {item.contact.name}" if item.contact else "",
            f"Сделка: {item.deal.name}" if item.deal else "",
            f"Итог: {item.result}" if item.result else "",
        )
        if part
    )
    if description:
        lines.append(f"DESCRIPTION:{escape(description)}")
    if item.place:
        lines.append(f"LOCATION:{escape(item.place)}")
    lines.append(f"STATUS:{_STATUS.get(item.status, 'CONFIRMED')}")
    lines.append(f"CATEGORIES:{escape(KIND_NAMES.get(item.kind, item.kind))}")
    if item.remind_at and not item.reminder_delivered_at and item.status == "planned":
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape(item.subject)}",
            f"TRIGGER;VALUE=DATE-TIME:{_stamp(item.remind_at)}",
            "END:VALARM",
        ]
    lines.append("END:VEVENT")
    return lines


def _utc_stamp(moment: datetime) -> str:
    # A naive value is UTC already (SQLite hands timestamps back without their zone).
    aware = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return aware.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def absence_vevent(absence: Absence, time_zone: str, host: str) -> list[str]:
    name = ABSENCE_NAMES.get(str(absence.kind), "Отсутствие")
    lines = [
        "BEGIN:VEVENT",
        f"UID:absence-{absence.id}@{host}",
        f"DTSTAMP:{_utc_stamp(absence.created_at)}",
    ]
    if absence.starts_at is None and absence.ends_at is None:
        lines += [
            f"DTSTART;VALUE=DATE:{absence.starts_on:%Y%m%d}",
            f"DTEND;VALUE=DATE:{absence.ends_on + timedelta(days=1):%Y%m%d}",
        ]
    else:
        start, end = instants(absence, time_zone)
        lines += [f"DTSTART:{_utc_stamp(start)}", f"DTEND:{_utc_stamp(end)}"]
    lines.append(f"SUMMARY:{escape(name)}")
    if absence.note:
        lines.append(f"DESCRIPTION:{escape(absence.note)}")
    lines += [f"CATEGORIES:{escape(name)}", "TRANSP:OPAQUE", "END:VEVENT"]
    return lines


def calendar_text(
    items: Iterable[ActivityOut],
    host: str,
    name: str | None = None,
    more_events: Iterable[list[str]] = (),
) -> str:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", f"PRODID:{PRODID}", "CALSCALE:GREGORIAN"]
    if name is not None:
        lines += ["METHOD:PUBLISH", f"X-WR-CALNAME:{escape(name)}"]
    for item in items:
        if item.due_at is not None:
            lines += vevent(item, host)
    for event in more_events:
        lines += event
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)
