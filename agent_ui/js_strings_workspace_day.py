"""Strings of the operator's full working day in the workspace: views, transfer, unread and
notifications, keyboard help, and routing history in a person's words."""

from __future__ import annotations

from .i18n import N_

WORKSPACE_DAY_JS_STRINGS: dict[str, str] = {
    "list.empty.team": N_("Your teams have no open conversations."),
    "list.empty.closed": N_("No closed conversations."),
    "list.unread": N_("Unread messages"),
    "notify.newWork": N_("New conversation for you: {name}"),
    "notify.newMessage": N_("{name} writes: {text}"),
    "mute.on": N_("Sound on"),
    "mute.off": N_("Sound off"),
    "transfer.load": N_("{open} of {max}"),
    "transfer.presence.online": N_("online"),
    "transfer.presence.away": N_("away"),
    "transfer.presence.offline": N_("offline"),
    "transfer.nobody": N_("No colleagues to hand it to."),
    "transfer.noTeams": N_("No teams yet."),
    "transfer.pick": N_("Choose an operator or a team."),
    "transfer.done": N_("Transferred: {name}"),
    # Refusals the workspace may meet, so none is shown in the server's English.
    "error.unknown": N_("That did not work (error «{id}»). Try again or tell your administrator."),
    "error.no-such-conversation": N_("This conversation no longer exists."),
    "error.no-such-user": N_("There is no such user."),
    "error.no-such-team": N_("There is no such team."),
    "error.no-such-view": N_("This saved view no longer exists."),
    "error.not-found": N_("Not found."),
    "error.internal-error": N_("The server failed; the error has been logged."),
    "error.invalid-json": N_("The request was garbled; reload the page."),
    "error.not-authenticated": N_("Your session has ended; sign in again."),
    "error.operator-offline": N_("This operator is offline; choose someone online or a team."),
    "duration.seconds": N_("{s} s"),
    "duration.minutes": N_("{m} min"),
    "duration.minutesSeconds": N_("{m} min {s} s"),
    "duration.hours": N_("{h} h"),
    "duration.hoursMinutes": N_("{h} h {m} min"),
    "duration.days": N_("{d} d {h} h"),
    "reasonHuman.queue_alert": N_("waiting in the queue for {duration}; supervisors alerted"),
    "reasonHuman.timeout_moved": N_("not accepted within {duration}, moved from {holder}"),
    # One key per plural form of Intl.PluralRules: Russian needs one, few and many.
    "routing.offered.one": N_("offered {n} time"),
    "routing.offered.few": N_("offered {n} times (few)"),
    "routing.offered.many": N_("offered {n} times (many)"),
    "routing.offered.other": N_("offered {n} times"),
}
