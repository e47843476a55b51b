"""Strings of canned answers («Шаблоны»): the reply box's «/» list and the templates page."""

from __future__ import annotations

from .i18n import N_

TEMPLATE_JS_STRINGS: dict[str, str] = {
    "templates.title": N_("Templates"),
    "templates.none": N_("No templates match."),
    "error.no-such-template": N_("This template no longer exists."),
    "adminError.no-such-template": N_("This template no longer exists."),
    "templates.scope.personal": N_("Only me"),
    "templates.scope.company": N_("The whole company"),
    "templates.scope.teamNamed": N_("Team «{team}»"),
    "templates.addTitle": N_("New template"),
    "templates.editTitle": N_("Template «{name}»"),
    "templates.delete": N_("Delete"),
    "templates.confirmDelete": N_("Delete the template «{name}»?"),
    "templates.deleted": N_("Deleted: {name}"),
    "templates.saved": N_("Saved: {name}"),
    # Why a template's text was refused (hub/reply_text.py), by the problem's type.
    "fieldError.template-syntax": N_(
        "The text has a mistake in its {{ }} or {% %} parts: check the brackets."
    ),
    "fieldError.template-not-allowed": N_(
        "Only variables, {% if %} conditions and simple filters are allowed."
    ),
    "fieldError.template-unknown-variable": N_(
        "Unknown variable: use the ones listed under the text."
    ),
    "fieldError.template-render": N_("The template could not be filled in."),
    "fieldError.team-for-team-scope": N_("Choose the team."),
}
