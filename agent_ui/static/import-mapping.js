// The import's column table: one row per column of the file, with its first values and a
// select of Okno's fields, pre-set to the field remembered for a file with the same headers,
// else to the one the server guessed from the header. Checked here before the start (a
// required field, a field chosen twice) so the usual mistakes are named next to their
// column; the server checks again and its refusals land on the same rows.

import { clear, el } from "./okno-dom.js";

export const SKIP = "";
export const NEW_FIELD = "new-custom-field";
const CUSTOM = "cf.";
// Several columns may feed these (a contact's mobile and work phones); the rest take one.
const MULTI = new Set(["phone", "email"]);
// At least one of these must be chosen, as hub/actions/imports.py REQUIRED says.
const REQUIRED = {
  contact: ["name", "last_name", "first_name"],
  organisation: ["name"],
  deal: ["title"],
};

export class MappingTable {
  constructor({ t, admin, body, errorNode }) {
    Object.assign(this, { t, admin, body, errorNode });
    this.rows = []; // {index, header, select, error}
  }

  // A field's words in the page's language; the server's (Russian) label when unknown.
  fieldLabel(entity, choice) {
    for (const key of ["importField." + entity + "." + choice.field, "importField." + choice.field]) {
      const text = this.t(key);
      if (text !== key) return text;
    }
    return choice.label;
  }

  options(preview) {
    const entity = preview.job.entity;
    const own = [];
    const custom = [];
    for (const choice of preview.fields || []) {
      if (choice.field === NEW_FIELD) continue;
      if (choice.field.startsWith(CUSTOM)) custom.push(choice);
      else own.push(choice);
    }
    return { entity, own, custom };
  }

  select(options, header, chosen) {
    const select = el("select", { "aria-label": this.t("import.fieldFor", { header: header || "—" }) },
      el("option", { value: SKIP }, this.t("import.skip")),
      el("optgroup", { label: this.t("import.fields") },
        options.own.map((c) => el("option", { value: c.field }, this.fieldLabel(options.entity, c)))),
      options.custom.length
        ? el("optgroup", { label: this.t("import.customFields") },
          options.custom.map((c) => el("option", { value: c.field }, c.label)))
        : null,
      // Creating a field is configuring the CRM: the API lets only admins do it.
      this.admin && header ? el("option", { value: NEW_FIELD }, this.t("import.newField", { header })) : null);
    select.value = [...select.options].some((o) => o.value === chosen) ? chosen : SKIP;
    return select;
  }

  show(preview) {
    const options = this.options(preview);
    const remembered = new Map((preview.remembered || []).map((m) => [m.index, m.field]));
    clear(this.body);
    this.rows = [];
    for (const column of preview.columns) {
      const chosen = preview.remembered ? remembered.get(column.index) : column.guessed_field;
      const select = this.select(options, column.header, chosen || SKIP);
      const error = el("span", { class: "field-error", dataset: { errorFor: "mapping." + column.index } });
      const samples = column.samples.length
        ? el("ul", { class: "import-samples" }, column.samples.map((s) => el("li", {}, s)))
        : el("span", { class: "muted" }, this.t("import.noSamples"));
      const tr = el("tr", { dataset: { index: column.index } },
        el("th", { scope: "row", class: "import-header" }, column.header || this.t("import.noHeader")),
        el("td", {}, samples),
        el("td", {}, el("div", { class: "field" }, select, error)));
      select.addEventListener("change", () => this.clearErrors());
      this.rows.push({ index: column.index, header: column.header, select, error, tr });
      this.body.append(tr);
    }
    this.entity = options.entity;
  }

  // What POST /imports/{id}/start takes: every column, null for the ones left out.
  mapping() {
    return this.rows.map((row) => ({ index: row.index, field: row.select.value || null }));
  }

  clearErrors() {
    for (const row of this.rows) {
      row.error.textContent = "";
      row.tr.classList.remove("invalid");
    }
    this.errorNode.hidden = true;
    this.errorNode.textContent = "";
  }

  rowError(index, message) {
    const row = this.rows.find((r) => r.index === index);
    if (!row) return false;
    row.error.textContent = message;
    row.tr.classList.add("invalid");
    return true;
  }

  pageError(message) {
    this.errorNode.textContent = message;
    this.errorNode.hidden = false;
  }

  // The mistakes the server would refuse, found before asking it; true when there are none.
  check() {
    this.clearErrors();
    const seen = new Map();
    let fine = true;
    for (const row of this.rows) {
      const field = row.select.value;
      if (!field || field === NEW_FIELD || field.startsWith(CUSTOM) || MULTI.has(field)) continue;
      if (seen.has(field)) {
        this.rowError(row.index, this.t("importMapping.field-taken"));
        fine = false;
      }
      seen.set(field, row.index);
    }
    if (!REQUIRED[this.entity].some((key) => seen.has(key))) {
      this.pageError(this.t("import.required." + this.entity));
      fine = false;
    }
    if (!fine && this.errorNode.hidden) this.pageError(this.t("import.checkColumns"));
    return fine;
  }

  // A 422 of the start: per-column problems on their rows, the rest above the buttons.
  showRefusal(details) {
    this.clearErrors();
    const general = [];
    for (const detail of details || []) {
      const match = /^mapping\.(\d+)$/.exec(String(detail.field || ""));
      const key = "importMapping." + detail.type;
      const known = this.t(key);
      if (detail.type === "required-field-unmapped") {
        general.push(this.t("import.required." + this.entity));
      } else if (!(match && this.rowError(Number(match[1]), known !== key ? known : this.t("fieldError.generic")))) {
        general.push(known !== key ? known : this.t("fieldError.generic"));
      }
    }
    this.pageError(general.length ? general.join(" ") : this.t("import.checkColumns"));
  }
}
