// The Channels page: every connector instance with its state and how to connect it; admins
// add, edit, disable and enable them through a form generated from the kind's schema.

import { items } from "./okno-api.js";
import { clear, el, formatTime } from "./okno-dom.js";
import {
  api, clearFieldErrors, config, confirmAction, errorPairs, explain, showFieldErrors, startLive, t,
  toast, wireDialog,
  dialogSaver,
} from "./admin-page.js";
import { SchemaForm } from "./admin-schema-form.js";

const canEdit = config.admin === true;
const kinds = new Map();
const teams = new Map();
let channels = [];

const rowsNode = document.getElementById("channel-rows");
const emptyNode = document.getElementById("channels-empty");
const dialog = document.getElementById("channel-dialog");
const form = document.getElementById("channel-form");
const formError = document.getElementById("channel-form-error");
const kindSelect = document.getElementById("channel-kind");
const nameInput = document.getElementById("channel-name");
const titleInput = document.getElementById("channel-title");
const teamSelect = document.getElementById("channel-team");
const enabledBox = document.getElementById("channel-enabled");
const optionsNode = document.getElementById("channel-options");
const saveButton = document.getElementById("channel-save");

let editing = null; // the channel being edited, null when adding
let schemaForm = null;

function kindName(kind) {
  const key = "kindName." + kind;
  const text = t(key);
  return text !== key ? text : kind;
}

function snippet(label, text) {
  const copy = el("button", { type: "button", title: t("admin.copy") }, t("admin.copy"));
  copy.addEventListener("click", () => {
    navigator.clipboard.writeText(text).then(() => toast(t("admin.copied")), () => toast(text));
  });
  return el("div", { class: "snippet" }, el("span", { class: "snippet-label" }, label),
    el("div", { class: "snippet-value" }, el("code", {}, text), copy));
}

function howToConnect(channel) {
  const base = config.publicUrl;
  const mode = channel.options && channel.options.mode;
  if (channel.kind === "webform") {
    return snippet(t("admin.embedForm"), `<script src="${base}/forms/${channel.name}.js" async></script>`);
  }
  if (channel.kind === "widget") {
    return snippet(t("admin.embedWidget"), `<script src="${base}/widget/${channel.name}.js" async></script>`);
  }
  if (mode === "polling" || mode === "longpoll") return el("span", { class: "muted" }, t("admin.polling"));
  if (channel.webhook_url) return snippet(t("admin.webhook"), channel.webhook_url);
  return el("span", { class: "muted" }, t("admin.noAddress"));
}

function stateOf(channel) {
  const state = channel.enabled ? channel.status : "disabled";
  return el("span", { class: "state", dataset: { state } }, t("admin.state." + state));
}

function rowActions(channel) {
  if (!canEdit) return [];
  const edit = el("button", { type: "button", dataset: { action: "edit" } }, t("admin.edit"));
  edit.addEventListener("click", () => openDialog(channel));
  const toggle = channel.enabled
    ? el("button", { type: "button", dataset: { action: "disable" } }, t("admin.disable"))
    : el("button", { type: "button", dataset: { action: "enable" } }, t("admin.enable"));
  toggle.addEventListener("click", () => (channel.enabled ? disable(channel) : enable(channel)));
  return [edit, toggle];
}

function render() {
  clear(rowsNode).append(...channels.map((channel) => el("tr", {
    dataset: { id: channel.id, kind: channel.kind, name: channel.name },
    class: channel.enabled ? null : "disabled",
  },
    el("td", {},
      el("div", {}, el("span", { class: "kind-badge", dataset: { kind: channel.kind } }, kindName(channel.kind)),
        el("span", { class: "ch-title" }, channel.title)),
      el("div", { class: "sub" }, el("code", {}, channel.name))),
    el("td", {}, channel.team_id ? (teams.get(channel.team_id) || "#" + channel.team_id) : el("span", { class: "muted" }, "—")),
    el("td", {}, stateOf(channel)),
    el("td", {}, howToConnect(channel)),
    el("td", {}, el("time", { datetime: channel.created_at }, formatTime(channel.created_at, config.locale))),
    el("td", { class: "row-actions" }, ...rowActions(channel)))));
  emptyNode.hidden = channels.length > 0;
}

