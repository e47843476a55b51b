// One activity as a row of «Задачи» and the «Сегодня» panel: kind, time in the user's own
// zone, subject, what it is linked to, who is responsible, and its action buttons. Also the
// wall-clock helpers the forms use (datetime-local values are the user's zone, as the API
// reads a time sent without an offset).

import { el } from "./okno-dom.js";

export const KINDS = ["call", "meeting", "task", "reminder", "email"];

// {year, month, day, hour, minute} of `date` on the wall clock of `timeZone`.
export function wallClock(date, timeZone) {
  const parts = new Intl.DateTimeFormat("en-GB", {
    timeZone, year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  }).formatToParts(date);
  const get = (type) => Number(parts.find((p) => p.type === type).value);
  return { year: get("year"), month: get("month"), day: get("day"), hour: get("hour"), minute: get("minute") };
}

const pad = (n) => String(n).padStart(2, "0");

// "2026-06-16T11:00": `days` after today in `timeZone`, at hour:minute (a datetime-local value).
export function localInput(timeZone, days, hour, minute = 0, now = new Date()) {
  const today = wallClock(now, timeZone);
  const day = new Date(Date.UTC(today.year, today.month - 1, today.day + days));
  return `${day.getUTCFullYear()}-${pad(day.getUTCMonth() + 1)}-${pad(day.getUTCDate())}T${pad(hour)}:${pad(minute)}`;
}

// The datetime-local value of an ISO instant, on the user's wall clock.
export function inputValue(iso, timeZone) {
  const w = wallClock(new Date(iso), timeZone);
  return `${w.year}-${pad(w.month)}-${pad(w.day)}T${pad(w.hour)}:${pad(w.minute)}`;
}

export function whenText(activity, { locale, timeZone }) {
  if (activity.all_day && activity.due_on) {
    const [y, m, d] = activity.due_on.split("-").map(Number);
    return new Intl.DateTimeFormat(locale, { timeZone: "UTC", day: "numeric", month: "short" })
      .format(new Date(Date.UTC(y, m - 1, d)));
  }
  if (!activity.due_at) return "";
  const due = new Date(activity.due_at);
  const sameDay = wallClock(due, timeZone).day === wallClock(new Date(), timeZone).day
    && Math.abs(due - Date.now()) < 86400000;
  const options = sameDay
    ? { timeZone, hour: "2-digit", minute: "2-digit" }
    : { timeZone, day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" };
  return new Intl.DateTimeFormat(locale, options).format(due);
}

function link(href, text, cls) {
  return el("a", { href, class: cls }, text);
}

// Where the activity points: the client's and organisation's cards, the deal, the conversation.
export function linksOf(activity, t) {
  const links = [];
  if (activity.contact) links.push(link(`/clients/contacts/${activity.contact.id}`, activity.contact.name, "task-link-contact"));
  if (activity.organisation) links.push(link(`/clients/organisations/${activity.organisation.id}`, activity.organisation.name, "task-link-organisation"));
  if (activity.deal) links.push(link(`/deals/${activity.deal.id}`, activity.deal.name, "task-link-deal"));
  if (activity.kind === "meeting") links.push(link(`/activities/${activity.id}/protocol`, t("tasks.protocol"), "task-link-protocol"));
  if (activity.conversation_id) links.push(link(`/?conversation=${activity.conversation_id}`, t("tasks.conversation"), "task-link-conversation"));
  return links;
}

// A row; `actions` (optional) receives the planned activity's buttons' clicks:
// {complete(activity), cancel(activity), snooze(activity, preset)}.
export function activityRow(activity, { t, locale, timeZone, actions = null, showResponsible = false }) {
  const planned = activity.status === "planned";
  const row = el("li", {
    class: "task-item" + (activity.overdue ? " task-overdue" : "") + (planned ? "" : " task-closed"),
    dataset: { id: activity.id, kind: activity.kind, status: activity.status },
  });
  const when = el("span", { class: "task-when" }, whenText(activity, { locale, timeZone }));
  const kind = el("span", { class: "task-kind kind-" + activity.kind }, t("tasks.kind." + activity.kind));
  const subject = el("span", { class: "task-subject" }, activity.subject);
  const head = el("div", { class: "task-head" }, when, kind, subject);
  if (activity.overdue) head.append(el("span", { class: "task-flag" }, t("tasks.overdue")));
  if (activity.reminder_late) head.append(el("span", { class: "task-flag late" }, t("tasks.late")));
  if (!planned) head.append(el("span", { class: "task-status" }, t("tasks.status." + activity.status)));
  row.append(head);
  const meta = el("div", { class: "task-meta" }, ...linksOf(activity, t));
  if (showResponsible && activity.responsible) meta.append(el("span", { class: "task-responsible" }, activity.responsible.name));
  if (activity.result) meta.append(el("span", { class: "task-result" }, activity.result));
  if (meta.childNodes.length) row.append(meta);
  if (planned && actions) row.append(actionButtons(activity, t, actions));
  return row;
}

function actionButtons(activity, t, actions) {
  const done = el("button", { type: "button", class: "task-complete" }, t("tasks.complete"));
  done.addEventListener("click", () => actions.complete(activity));
  const snooze = el("select", { class: "task-snooze", "aria-label": t("tasks.snooze") },
    el("option", { value: "" }, t("tasks.snooze")),
    el("option", { value: "10m" }, t("tasks.snooze.10m")),
    el("option", { value: "1h" }, t("tasks.snooze.1h")),
    el("option", { value: "tomorrow" }, t("tasks.snooze.tomorrow")));
  snooze.addEventListener("change", () => {
    if (snooze.value) actions.snooze(activity, snooze.value);
    snooze.value = "";
  });
  const cancel = el("button", { type: "button", class: "task-cancel link-button" }, t("tasks.cancel"));
  cancel.addEventListener("click", () => actions.cancel(activity));
  return el("div", { class: "task-actions" }, done, snooze, cancel);
}
