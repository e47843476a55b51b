// The robot editor's rule as form rows and back: a trigger (time in a state or an event),
// flat conditions (all / any of field-operator-value rows) and actions (flag, notify, also by
// e-mail or Telegram, task, note, a template message to the client). What the form cannot show (nested condition groups, webhooks, hand-overs) is kept
// exactly as it came and saved back unchanged, so editing a rule never loses a part of it.

import { clear, el } from "./okno-dom.js";

export const STATES = {
  "deal.stalled": "deal", "deal.in_stage": "deal", "deal.no_next_contact": "deal", "deal.unpaid": "deal",
  "activity.overdue": "activity",
  "conversation.no_first_response": "conversation", "conversation.waiting": "conversation",
  "conversation.sla_near": "conversation",
  "call.missed_no_callback": "call", "lead.not_contacted": "lead",
};
export const EVENTS = {
  "message.received": "conversation", "conversation.created": "conversation",
  "conversation.assigned": "conversation", "conversation.closed": "conversation",
  "call.missed": "call", "call.answered": "call", "deal.created": "deal", "deal.moved": "deal",
  "conversation.sla_breached": "conversation",
};
const FIELDS = {
  deal: ["title", "amount", "currency", "pipeline_id", "stage_id", "stage_outcome", "responsible_id", "contact_id", "source"],
  conversation: ["channel_kind", "team_id", "assignee_id", "status", "subject", "contact_id"],
  call: ["direction", "outcome", "queue", "client_number", "contact_id"],
  lead: ["title", "status", "source", "responsible_id", "contact_id"],
  activity: ["kind", "subject", "responsible_id", "deal_id", "contact_id"],
};
const NUMERIC = new Set(["deal_id", "amount", "pipeline_id", "stage_id", "responsible_id", "contact_id", "team_id", "assignee_id", "id"]);
const OPS = ["eq", "ne", "in", "gt", "lt", "contains", "is_null", "not_null"];
const EDITABLE = ["flag", "notify", "create_task", "note", "message"];
// What the action rows offer to pick from: the company's and teams' reply templates, and the
// e-mail and Telegram channels a notice may also go through (set by the page once loaded).
const choices = { templates: [], channels: [] };

export function setChoices({ templates = [], channels = [] }) {
  choices.templates = templates.filter((tpl) => tpl.scope !== "personal");
  choices.channels = channels;
}

function options(values, label, chosen) {
  return values.map((value) => el("option", { value, selected: value === chosen }, label(value)));
}

function removeButton(t, row) {
  const button = el("button", { type: "button", class: "link-button", dataset: { action: "remove" } }, t("robots.removeRow"));
  button.addEventListener("click", () => row.remove());
  return button;
}

// One condition row; `kind` picks the fields offered.
export function conditionRow(t, kind, leaf = { field: FIELDS[kind][0], op: "eq", value: "" }) {
  const row = el("li", { class: "rule-row", dataset: { part: "condition" } });
  const field = el("select", { dataset: { part: "field" }, "aria-label": t("robots.field") },
    options(FIELDS[kind], (f) => t("robotField." + f), leaf.field));
  const op = el("select", { dataset: { part: "op" }, "aria-label": t("robots.op") },
    options(OPS, (o) => t("robotOp." + o), leaf.op));
  const shown = Array.isArray(leaf.value) ? leaf.value.join(", ") : leaf.value ?? "";
  const value = el("input", { dataset: { part: "value" }, value: String(shown), "aria-label": t("robots.value") });
  row.append(field, op, value, removeButton(t, row), el("span", { class: "field-error", dataset: { errorFor: "" } }));
  return row;
}

function typed(field, text) {
  const trimmed = text.trim();
  return NUMERIC.has(field) && trimmed !== "" && !Number.isNaN(Number(trimmed)) ? Number(trimmed) : trimmed;
}

function readCondition(row) {
  const part = (name) => row.querySelector(`[data-part=${name}]`).value;
  const field = part("field");
  const op = part("op");
  if (op === "is_null" || op === "not_null") return { field, op };
  if (op === "in") return { field, op, value: part("value").split(",").map((v) => typed(field, v)).filter((v) => v !== "") };
  return { field, op, value: typed(field, part("value")) };
}

function input(part, value, attrs = {}) {
  return el("input", { dataset: { part }, value: value ?? "", ...attrs });
}

// A field's own error slot inside an action row ("actions.0.template_id" lands here).
function fieldSlot(field) {
  return el("span", { class: "field-error", dataset: { errorFor: field } });
}

// A choice among ids, the first option empty ("none"); an id no longer offered stays shown.
function idSelect(part, label, entries, chosen, none) {
  const known = entries.some((e) => e.id === chosen);
  const all = known || chosen == null ? entries : [...entries, { id: chosen, label: "№" + chosen }];
  return el("select", { dataset: { part }, "aria-label": label },
    el("option", { value: "" }, none),
    ...all.map((e) => el("option", { value: String(e.id), selected: e.id === chosen }, e.label)));
}

function channelsOf(kind) {
  return choices.channels.filter((c) => c.kind === kind).map((c) => ({ id: c.id, label: c.title || c.name }));
}

