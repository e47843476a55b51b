// «Роботы»: every robot with what it does, when it fires, how often it fired this week and
// its switch; the editor (a dialog) writes the trigger, conditions and actions, and «Проверить
// на данных» shows which objects the rule would fire for right now and what it would do,
// before anything is saved or switched on. Saving an edited rule makes a new version.

import { items } from "./okno-api.js";
import { clear, el } from "./okno-dom.js";
import {
  api, clearFieldErrors, explain, fieldMessage, startLive, t, toast, wireDialog,
} from "./admin-page.js";
import {
  actionRow, conditionRow, fillSelects, flatLeaves, kindOf, readRule, setChoices,
} from "./admin-robot-rule.js";

const rowsNode = document.getElementById("robot-rows");
const emptyNode = document.getElementById("robots-empty");
const dialog = document.getElementById("robot-dialog");
const form = document.getElementById("robot-form");
const formError = document.getElementById("robot-form-error");
const conditionRows = document.getElementById("condition-rows");
const actionRows = document.getElementById("action-rows");
const keptNote = document.getElementById("robot-kept-conditions");
const dryRun = document.getElementById("dry-run");
let editing = null;
let keptConditions = null;

function when(robot) {
  const trigger = robot.trigger;
  if (trigger.type === "event") return t("robots.whenEvent", { event: t("robotEvent." + trigger.event) });
  const params = { state: t("robotState." + trigger.state), amount: trigger.after.amount, unit: t("robotUnit." + trigger.after.unit) };
  const special = { "deal.unpaid": "robots.whenAfterDue", "conversation.sla_near": "robots.whenBeforeTarget" }[trigger.state];
  if (special) return t(special, params);
  return t(trigger.after.working_time ? "robots.whenWorking" : "robots.whenTime", params);
}

function row(robot) {
  const toggle = el("input", { type: "checkbox", checked: robot.enabled, dataset: { action: "toggle" },
    "aria-label": t("robots.switchNamed", { name: robot.name }) });
  toggle.addEventListener("change", () => setEnabled(robot, toggle));
  const edit = el("button", { type: "button", dataset: { action: "edit" },
    "aria-label": t("robots.editNamed", { name: robot.name }) }, t("admin.edit"));
  edit.addEventListener("click", () => openDialog(robot));
  return el("tr", { dataset: { id: robot.id, builtin: robot.builtin_key || "" } },
    el("td", {},
      el("div", { class: "ch-title" }, robot.name, robot.builtin_key ? el("span", { class: "chip" }, t("robots.builtin")) : null),
      el("div", { class: "muted" }, robot.description)),
    el("td", { dataset: { part: "when" } }, when(robot)),
    el("td", { dataset: { part: "fired" } }, String(robot.fired_this_week)),
    el("td", {}, el("label", { class: "switch" }, toggle, el("span", {}, robot.enabled ? t("robots.on") : t("robots.off")))),
    el("td", { class: "row-actions" }, edit));
}

async function load() {
  const robots = items(await api("GET", "/api/v1/robots"));
  clear(rowsNode).append(...robots.map(row));
  emptyNode.hidden = robots.length > 0;
}

async function setEnabled(robot, toggle) {
  toggle.disabled = true;
  try {
    await api("POST", `/api/v1/robots/${robot.id}/${toggle.checked ? "enable" : "disable"}`);
    toast(t(toggle.checked ? "robots.enabledNamed" : "robots.disabledNamed", { name: robot.name }));
    await load();
  } catch (error) {
    toggle.checked = !toggle.checked;
    toggle.disabled = false;
    toast(explain(error));
  }
}

function showTrigger(type) {
  for (const part of form.querySelectorAll("[data-trigger]")) part.hidden = part.dataset.trigger !== type;
}

function fill(robot) {
  const trigger = robot ? robot.trigger : { type: "time", state: "conversation.no_first_response", after: { amount: 15, unit: "minutes" } };
  form.elements.name.value = robot ? robot.name : "";
  form.elements.description.value = robot ? robot.description : "";
  for (const radio of form.querySelectorAll("input[name=trigger-type]")) radio.checked = radio.value === trigger.type;
  showTrigger(trigger.type);
  if (trigger.type === "time") {
    form.elements.state.value = trigger.state;
    form.elements.amount.value = trigger.after.amount;
    form.elements.unit.value = trigger.after.unit;
    form.elements.working_time.checked = Boolean(trigger.after.working_time);
  } else {
    form.elements.event.value = trigger.event;
  }
  const flat = flatLeaves(robot ? robot.conditions : null);
  keptConditions = flat ? null : robot.conditions;
  keptNote.hidden = Boolean(flat);
  keptNote.textContent = flat ? "" : t("robots.keptConditions");
  form.elements.match.value = flat ? flat.match : "all";
  clear(conditionRows).append(...(flat ? flat.leaves : []).map((leaf) => conditionRow(t, kindOf(form), leaf)));
  clear(actionRows).append(...(robot ? robot.actions : [{ type: "flag", code: "robot", reason: "" }]).map((a) => actionRow(t, a)));
}

