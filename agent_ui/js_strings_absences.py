"""Strings of absences in «Календарь»: the bands, the «Отсутствие» dialog, its refusals and
the planner's warning that someone is away («Ольга Иванова в отпуске до 11.12.»)."""

from __future__ import annotations

from .i18n import N_

ABSENCE_JS_STRINGS: dict[str, str] = {
    "absence.kind.vacation": N_("Vacation"),
    "absence.kind.sick_leave": N_("Sick leave"),
    "absence.kind.business_trip": N_("Business trip"),
    "absence.kind.day_off": N_("Day off"),
    "absence.kind.other": N_("Other absence"),
    # The planner's warning, one per kind: Russian needs a different preposition for each.
    "absence.until.vacation": N_("{name} is on vacation until {until}."),
    "absence.until.sick_leave": N_("{name} is on sick leave until {until}."),
    "absence.until.business_trip": N_("{name} is on a business trip until {until}."),
    "absence.until.day_off": N_("{name} has a day off until {until}."),
    "absence.until.other": N_("{name} is away until {until}."),
    "absence.bandUntil": N_("{kind} until {until}"),
    "absence.recorded": N_("Absence recorded: {kind}, {name}."),
    "absence.removed": N_("Absence removed."),
    "absence.save": N_("Save"),
    "absence.saved": N_("Absence changed: {kind}, {name}."),
    "absence.none": N_("No absences in this period."),
    "absence.remove": N_("Remove the absence"),
    "absenceError.not-your-absence": N_(
        "A person's absences are changed by that person, the team's supervisor or an administrator."
    ),
    "absenceError.no-such-absence": N_("There is no such absence any more."),
    "absenceError.stale-version": N_(
        "Someone changed this absence meanwhile; it is shown as it is now. Save again to "
        "apply your change."
    ),
    "absenceError.no-such-user": N_("There is no such user."),
    "fieldError.ends-before-start": N_("The end is before the start."),
    "fieldError.absence-overlaps": N_("Overlaps another absence of this person."),
    "fieldError.unknown-kind": N_("Choose one of the offered kinds."),
    "fieldError.range-too-long": N_("Too long a period."),
    "fieldError.time_parsing": N_("Must be a time, such as 13:00."),
}
