"""Strings of the administrator's CRM settings pages' scripts (custom fields, pipelines,
visibility), merged into JS_STRINGS.

Kept apart from js_strings_admin.py (channels, operators) so neither list outgrows a screen.
`fieldError.<type>` entries here word the per-field problems these pages' APIs report (the
server's own messages are English); `adminError.<id>` an error of these APIs by its id.
"""

from __future__ import annotations

from .i18n import N_

CRM_ADMIN_JS_STRINGS: dict[str, str] = {
    "adminError.custom-field-exists": N_("This record already has a field with this key."),
    "adminError.no-such-custom-field": N_("This field was deleted meanwhile; reload the page."),
    "adminError.pipeline-exists": N_("A pipeline with this name exists already."),
    "adminError.no-such-pipeline": N_("This pipeline is gone; reload the page."),
    "adminError.stage-has-deals": N_(
        "Deals stand in a stage you removed, so it is back in the list. Move its deals to another stage first."  # noqa: E501
    ),
    "adminError.stage-has-history": N_(
        "Deals have passed through a stage you removed, so it is back in the list: it stays in their history."  # noqa: E501
    ),
    "fieldKind.text": N_("Text"),
    "fieldKind.number": N_("Number"),
    "fieldKind.money": N_("Amount of money"),
    "fieldKind.date": N_("Date"),
    "fieldKind.list": N_("List: one choice"),
    "fieldKind.multilist": N_("List: several choices"),
    "fieldKind.flag": N_("Yes / no"),
    "fieldKind.link": N_("Link"),
    "fields.editNamed": N_("Edit the field “{label}”"),
    "fields.deleteNamed": N_("Delete the field “{label}”"),
    "fields.delete": N_("Delete"),
    "fields.requiredYes": N_("Required"),
    "fields.editTitle": N_("Field “{label}”"),
    "fields.addTitle.contact": N_("New field of contacts"),
    "fields.addTitle.organisation": N_("New field of organisations"),
    "fields.addTitle.deal": N_("New field of deals"),
    "fields.saved": N_("Field “{label}” saved."),
    "fields.deleted": N_("Field “{label}” deleted."),
    "fields.confirmDelete": N_(
        "Delete the field “{label}”? It disappears from every card and form; values already entered stay stored, unseen."  # noqa: E501
    ),
    "fields.option": N_("Option {n}"),
    "fields.optionRemove": N_("Remove option {n}"),
    "stageOutcome.open": N_("In progress"),
    "stageOutcome.won": N_("Won"),
    "stageOutcome.lost": N_("Lost"),
    "pipelines.name": N_("Pipeline name"),
    "pipelines.colName": N_("Stage"),
    "pipelines.colProbability": N_("Chance to win"),
    "pipelines.colOutcome": N_("Outcome"),
    "pipelines.addStage": N_("+ Add stage"),
    "pipelines.save": N_("Save pipeline"),
    "pipelines.reset": N_("Undo changes"),
    "pipelines.discard": N_("Discard the new pipeline"),
    "pipelines.dragHint": N_("Drag to move the stage"),
    "pipelines.removeStage": N_("Remove"),
    "pipelines.unnamedStage": N_("stage {n}"),
    "pipelines.stageName": N_("Name of stage {n}"),
    "pipelines.stageProbability": N_("Chance to win at stage {n}, %"),
    "pipelines.stageOutcome": N_("Outcome of stage {n}"),
    "pipelines.moveUp": N_("Move “{name}” up"),
    "pipelines.moveDown": N_("Move “{name}” down"),
    "pipelines.removeNamed": N_("Remove the stage “{name}”"),
    "pipelines.moved": N_("“{name}”: place {n} of {total}."),
    "pipelines.removedStage": N_("Stage “{name}” removed; save the pipeline to keep the change."),
    "pipelines.status.dirty": N_("Unsaved changes"),
    "pipelines.status.saving": N_("Saving…"),
    "pipelines.status.saved": N_("Saved"),
    "pipelines.status.error": N_("Not saved"),
    "pipelines.saved": N_("Pipeline “{name}” saved."),
    "pipelines.stageHasDeals": N_("Deals in this stage: {n}. Move them to another stage first."),
    "pipelines.stageHasHistory": N_("Deals have passed through this stage; it stays."),
    "visibility.status.dirty": N_("Unsaved changes"),
    "visibility.status.saving": N_("Saving…"),
    "visibility.status.saved": N_("Saved"),
    "visibility.status.error": N_("Not saved"),
    "visibility.saved": N_("Who sees what is saved."),
    "fieldError.label-blank": N_("Required."),
    "fieldError.options-required": N_("A list needs at least one option."),
    "fieldError.option-blank": N_("The option is empty."),
    "fieldError.option-duplicate": N_("This option is listed twice."),
    "fieldError.options-not-allowed": N_("Only list fields have options."),
    "fieldError.key-bad-format": N_(
        "Latin lower-case letters, digits and _, starting with a letter."
    ),
    "fieldError.string_pattern_mismatch": N_("The value has the wrong form."),
    "fieldError.bad-probability": N_("From 0 to 100."),
    "fieldError.less_than_equal": N_("The number is too large."),
    "fieldError.greater_than_equal": N_("The number is too small."),
    "fieldError.bad-outcome": N_("Choose one of the offered values."),
    "fieldError.no-stages": N_("A pipeline needs at least one stage."),
    "fieldError.too_short": N_("Add at least one."),
    "fieldError.too_long": N_("Too many."),
    "fieldError.no-open-stage": N_(
        "At least one stage must be in progress (neither won nor lost)."
    ),
    "fieldError.duplicate-stage": N_("A stage is listed twice."),
    "fieldError.stage-not-in-pipeline": N_("This stage is gone; reload the page."),
    "fieldError.scope-fixed": N_("This role always sees every record."),
}