async function load() {
  const [listed, kindList, teamList] = await Promise.all([
    api("GET", "/api/v1/channels"), api("GET", "/api/v1/channels/kinds"), api("GET", "/api/v1/teams"),
  ]);
  kinds.clear();
  for (const kind of items(kindList)) kinds.set(kind.kind, kind);
  teams.clear();
  for (const team of items(teamList)) teams.set(team.id, team.name);
  channels = items(listed);
  render();
}

function buildOptions(kind, values) {
  clear(optionsNode);
  const spec = kinds.get(kind);
  schemaForm = spec ? new SchemaForm({
    container: optionsNode, schema: spec.options_schema, secretFields: spec.secret_fields, kind,
    values, editing: editing !== null, t,
  }) : null;
}

function openDialog(channel) {
  editing = channel;
  clearFieldErrors(form);
  formError.hidden = true;
  document.getElementById("channel-dialog-title").textContent = channel
    ? t("admin.editChannel", { name: channel.title }) : t("admin.addChannel");
  const kindList = [...kinds.keys()];
  clear(kindSelect).append(...kindList.map((kind) => el("option", { value: kind }, kindName(kind))));
  kindSelect.value = channel ? channel.kind : kindList[0];
  kindSelect.disabled = channel !== null;
  nameInput.value = channel ? channel.name : "";
  nameInput.disabled = channel !== null;
  titleInput.value = channel ? channel.title : "";
  clear(teamSelect).append(el("option", { value: "" }, t("admin.noTeam")),
    ...[...teams].map(([id, name]) => el("option", { value: id }, name)));
  teamSelect.value = channel && channel.team_id ? String(channel.team_id) : "";
  enabledBox.checked = channel ? channel.enabled : true;
  buildOptions(kindSelect.value, channel ? channel.options : {});
  dialog.showModal();
  (channel ? titleInput : nameInput).focus();
}

function body() {
  const team = teamSelect.value ? Number(teamSelect.value) : null;
  const options = schemaForm ? schemaForm.value() : {};
  if (editing) {
    const patch = { team_id: team, enabled: enabledBox.checked, options };
    if (titleInput.value.trim()) patch.title = titleInput.value.trim();
    return patch;
  }
  return { kind: kindSelect.value, name: nameInput.value.trim(), title: titleInput.value.trim(),
    team_id: team, enabled: enabledBox.checked, options };
}

function showError(error) {
  let unplaced;
  if (error.id === "invalid-options") {
    unplaced = schemaForm.showErrors(error.details);
  } else if (error.id === "channel-exists") {
    unplaced = showFieldErrors(form, [["name", explain(error)]]);
  } else {
    const pairs = errorPairs(error);
    unplaced = pairs.length ? showFieldErrors(form, pairs) : [explain(error)];
  }
  formError.textContent = unplaced.length ? unplaced.join(" ") : t("admin.checkFields");
  formError.hidden = false;
}

const save = dialogSaver({
  dialog, form, saveButton, formError, collection: "/api/v1/channels", editing: () => editing, body,
  done: async (saved) => {
    toast(t("admin.channelSaved", { name: saved.title }));
    await load();
  },
  onError: (error) => {
    showError(error);
  },
});

async function disable(channel) {
  const ok = await confirmAction(t("admin.confirmDisable", { name: channel.title }), t("admin.disable"));
  if (!ok) return;
  try {
    await api("DELETE", `/api/v1/channels/${channel.id}`);
    await load();
  } catch (error) {
    toast(explain(error));
  }
}

async function enable(channel) {
  try {
    await api("PATCH", `/api/v1/channels/${channel.id}`, { enabled: true });
    await load();
  } catch (error) {
    toast(explain(error));
  }
}

kindSelect.addEventListener("change", () => buildOptions(kindSelect.value, {}));
form.addEventListener("submit", save);
// Whatever was typed (secrets included) leaves the page with the dialog.
wireDialog(dialog, () => { clear(optionsNode); schemaForm = null; form.reset(); editing = null; });
if (canEdit) document.getElementById("channel-add").addEventListener("click", () => openDialog(null));

let reloadTimer = null;
function reloadSoon() {
  clearTimeout(reloadTimer);
  reloadTimer = setTimeout(() => load().catch((error) => toast(explain(error))), 300);
}

startLive((event) => { if (event.kind === "channel.changed" && !dialog.open) reloadSoon(); }, reloadSoon);
load().catch((error) => toast(explain(error)));
