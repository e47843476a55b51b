"""Strings of the e-mail thread's people: participants, Cc, proposed addresses."""

from __future__ import annotations

from .i18n import N_

MAIL_JS_STRINGS: dict[str, str] = {
    "suggestion.title": N_("Maybe the client's address"),
    "suggestion.accept": N_("This is the client's"),
    "suggestion.dismiss": N_("Not the client's"),
    "suggestion.repliedIn": N_("replied in conversation #{n}"),
    "message.participant": N_("{name} <{address}>, in the conversation"),
    "message.cc": N_("Cc: {people}"),
}
