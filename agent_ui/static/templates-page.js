// The Templates page: the canned answers a person may use, searched by words and language;
// his own ones (and, for supervisors and admins, team and company ones) added, changed and
// deleted in a dialog. A refused text is explained next to its field in the page's language.

import { items } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";
import {
  api, clearFieldErrors, config, confirmAction, dialogSaver, explain, localPairs, showFieldErrors,
  startLive, t, toast, wireDialog,
} from "./admin-page.js";

const teams = new Map();
let found = [];
let editing = null;
let request = 0;

const rowsNode = document.getElementById("template-rows");
const empty = document.getElementById("template-empty");
const search = document.getElementById("template-search");
const localeFilter = document.getElementById("template-locale-filter");
const dialog = document.getElementById("template-dialog");
const form = document.getElementById("template-form");
const formError = document.getElementById("template-form-error");
const field = (name) => document.getElementById("template-" + name);

function editable(template) {
  return template.scope === "personal" ? template.owner_id === config.user.id : config.supervisor;
}

function whoUses(template) {
  if (template.scope === "team") return t("templates.scope.teamNamed", { team: teams.get(template.team_id) || "#" + template.team_id });
  return t("templates.scope." + template.scope);
}

function row(template) {
  const actions = el("td", { class: "row-actions" });
  if (editable(template)) {
    const edit = el("button", { type: "button", dataset: { action: "edit" } }, t("admin.edit"));
    edit.addEventListener("click", () => openDialog(template));
    const remove = el("button", { type: "button", class: "danger", dataset: { action: "delete" } }, t("templates.delete"));
    remove.addEventListener("click", () => removeTemplate(template));
    actions.append(edit, " ", remove);
  }
  return el("tr", { dataset: { id: template.id } },
    el("td", {}, el("div", { class: "ch-title" }, template.name)),
    el("td", {}, whoUses(template)),
    el("td", {}, template.locale.toUpperCase()),
    el("td", { class: "template-text" }, template.body),
    actions);
}

async function load() {
  const mine = ++request;
  const params = new URLSearchParams({ q: search.value.trim() });
  if (localeFilter.value) params.set("locale", localeFilter.value);
  const listed = await api("GET", "/api/v1/templates?" + params);
  if (mine !== request) return;
  found = items(listed);
  clear(rowsNode).append(...found.map(row));
  empty.hidden = found.length > 0;
}

async function loadTeams() {
  const listed = await api("GET", "/api/v1/teams");
  teams.clear();
  const select = clear(field("team"));
  for (const team of items(listed)) {
    teams.set(team.id, team.name);
    select.append(el("option", { value: team.id }, team.name));
  }
}

function showTeam() {
  field("team-field").hidden = field("scope").value !== "team";
}

function openDialog(template) {
  editing = template;
  form.reset();
  clearFieldErrors(form);
  formError.hidden = true;
  document.getElementById("template-dialog-title").textContent = template
    ? t("templates.editTitle", { name: template.name }) : t("templates.addTitle");
  field("name").value = template ? template.name : "";
  field("body").value = template ? template.body : "";
  field("locale").value = template ? template.locale : config.locale;
  field("scope").value = template ? template.scope : "personal";
  if (template && template.team_id) field("team").value = String(template.team_id);
  field("scope").disabled = template !== null; // who uses it is chosen once
  field("team").disabled = template !== null;
  showTeam();
  dialog.showModal();
  field("name").focus();
}

function body() {
  const values = { name: field("name").value.trim(), body: field("body").value, locale: field("locale").value };
  if (editing) return values;
  values.scope = field("scope").value;
  if (values.scope === "team") values.team_id = Number(field("team").value);
  return values;
}

async function removeTemplate(template) {
  if (!(await confirmAction(t("templates.confirmDelete", { name: template.name }), t("templates.delete")))) return;
  try {
    await api("DELETE", `/api/v1/templates/${template.id}`);
    toast(t("templates.deleted", { name: template.name }));
    await load();
  } catch (error) {
    toast(explain(error));
  }
}

form.addEventListener("submit", dialogSaver({
  dialog, form, saveButton: field("save"), formError, collection: "/api/v1/templates",
  editing: () => editing, body,
  done: async (saved) => {
    toast(t("templates.saved", { name: saved.name }));
    await load();
  },
  onError: (error) => {
    const pairs = localPairs(error);
    const unplaced = showFieldErrors(form, pairs);
    formError.textContent = unplaced.length || !pairs.length ? explain(error) : t("admin.checkFields");
    formError.hidden = false;
  },
}));
wireDialog(dialog, () => { form.reset(); editing = null; });
field("scope").addEventListener("change", showTeam);
document.getElementById("template-add").addEventListener("click", () => openDialog(null));
let typing = null;
search.addEventListener("input", () => {
  clearTimeout(typing);
  typing = setTimeout(() => load().catch((error) => toast(explain(error))), 200);
});
localeFilter.addEventListener("change", () => load().catch((error) => toast(explain(error))));

startLive(() => {}, () => load().catch((error) => toast(explain(error))));
loadTeams().then(load).catch((error) => toast(explain(error)));