// One action row: its type's inputs; an action the form does not edit is kept whole.
export function actionRow(t, action = { type: "flag", code: "robot", reason: "" }) {
  const row = el("li", { class: "rule-row", dataset: { part: "action", type: action.type } });
  if (!EDITABLE.includes(action.type)) {
    row.dataset.kept = JSON.stringify(action);
    row.append(el("span", {}, t("robots.keptAction", { type: t("robotAction." + action.type) })), removeButton(t, row));
  } else {
    const type = el("select", { dataset: { part: "type" }, "aria-label": t("robots.actionType") },
      options(EDITABLE, (a) => t("robotAction." + a), action.type));
    type.addEventListener("change", () => row.replaceWith(actionRow(t, { type: type.value })));
    row.append(type, ...actionInputs(t, action), removeButton(t, row));
  }
  row.append(el("span", { class: "field-error", dataset: { errorFor: "" } }));
  return row;
}

function actionInputs(t, action) {
  switch (action.type) {
    case "flag":
      return [input("code", action.code || "robot", { type: "hidden" }),
        input("reason", action.reason, { "aria-label": t("robots.reason"), placeholder: t("robots.reason") })];
    case "notify":
      return [el("select", { dataset: { part: "to" }, "aria-label": t("robots.to") },
        options(["responsible", "supervisor"], (v) => t("robotTo." + v), action.to)),
      input("text", action.text, { "aria-label": t("robots.text"), placeholder: t("robots.text") }),
      idSelect("email_channel_id", t("robots.alsoEmail"), channelsOf("email"), action.email_channel_id, t("robots.noEmail")),
      fieldSlot("email_channel_id"),
      idSelect("telegram_channel_id", t("robots.alsoTelegram"), channelsOf("telegram"), action.telegram_channel_id, t("robots.noTelegram")),
      fieldSlot("telegram_channel_id")];
    case "message":
      return [idSelect("template_id", t("robots.template"),
        choices.templates.map((tpl) => ({ id: tpl.id, label: tpl.name })), action.template_id, t("robots.pickTemplate")),
      fieldSlot("template_id"),
      el("label", {}, el("input", { type: "checkbox", dataset: { part: "working_hours" }, checked: action.working_hours !== false }),
        " ", t("robots.inWorkingHours"))];
    case "create_task":
      return [el("select", { dataset: { part: "kind" }, "aria-label": t("robots.taskKind") },
        options(["call", "task", "meeting"], (v) => t("taskKind." + v), action.kind)),
      el("select", { dataset: { part: "assignee" }, "aria-label": t("robots.to") },
        options(["responsible", "supervisor"], (v) => t("robotTo." + v), action.assignee)),
      input("subject", action.subject, { "aria-label": t("robots.subject"), placeholder: t("robots.subject") })];
    default:
      return [input("text", action.text, { "aria-label": t("robots.text"), placeholder: t("robots.text") })];
  }
}

function readAction(row) {
  if (row.dataset.kept) return JSON.parse(row.dataset.kept);
  const part = (name) => row.querySelector(`[data-part=${name}]`).value;
  const type = part("type");
  if (type === "flag") return { type, code: part("code") || "robot", reason: part("reason") };
  const id = (name) => (part(name) === "" ? null : Number(part(name)));
  if (type === "notify") {
    return { type, to: part("to"), text: part("text"),
      email_channel_id: id("email_channel_id"), telegram_channel_id: id("telegram_channel_id") };
  }
  if (type === "message") {
    return { type, template_id: id("template_id"),
      working_hours: row.querySelector("[data-part=working_hours]").checked };
  }
  if (type === "create_task") return { type, kind: part("kind"), assignee: part("assignee"), subject: part("subject") };
  return { type, text: part("text") };
}

// Whether the form can show these conditions as rows (one flat all/any group of leaves).
export function flatLeaves(conditions) {
  if (!conditions) return { match: "all", leaves: [] };
  if ("field" in conditions) return { match: "all", leaves: [conditions] };
  const match = "all" in conditions ? "all" : "any" in conditions ? "any" : null;
  if (!match || !conditions[match].every((c) => "field" in c && OPS.includes(c.op))) return null;
  return { match, leaves: conditions[match] };
}

// The rule the form holds, as the API takes it; `kept` conditions go back unchanged.
export function readRule(form, kept) {
  const type = form.querySelector("input[name=trigger-type]:checked").value;
  const value = (name) => form.elements[name].value;
  const trigger = type === "time"
    ? { type, state: value("state"), after: { amount: Number(value("amount")), unit: value("unit"), working_time: form.elements.working_time.checked } }
    : { type, event: value("event") };
  const leaves = [...form.querySelectorAll("[data-part=condition]")].map(readCondition);
  const conditions = kept || (leaves.length ? { [value("match")]: leaves } : null);
  const actions = [...form.querySelectorAll("[data-part=action]")].map(readAction);
  return { trigger, conditions, actions };
}

export function kindOf(form) {
  const type = form.querySelector("input[name=trigger-type]:checked").value;
  return type === "time" ? STATES[form.elements.state.value] : EVENTS[form.elements.event.value];
}

export function fillSelects(form, t) {
  clear(form.elements.state).append(...options(Object.keys(STATES), (s) => t("robotState." + s)));
  clear(form.elements.event).append(...options(Object.keys(EVENTS), (e) => t("robotEvent." + e)));
}
