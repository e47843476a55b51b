// The Operators page: every account with role, presence, extension, capacity, skills and
// teams. Routing settings are edited in the table (saved when a field is left); accounts
// are added and changed in a dialog.

import { items } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";
import {
  api, clearFieldErrors, config, errorPairs, explain, showFieldErrors, startLive, t, toast, wireDialog,
  dialogSaver,
} from "./admin-page.js";

const users = new Map();
const teams = new Map();

const rowsNode = document.getElementById("user-rows");
const dialog = document.getElementById("user-dialog");
const form = document.getElementById("user-form");
const formError = document.getElementById("user-form-error");
const saveButton = document.getElementById("user-save");
const field = (name) => document.getElementById("user-" + name);
let editing = null;

// One routing setting in the table: saved on change, with "saved" or the error beside it.
function inlineInput(user, name, value, attrs, parse) {
  const input = el("input", { class: "inline", "aria-label": t("users.col." + name), ...attrs,
    dataset: { field: name } });
  input.value = value;
  const status = el("span", { class: "cell-status", "aria-live": "polite" });
  input.addEventListener("change", async () => {
    const cell = input.parentElement;
    cell.classList.remove("invalid");
    status.dataset.state = "saving";
    status.textContent = t("users.saving");
    try {
      const saved = await api("PATCH", `/api/v1/users/${user.id}/routing`, { [name]: parse(input.value) });
      Object.assign(user, { extension: saved.extension, max_conversations: saved.max_conversations,
        skills: saved.skills, is_active: saved.is_active });
      input.value = name === "skills" ? saved.skills.join(", ") : (saved[name] ?? "");
      status.dataset.state = "saved";
      status.textContent = t("users.saved");
    } catch (error) {
      cell.classList.add("invalid");
      status.dataset.state = "error";
      const pairs = errorPairs(error);
      status.textContent = error.id === "invalid-input" && pairs.length
        ? t("users.invalid." + name) : explain(error);
    }
  });
  return [input, status];
}

function row(user) {
  const me = user.id === config.user.id;
  const active = el("input", { type: "checkbox", checked: user.is_active, disabled: me,
    "aria-label": t("users.col.active"), dataset: { field: "is_active" } });
  active.addEventListener("change", () => setActive(user, active));
  const edit = el("button", { type: "button", dataset: { action: "edit" } }, t("admin.edit"));
  edit.addEventListener("click", () => openDialog(user));
  return el("tr", { dataset: { id: user.id, login: user.login }, class: user.is_active ? null : "inactive" },
    el("td", {}, el("div", { class: "ch-title" }, user.name), el("div", { class: "sub" }, user.login)),
    el("td", {}, el("span", { class: "role-badge", dataset: { role: user.role } }, t("role." + user.role))),
    el("td", { class: "presence-cell" }, el("span", { class: "presence-dot", dataset: { presence: user.presence } }),
      t("presence." + user.presence)),
    el("td", {}, ...inlineInput(user, "extension", user.extension || "",
      { inputmode: "tel", maxlength: 20, placeholder: "—" }, (v) => v.trim())),
    el("td", {}, ...inlineInput(user, "max_conversations", String(user.max_conversations),
      { type: "number", min: 1, max: 100, class: "inline num" }, (v) => Number(v))),
    el("td", {}, ...inlineInput(user, "skills", (user.skills || []).join(", "),
      { placeholder: "lang:en, b2b" }, (v) => v.split(",").map((s) => s.trim()).filter(Boolean))),
    el("td", {}, el("div", { class: "chips" }, ...(user.team_ids || []).map((id) =>
      el("span", { class: "chip" }, teams.get(id) || "#" + id)))),
    el("td", {}, active),
    el("td", { class: "row-actions" }, edit));
}

function render() {
  const sorted = [...users.values()].sort((a, b) =>
    Number(b.is_active) - Number(a.is_active) || a.name.localeCompare(b.name));
  clear(rowsNode).append(...sorted.map(row));
}

async function load() {
  const [listed, teamList] = await Promise.all([api("GET", "/api/v1/users"), api("GET", "/api/v1/teams")]);
  teams.clear();
  for (const team of items(teamList)) teams.set(team.id, team.name);
  users.clear();
  for (const user of items(listed)) users.set(user.id, user);
  render();
}

async function setActive(user, box) {
  try {
    await api("PATCH", `/api/v1/users/${user.id}`, { is_active: box.checked });
    await load();
  } catch (error) {
    box.checked = !box.checked;
    toast(explain(error));
  }
}

function openDialog(user) {
  editing = user;
  form.reset();
  clearFieldErrors(form);
  formError.hidden = true;
  document.getElementById("user-dialog-title").textContent = user
    ? t("users.editTitle", { name: user.name }) : t("users.addTitle");
  for (const node of form.querySelectorAll("[data-create-only]")) node.hidden = user !== null;
  for (const node of form.querySelectorAll("[data-edit-only]")) node.hidden = user === null;
  document.getElementById("user-password-label").textContent = user ? t("users.newPassword") : t("users.password");
  document.getElementById("user-password-help").textContent = user ? t("users.passwordKeep") : t("users.passwordRule");
  field("name").value = user ? user.name : "";
  field("role").value = user ? user.role : "operator";
  field("locale").value = user ? user.locale : config.locale;
  field("active").checked = user ? user.is_active : true;
  field("telegram").value = user ? user.telegram_chat_id || "" : "";
  // An admin cannot lock themselves out; the server refuses it too.
  const me = user !== null && user.id === config.user.id;
  field("role").disabled = me;
  field("active").disabled = me;
  dialog.showModal();
  (user ? field("name") : field("login")).focus();
}

function body() {
  const values = { name: field("name").value.trim(), locale: field("locale").value };
  if (!field("role").disabled) values.role = field("role").value;
  const password = field("password").value;
  if (!editing) return { ...values, login: field("login").value.trim(), password };
  if (password) values.password = password;
  // "" clears it on the server; sent only when changed, so an untouched dialog keeps it.
  const chat = field("telegram").value.trim();
  if (chat !== (editing.telegram_chat_id || "")) values.telegram_chat_id = chat;
  if (!field("active").disabled) values.is_active = field("active").checked;
  return values;
}

const save = dialogSaver({
  dialog, form, saveButton, formError, collection: "/api/v1/users", editing: () => editing, body,
  done: async (saved) => {
    toast(t("users.savedUser", { name: saved.name }));
    await load();
  },
  onError: (error) => {
    const unplaced = showFieldErrors(form, errorPairs(error));
    formError.textContent = unplaced.length || !errorPairs(error).length ? explain(error) : t("admin.checkFields");
    formError.hidden = false;
  },
});

form.addEventListener("submit", save);
wireDialog(dialog, () => { form.reset(); editing = null; });
document.getElementById("user-add").addEventListener("click", () => openDialog(null));

function onEvent(event) {
  if (event.kind !== "presence.changed") return;
  const user = users.get(event.payload.user_id);
  if (!user) return;
  user.presence = event.payload.presence;
  const cell = rowsNode.querySelector(`tr[data-id="${user.id}"] .presence-cell`);
  if (cell) {
    clear(cell).append(el("span", { class: "presence-dot", dataset: { presence: user.presence } }),
      t("presence." + user.presence));
  }
}

startLive(onEvent, () => load().catch((error) => toast(explain(error))));
load().catch((error) => toast(explain(error)));
