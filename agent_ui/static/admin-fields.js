// «Доп. поля»: the custom fields of contacts, organisations and deals, one tab per entity (the
// tab is kept in the address, #deal), added, changed and deleted in a dialog. The kind and key
// are fixed once a field exists (records keep their values under the key), so the dialog
// shows them read-only when editing.

import { items } from "./okno-api.js";
import { arrowTabs, clear, el } from "./okno-dom.js";
import {
  api, clearFieldErrors, confirmAction, explain, localPairs, showFieldErrors, startLive, t, toast, wireDialog,
  dialogSaver,
} from "./admin-page.js";
import { OptionList } from "./admin-field-options.js";

const ENTITIES = ["contact", "organisation", "deal"];
const LIST_KINDS = new Set(["list", "multilist"]);
// A conflict about a key is shown at the key's input.
const CONFLICT_FIELDS = { "custom-field-exists": "key" };

const rowsNode = document.getElementById("field-rows");
const emptyNode = document.getElementById("fields-empty");
const tablist = document.getElementById("entity-tabs");
const dialog = document.getElementById("field-dialog");
const form = document.getElementById("field-form");
const formError = document.getElementById("field-form-error");
const saveButton = document.getElementById("field-save");
const optionsBox = document.getElementById("field-options");
const input = (name) => document.getElementById("field-" + name);
const options = new OptionList(document.getElementById("option-rows"), document.getElementById("option-add"), t);

let entity = ENTITIES.includes(location.hash.slice(1)) ? location.hash.slice(1) : "contact";
let fields = [];
let editing = null;

function row(field) {
  const edit = el("button", { type: "button", dataset: { action: "edit" },
    "aria-label": t("fields.editNamed", { label: field.label }) }, t("admin.edit"));
  edit.addEventListener("click", () => openDialog(field));
  const remove = el("button", { type: "button", dataset: { action: "delete" },
    "aria-label": t("fields.deleteNamed", { label: field.label }) }, t("fields.delete"));
  remove.addEventListener("click", () => removeField(field));
  return el("tr", { dataset: { id: field.id, key: field.key } },
    el("td", { class: "ch-title" }, field.label),
    el("td", {}, el("code", {}, field.key)),
    el("td", {}, el("span", { class: "kind-badge", dataset: { kind: field.kind } }, t("fieldKind." + field.kind))),
    el("td", {}, field.required ? t("fields.requiredYes") : "—"),
    el("td", {}, el("div", { class: "chips" }, ...field.options.map((option) => el("span", { class: "chip" }, option)))),
    el("td", { class: "row-actions" }, edit, remove));
}

function render() {
  for (const tab of tablist.querySelectorAll("[role=tab]")) {
    const chosen = tab.dataset.entity === entity;
    tab.setAttribute("aria-selected", String(chosen));
    tab.tabIndex = chosen ? 0 : -1;
    if (chosen) document.getElementById("fields-panel").setAttribute("aria-labelledby", tab.id);
  }
  const shown = fields.filter((f) => f.entity === entity).sort((a, b) => a.position - b.position || a.id - b.id);
  clear(rowsNode).append(...shown.map(row));
  emptyNode.hidden = shown.length > 0;
}

async function load() {
  fields = items(await api("GET", "/api/v1/custom-fields"));
  render();
}

function choose(next) {
  entity = next;
  history.replaceState(null, "", "#" + next);
  render();
}

for (const tab of tablist.querySelectorAll("[role=tab]")) {
  tab.addEventListener("click", () => choose(tab.dataset.entity));
}
arrowTabs(tablist);

function showOptions() {
  optionsBox.hidden = !LIST_KINDS.has(input("kind").value);
}

function openDialog(field) {
  editing = field;
  form.reset();
  clearFieldErrors(form);
  formError.hidden = true;
  document.getElementById("field-dialog-title").textContent = field
    ? t("fields.editTitle", { label: field.label }) : t("fields.addTitle." + entity);
  for (const node of form.querySelectorAll("[data-edit-only]")) node.hidden = field === null;
  input("label").value = field ? field.label : "";
  input("kind").value = field ? field.kind : "text";
  input("kind").disabled = field !== null;
  input("key").value = field ? field.key : "";
  input("key").readOnly = field !== null;
  input("required").checked = field ? field.required : false;
  options.set(field ? field.options : []);
  showOptions();
  dialog.showModal();
  input("label").focus();
}

function body() {
  const kind = input("kind").value;
  const values = { label: input("label").value.trim(), required: input("required").checked };
  if (LIST_KINDS.has(kind)) values.options = options.values();
  if (editing) return values;
  const key = input("key").value.trim();
  return { ...values, entity, kind, ...(key ? { key } : {}), options: values.options || [] };
}

const save = dialogSaver({
  dialog, form, saveButton, formError, collection: "/api/v1/custom-fields", editing: () => editing, body,
  done: async (saved) => {
    toast(t("fields.saved", { label: saved.label }));
    await load();
  },
  onError: (error) => {
    const pairs = localPairs(error, CONFLICT_FIELDS);
    const unplaced = showFieldErrors(form, pairs);
    formError.textContent = unplaced.length || !pairs.length ? explain(error) : t("admin.checkFields");
    formError.hidden = false;
    const first = form.querySelector(".invalid input, .invalid select");
    if (first) first.focus();
  },
});

async function removeField(field) {
  if (!(await confirmAction(t("fields.confirmDelete", { label: field.label }), t("fields.delete")))) return;
  try {
    await api("DELETE", `/api/v1/custom-fields/${field.id}`);
    toast(t("fields.deleted", { label: field.label }));
    await load();
  } catch (error) {
    toast(explain(error));
  }
}

input("kind").addEventListener("change", showOptions);
form.addEventListener("submit", save);
wireDialog(dialog, () => { form.reset(); editing = null; });
document.getElementById("field-add").addEventListener("click", () => openDialog(null));

// Fields change only here; a resync after a lost socket reloads them anyway.
startLive(() => {}, () => load().catch((error) => toast(explain(error))));
load().catch((error) => toast(explain(error)));
