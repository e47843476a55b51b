"""Strings of the «Импорт» page's scripts (import-page.js, import-mapping.js,
import-progress.js), merged into JS_STRINGS.

`importError.<id>` words an API error by its id, `importMapping.<type>` a refused column of
the mapping by its type, `importField[.<entity>].<key>` one of Okno's fields (the server's
labels are Russian; these follow the page's language).
"""

from __future__ import annotations

from .i18n import N_

IMPORT_JS_STRINGS: dict[str, str] = {
    "import.chooseFile": N_("Choose a CSV or XLSX file."),
    "import.upload": N_("Upload"),
    "import.uploading": N_("Uploading…"),
    "import.fileInfo": N_("File “{name}”: {rows} rows"),
    "import.fieldFor": N_("Field for the column “{header}”"),
    "import.skip": N_("Do not import"),
    "import.fields": N_("Fields"),
    "import.customFields": N_("Custom fields"),
    "import.newField": N_("New custom field “{header}”"),
    "import.noSamples": N_("(empty)"),
    "import.noHeader": N_("(no name)"),
    "import.required.contact": N_(
        "Choose the column with the contact's name (full name, or last and first name)."
    ),
    "import.required.organisation": N_("Choose the column with the organisation's name."),
    "import.required.deal": N_("Choose the column with the deal's title."),
    "import.checkColumns": N_("Please check the fields chosen for the columns."),
    "import.starting": N_("Starting: {total} rows to go through…"),
    "import.progress": N_("{done} of {total} rows processed"),
    "import.pollFailed": N_("Could not get the progress ({message}); trying again…"),
    "import.done": N_(
        "The import is finished: {created} created, {duplicates} duplicates, {errors} with errors."
    ),
    "import.failed": N_(
        "The import stopped: {error} Created: {created}, duplicates: {duplicates}, "
        "with errors: {errors}."
    ),
    "import.reportMore": N_("The first {n} lines are shown; the CSV holds the whole report."),
    "import.openList.contact": N_("Open the contacts"),
    "import.openList.organisation": N_("Open the organisations"),
    "import.openList.deal": N_("Open the deals"),
    "importReason.not-responsible": N_(
        "You may hand records only to yourself and to your teams' members."
    ),
    "importMapping.field-taken": N_("Another column is already loaded into this field."),
    "importMapping.no-such-field": N_("There is no such field; choose another one."),
    "importMapping.no-such-custom-field": N_(
        "There is no such custom field any more; reload the page."
    ),
    "importMapping.blank-header": N_("A column without a name cannot become a new custom field."),
    "importMapping.no-such-column": N_("The file has no such column."),
    "importError.file-too-large": N_("The file is too large: at most {max}."),
    "importError.not-an-xlsx": N_(
        "This is not an Excel workbook (.xlsx). Save it as XLSX or CSV and upload it again."
    ),
    "importError.not-a-table": N_(
        "This is not a spreadsheet in a known encoding: upload a CSV (UTF-8 or Windows-1251) "
        "or an XLSX file."
    ),
    "importError.empty-file": N_("The file is empty or has no row of column names."),
    "importError.not-multipart": N_(
        "The file did not arrive as an upload; reload the page and try again."
    ),
    "importError.forbidden": N_("Importing needs a supervisor or an administrator."),
    "importError.import-needs-supervisor": N_("Importing needs a supervisor or an administrator."),
    "importError.csrf-failed": N_("Your session has changed; reload the page and try again."),
    "importError.no-such-import": N_("There is no such import, or it is not yours."),
    "importError.no-such-file": N_("The uploaded file is gone; upload it again."),
    "importError.import-started": N_("This import has been started already."),
    "importError.invalid-input": N_("Choose what to import: contacts, organisations or deals."),
    # Okno's fields, as a column may be loaded into them (hub/crm_io/fields.py TARGETS).
    "importField.contact.name": N_("Contact's full name"),
    "importField.contact.inn": N_("Organisation's INN"),
    "importField.organisation.name": N_("Organisation name"),
    "importField.deal.phone": N_("Contact's phone"),
    "importField.deal.email": N_("Contact's e-mail"),
    "importField.last_name": N_("Last name"),
    "importField.first_name": N_("First name"),
    "importField.middle_name": N_("Middle name"),
    "importField.phone": N_("Phone"),
    "importField.email": N_("E-mail"),
    "importField.organisation": N_("Organisation"),
    "importField.inn": N_("INN"),
    "importField.kpp": N_("KPP"),
    "importField.ogrn": N_("OGRN / OGRNIP"),
    "importField.position": N_("Position"),
    "importField.responsible": N_("Responsible"),
    "importField.source": N_("Source"),
    "importField.legal_address": N_("Legal address"),
    "importField.actual_address": N_("Actual address"),
    "importField.site": N_("Website"),
    "importField.title": N_("Deal title"),
    "importField.amount": N_("Amount"),
    "importField.currency": N_("Currency"),
    "importField.pipeline": N_("Pipeline"),
    "importField.stage": N_("Stage"),
    "importField.contact": N_("Contact"),
    "importField.expected_close_on": N_("Expected close"),
    "importField.loss_reason": N_("Loss reason"),
}
