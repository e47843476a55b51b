// The SLA targets page: every policy with its scope (team, channel), its three targets in
// minutes and how time is counted; added, changed and deleted in a dialog.

import { items } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";
import {
  api, clearFieldErrors, confirmAction, dialogSaver, explain, showSaveError, t, toast, wireEditorPage,
} from "./admin-page.js";

const TARGETS = [["first", "first_response_s"], ["next", "next_response_s"], ["resolution", "resolution_s"]];
const policies = new Map();
const teams = new Map();
const channels = new Map();
let editing = null;

const rowsNode = document.getElementById("sla-rows");
const emptyNode = document.getElementById("sla-empty");
const dialog = document.getElementById("sla-dialog");
const form = document.getElementById("sla-form");
const formError = document.getElementById("sla-form-error");
const field = (name) => document.getElementById("sla-" + name);

// Seconds as the page shows them: minutes, or hours and minutes.
export function targetText(seconds) {
  if (seconds === null || seconds === undefined) return "—";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return t("sla.minutes", { m: minutes });
  return t("sla.hoursMinutes", { h: Math.floor(minutes / 60), m: minutes % 60 });
}

function row(policy) {
  const edit = el("button", { type: "button", dataset: { action: "edit" } }, t("admin.edit"));
  edit.addEventListener("click", () => openDialog(policy));
  const remove = el("button", { type: "button", class: "danger", dataset: { action: "delete" } }, t("sla.delete"));
  remove.addEventListener("click", () => removePolicy(policy).catch((error) => toast(explain(error))));
  return el("tr", { dataset: { id: policy.id }, class: policy.enabled ? null : "disabled" },
    el("td", {}, el("div", { class: "ch-title" }, policy.name),
      policy.enabled ? null : el("div", { class: "muted" }, t("sla.off"))),
    el("td", {}, policy.team_id ? teams.get(policy.team_id) || "#" + policy.team_id : t("sla.anyTeam")),
    el("td", {}, policy.channel_id ? channels.get(policy.channel_id) || "#" + policy.channel_id : t("sla.anyChannel")),
    ...TARGETS.map(([, key]) => el("td", { dataset: { target: key } }, targetText(policy[key]))),
    el("td", {}, policy.working_time ? t("sla.workingTime") : t("sla.calendarTime")),
    el("td", { class: "row-actions" }, edit, remove));
}

async function load() {
  const [policyList, teamList, channelList] = await Promise.all([
    api("GET", "/api/v1/sla-policies"), api("GET", "/api/v1/teams"), api("GET", "/api/v1/channels")]);
  teams.clear();
  for (const team of items(teamList)) teams.set(team.id, team.name);
  channels.clear();
  for (const channel of items(channelList)) channels.set(channel.id, channel.title || channel.name || channel.kind);
  policies.clear();
  for (const policy of items(policyList)) policies.set(policy.id, policy);
  clear(rowsNode).append(...[...policies.values()].map(row));
  emptyNode.hidden = policies.size > 0;
}

function options(select, entries, anyLabel, chosen) {
  clear(select).append(el("option", { value: "" }, anyLabel),
    ...[...entries.entries()].map(([id, name]) => el("option", { value: id }, name)));
  select.value = chosen ? String(chosen) : "";
}

function openDialog(policy) {
  editing = policy;
  form.reset();
  clearFieldErrors(form);
  formError.hidden = true;
  field("dialog-title").textContent = policy ? t("sla.editTitle", { name: policy.name }) : t("sla.addTitle");
  field("name").value = policy ? policy.name : "";
  options(field("team"), teams, t("sla.anyTeam"), policy && policy.team_id);
  options(field("channel"), channels, t("sla.anyChannel"), policy && policy.channel_id);
  for (const [name, key] of TARGETS) {
    field(name).value = policy && policy[key] ? String(Math.round(policy[key] / 60)) : "";
  }
  field("working").checked = policy ? policy.working_time : true;
  field("enabled").checked = policy ? policy.enabled : true;
  dialog.showModal();
  field("name").focus();
}

function minutes(name) {
  const text = field(name).value.trim();
  return text ? Math.round(Number(text) * 60) : null;
}

function body() {
  const team = field("team").value;
  const channel = field("channel").value;
  const sent = {
    name: field("name").value.trim(),
    team_id: team ? Number(team) : null,
    channel_id: channel ? Number(channel) : null,
    working_time: field("working").checked,
    enabled: field("enabled").checked,
  };
  for (const [name, key] of TARGETS) sent[key] = minutes(name);
  return sent;
}

async function removePolicy(policy) {
  if (!(await confirmAction(t("sla.confirmDelete", { name: policy.name }), t("sla.delete")))) return;
  await api("DELETE", "/api/v1/sla-policies/" + policy.id);
  toast(t("sla.deleted", { name: policy.name }));
  await load();
}

const save = dialogSaver({
  dialog, form, saveButton: field("save"), formError, collection: "/api/v1/sla-policies",
  editing: () => editing, body,
  done: async (saved) => {
    toast(t("sla.saved", { name: saved.name }));
    await load();
  },
  onError: (error) => showSaveError(form, formError, error, { "sla-policy-exists": "team_id" }),
});

wireEditorPage({
  dialog, form, save, onClose: () => { form.reset(); editing = null; },
  addButton: document.getElementById("sla-add"), openEmpty: () => openDialog(null), load,
});