function openDialog(robot) {
  editing = robot;
  document.getElementById("robot-dialog-title").textContent = robot ? t("robots.editTitle", { name: robot.name }) : t("robots.newTitle");
  clearFieldErrors(form);
  formError.hidden = true;
  dryRun.hidden = true;
  fill(robot);
  dialog.showModal();
  form.elements.name.focus();
}

// A problem goes next to the row or field it names ("actions.1.text" beside action 2), the
// path shortened until a slot is found; the rest above the form.
function showProblems(error) {
  const details = Array.isArray(error.details) ? error.details : [];
  const unplaced = [];
  for (const detail of details) {
    const slot = slotFor(detail.field);
    if (slot) slot.textContent = (slot.textContent ? slot.textContent + " " : "") + fieldMessage(detail);
    else unplaced.push(fieldMessage(detail));
  }
  formError.textContent = details.length ? (unplaced.length ? unplaced.join(" ") : t("admin.checkFields")) : explain(error);
  formError.hidden = false;
}

function slotFor(path) {
  const parts = String(path).split(".");
  const index = (name) => Number(parts[parts.indexOf(name) + 1]);
  if (parts[0] === "actions" && parts.length > 1) {
    // The field's own slot in the row (a template, a channel), else the row's.
    const action = actionRows.children[index("actions")];
    const own = parts.length > 2 ? action?.querySelector(`[data-error-for="${CSS.escape(parts[2])}"]`) : null;
    return own || action?.querySelector('[data-error-for=""]');
  }
  const leaf = parts.findIndex((p) => p === "all" || p === "any");
  if (parts[0] === "conditions" && leaf > 0) return conditionRows.children[Number(parts[leaf + 1])]?.querySelector(".field-error");
  for (let n = parts.length; n > 0; n -= 1) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(parts.slice(0, n).join("."))}"]`);
    if (slot) return slot;
  }
  return null;
}

async function checkOnData() {
  clearFieldErrors(form);
  formError.hidden = true;
  document.getElementById("dry-run-summary").textContent = t("robots.dryRunning");
  dryRun.hidden = false;
  try {
    const found = items(await api("POST", "/api/v1/robots/dry-run", readRule(form, keptConditions)));
    document.getElementById("dry-run-summary").textContent = found.length ? t("robots.dryCount", { count: found.length }) : t("robots.dryEmpty");
    clear(document.getElementById("dry-run-items")).append(...found.map(dryItem));
  } catch (error) {
    dryRun.hidden = true;
    showProblems(error);
  }
}

function dryItem(item) {
  const title = item.matched.title || item.matched.subject || item.matched.client_number || "";
  const what = item.actions.map((a) => t("robotAction." + a.type) + (a.reason || a.text ? ": " + (a.reason || a.text) : ""));
  return el("li", { dataset: { objectType: item.object_type, objectId: item.object_id } },
    el("strong", {}, `${t("objectKind." + item.object_type)} №${item.object_id}`), title ? " " + title : "",
    el("div", { class: "muted" }, what.join(" · ")));
}

form.addEventListener("submit", async (event) => {
  event.preventDefault();
  clearFieldErrors(form);
  formError.hidden = true;
  const save = document.getElementById("robot-save");
  save.disabled = true;
  const body = { name: form.elements.name.value.trim(), description: form.elements.description.value.trim(), ...readRule(form, keptConditions) };
  try {
    const saved = editing
      ? await api("PATCH", `/api/v1/robots/${editing.id}`, { ...body, version: editing.version })
      : await api("POST", "/api/v1/robots", body);
    dialog.close();
    toast(t("robots.saved", { name: saved.name }));
    await load();
  } catch (error) {
    showProblems(error);
  } finally {
    save.disabled = false;
  }
});

for (const radio of form.querySelectorAll("input[name=trigger-type]")) {
  radio.addEventListener("change", () => { showTrigger(radio.value); clear(conditionRows); });
}
// Another kind of object has other fields: the condition rows start over.
form.elements.state.addEventListener("change", () => clear(conditionRows));
form.elements.event.addEventListener("change", () => clear(conditionRows));
document.getElementById("condition-add").addEventListener("click", () => conditionRows.append(conditionRow(t, kindOf(form))));
document.getElementById("action-add").addEventListener("click", () => actionRows.append(actionRow(t)));
document.getElementById("robot-dry-run").addEventListener("click", checkOnData);
document.getElementById("robot-add").addEventListener("click", () => openDialog(null));
wireDialog(dialog, () => { editing = null; });
fillSelects(form, t);

startLive(() => {}, () => load().catch((error) => toast(explain(error))));
load().catch((error) => toast(explain(error)));
// What the message and notice actions offer to pick from.
Promise.all([api("GET", "/api/v1/templates"), api("GET", "/api/v1/channels")])
  .then(([templates, channels]) => setChoices({ templates: items(templates), channels: items(channels) }))
  .catch((error) => toast(explain(error)));
