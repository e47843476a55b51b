"""Strings of the workspace's search (what matched a client, a result's line), tags and
snooze."""

from __future__ import annotations

from .i18n import N_

SEARCH_JS_STRINGS: dict[str, str] = {
    "search.matched.phone": N_("by phone"),
    "search.matched.email": N_("by e-mail"),
    "search.matched.name": N_("by name"),
    "search.matched.number": N_("by request number"),
    "search.request": N_("request №{number}"),
    "search.closed": N_("closed"),
    "tags.all": N_("All tags"),
    "savedViews.choose": N_("Saved views…"),
    "savedViews.saved": N_("View saved: {name}"),
    "tags.saved": N_("Tags saved."),
    "snooze.until": N_("snoozed until {when}"),
    "snooze.untilReply": N_("snoozed until the client writes"),
    "list.empty.snoozed": N_("Nothing snoozed."),
    "error.not-assigned": N_("Only a conversation someone holds can be snoozed."),
}
