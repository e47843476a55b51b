"""Script strings for what web-form visitors typed: the thread's lines and the card's names."""

from __future__ import annotations

from .i18n import N_

WEBFORM_JS_STRINGS: dict[str, str] = {
    "message.introducedAs": N_("introduced themselves as {name}"),
    "message.formPhone": N_("Phone as typed: {phone}"),
    "message.formEmail": N_("E-mail as typed: {email}"),
    "message.formAsSent": N_("Fields read otherwise than the site sent them: {fields}"),
    "card.introducedAs": N_("Names given in requests"),
    "card.contactPerson": N_("contact person"),
    "card.addContactPerson": N_("Add as a contact person of {organisation}"),
    "card.personAdded": N_("Added as a contact person"),
    "card.unparsedPhone": N_("not recognised"),
}
