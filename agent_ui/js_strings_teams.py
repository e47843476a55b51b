"""Strings of the administrator's Teams page: strategies, days, business hours."""

from __future__ import annotations

from .i18n import N_

TEAM_JS_STRINGS: dict[str, str] = {
    "teams.addTitle": N_("New team"),
    "teams.editTitle": N_("Team «{name}»"),
    "teams.saved": N_("Team saved: {name}"),
    "teams.alwaysOpen": N_("Always open"),
    "teams.neverOpen": N_("No working days"),
    "teams.noAfterHours": N_("Nobody: wait in the queue"),
    "teams.dayOff": N_("day off"),
    "teams.badRanges": N_("{day}: write ranges as 09:00-18:00, separated by commas."),
    "teams.strategy.least_busy": N_("The least busy operator"),
    "teams.strategy.round_robin": N_("In turn"),
    "teams.strategy.longest_idle": N_("The one idle longest"),
    "teams.strategy.manual": N_("Nobody: operators take from the queue"),
    "teams.day.mon": N_("Mon"),
    "teams.day.tue": N_("Tue"),
    "teams.day.wed": N_("Wed"),
    "teams.day.thu": N_("Thu"),
    "teams.day.fri": N_("Fri"),
    "teams.day.sat": N_("Sat"),
    "teams.day.sun": N_("Sun"),
    "adminError.team-exists": N_("A team with this name exists already."),
}
