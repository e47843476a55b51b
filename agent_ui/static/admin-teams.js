// The Teams page: every team with its members, strategy and business hours; added and
// changed in a dialog (hours as «09:00-13:00, 14:00-18:00» per day, or always open).

import { items } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";
import {
  api, clearFieldErrors, dialogSaver, showSaveError, t, toast, wireEditorPage,
} from "./admin-page.js";

const DAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];
const RANGE = /^(\d{1,2}:\d{2})\s*[-–—]\s*(\d{1,2}:\d{2})$/;
const teams = new Map();
const users = new Map();
let editing = null;

const rowsNode = document.getElementById("team-rows");
const dialog = document.getElementById("team-dialog");
const form = document.getElementById("team-form");
const formError = document.getElementById("team-form-error");
const field = (name) => document.getElementById("team-" + name);

// «09:00-13:00, 14:00-18:00» -> [["09:00", "13:00"], ["14:00", "18:00"]]; null if unreadable.
export function parseRanges(text) {
  const ranges = [];
  for (const part of text.split(",").map((p) => p.trim()).filter(Boolean)) {
    const match = RANGE.exec(part);
    if (!match) return null;
    ranges.push([match[1].padStart(5, "0"), match[2].padStart(5, "0")]);
  }
  return ranges;
}

function rangesText(ranges) {
  return (ranges || []).map(([start, end]) => `${start}-${end}`).join(", ");
}

function hoursSummary(hours) {
  if (!hours) return t("teams.alwaysOpen");
  return DAYS.filter((day) => (hours.days || {})[day] && hours.days[day].length)
    .map((day) => `${t("teams.day." + day)} ${rangesText(hours.days[day])}`).join("; ") || t("teams.neverOpen");
}

function row(team) {
  const edit = el("button", { type: "button", dataset: { action: "edit" } }, t("admin.edit"));
  edit.addEventListener("click", () => openDialog(team));
  return el("tr", { dataset: { id: team.id } },
    el("td", {}, el("div", { class: "ch-title" }, team.name)),
    el("td", {}, team.member_ids.map((id) => users.get(id) || "#" + id).join(", ")),
    el("td", {}, t("teams.strategy." + team.strategy)),
    el("td", { class: "hours-cell" }, hoursSummary(team.business_hours)),
    el("td", { class: "row-actions" }, edit));
}

async function load() {
  const [teamList, userList] = await Promise.all([api("GET", "/api/v1/teams"), api("GET", "/api/v1/users")]);
  users.clear();
  for (const user of items(userList)) users.set(user.id, user.name);
  teams.clear();
  for (const team of items(teamList)) teams.set(team.id, team);
  clear(rowsNode).append(...[...teams.values()].map(row));
}

function openDialog(team) {
  editing = team;
  form.reset();
  clearFieldErrors(form);
  formError.hidden = true;
  document.getElementById("team-dialog-title").textContent = team
    ? t("teams.editTitle", { name: team.name }) : t("teams.addTitle");
  field("name").value = team ? team.name : "";
  field("strategy").value = team ? team.strategy : "least_busy";
  field("accept").value = team ? team.accept_timeout_s : 45;
  field("wait").value = team ? team.wait_limit_s : 300;
  clear(field("after")).append(el("option", { value: "" }, t("teams.noAfterHours")),
    ...[...teams.values()].filter((other) => !team || other.id !== team.id)
      .map((other) => el("option", { value: other.id }, other.name)));
  field("after").value = team && team.after_hours_team_id ? String(team.after_hours_team_id) : "";
  const members = new Set(team ? team.member_ids : []);
  clear(field("members")).append(...[...users.entries()].map(([id, name]) => el("label", { class: "check" },
    el("input", { type: "checkbox", value: id, checked: members.has(id) }), " ", name)));
  const hours = team ? team.business_hours : null;
  field("always").checked = !hours;
  field("tz").value = (hours && hours.tz) || "Europe/Moscow";
  clear(field("days")).append(...DAYS.map((day) => el("label", { class: "hours-day" },
    el("span", {}, t("teams.day." + day)),
    el("input", { id: "team-day-" + day, "aria-label": t("teams.day." + day), placeholder: t("teams.dayOff"),
      value: rangesText(hours && hours.days ? hours.days[day] : null) }))));
  dialog.showModal();
  field("name").focus();
}

function businessHours() {
  if (field("always").checked) return null;
  const days = {};
  for (const day of DAYS) {
    const ranges = parseRanges(document.getElementById("team-day-" + day).value);
    if (ranges === null) throw new Error(t("teams.badRanges", { day: t("teams.day." + day) }));
    if (ranges.length) days[day] = ranges;
  }
  return { tz: field("tz").value.trim() || "Europe/Moscow", days };
}

function body() {
  const after = field("after").value;
  return {
    name: field("name").value.trim(),
    strategy: field("strategy").value,
    accept_timeout_s: Number(field("accept").value),
    wait_limit_s: Number(field("wait").value),
    after_hours_team_id: after ? Number(after) : null,
    member_ids: [...field("members").querySelectorAll("input:checked")].map((box) => Number(box.value)),
    business_hours: businessHours(),
  };
}

const save = dialogSaver({
  dialog, form, saveButton: field("save"), formError, collection: "/api/v1/teams", editing: () => editing, body,
  done: async (saved) => {
    toast(t("teams.saved", { name: saved.name }));
    await load();
  },
  onError: (error) => showSaveError(form, formError, error, { "team-exists": "name" }),
});

wireEditorPage({
  dialog, form, save, onClose: () => { form.reset(); editing = null; },
  addButton: document.getElementById("team-add"), openEmpty: () => openDialog(null), load,
});
