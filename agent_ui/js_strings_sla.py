"""Strings of the SLA targets page (admin-sla.js) and the workspace's countdowns
(workspace-sla.js), merged into JS_STRINGS."""

from __future__ import annotations

from .i18n import N_

SLA_JS_STRINGS: dict[str, str] = {
    "sla.addTitle": N_("New SLA policy"),
    "sla.editTitle": N_("SLA policy «{name}»"),
    "sla.saved": N_("Policy saved: {name}"),
    "sla.deleted": N_("Policy deleted: {name}"),
    "sla.delete": N_("Delete"),
    "sla.confirmDelete": N_("Delete the policy «{name}»? Its breaches stay in the reports."),
    "sla.anyTeam": N_("Every team"),
    "sla.anyChannel": N_("Every channel"),
    "sla.workingTime": N_("Working time"),
    "sla.calendarTime": N_("Calendar time"),
    "sla.off": N_("Switched off"),
    "sla.minutes": N_("{m} min"),
    "sla.hoursMinutes": N_("{h} h {m} min"),
    "sla.title": N_("Time left to the SLA target (overdue: past it)"),
    "sla.left": N_("{measure}: {time} left"),
    "sla.overdue": N_("{measure}: overdue {time}"),
    "sla.measure.first_response": N_("First response"),
    "sla.measure.next_response": N_("Reply"),
    "sla.measure.resolution": N_("Resolution"),
    "adminError.sla-policy-exists": N_("There is already a policy for this team and channel."),
    "adminError.no-such-sla-policy": N_("There is no such SLA policy."),
    "adminError.no-such-channel": N_("There is no such channel."),
}
