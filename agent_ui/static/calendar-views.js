// Drawing the calendar: a day or a week as columns of hours, a month as a grid of days.
// Dates are plain {y, m, d} on the user's own wall clock (his time zone), as the API reads
// times sent without an offset; items are placed by their wall-clock day and minute.

import { el } from "./okno-dom.js";
import { wallClock } from "./tasks-format.js";
import { shortDay } from "./absence-format.js";

export const HOUR_PX = 40;
const pad = (n) => String(n).padStart(2, "0");

export function addDays(day, n) {
  const at = new Date(Date.UTC(day.y, day.m - 1, day.d + n));
  return { y: at.getUTCFullYear(), m: at.getUTCMonth() + 1, d: at.getUTCDate() };
}
export const dayKey = (day) => `${day.y}-${pad(day.m)}-${pad(day.d)}`;
const weekday = (day) => (new Date(Date.UTC(day.y, day.m - 1, day.d)).getUTCDay() + 6) % 7; // Monday 0

// [first day, number of days] a view shows around `anchor`.
export function span(view, anchor) {
  if (view === "day") return [anchor, 1];
  if (view === "week") return [addDays(anchor, -weekday(anchor)), 7];
  const first = { y: anchor.y, m: anchor.m, d: 1 };
  return [addDays(first, -weekday(first)), 42];
}

export function shift(view, anchor, step) {
  if (view === "day") return addDays(anchor, step);
  if (view === "week") return addDays(anchor, 7 * step);
  const at = new Date(Date.UTC(anchor.y, anchor.m - 1 + step, 1));
  return { y: at.getUTCFullYear(), m: at.getUTCMonth() + 1, d: 1 };
}

function placed(item, timeZone) {
  if (item.all_day && item.due_on) return { key: item.due_on, minute: null };
  if (!item.due_at) return null;
  const w = wallClock(new Date(item.due_at), timeZone);
  return { key: `${w.year}-${pad(w.month)}-${pad(w.day)}`, minute: w.hour * 60 + w.minute };
}

function label(day, locale, options) {
  return new Intl.DateTimeFormat(locale, { timeZone: "UTC", ...options })
    .format(new Date(Date.UTC(day.y, day.m - 1, day.d)));
}

export function title(view, anchor, locale) {
  const [first, days] = span(view, anchor);
  if (view === "day") return label(anchor, locale, { weekday: "long", day: "numeric", month: "long", year: "numeric" });
  if (view === "month") return label(anchor, locale, { month: "long", year: "numeric" });
  const last = addDays(first, days - 1);
  return `${label(first, locale, { day: "numeric", month: "short" })} – ${label(last, locale, { day: "numeric", month: "short", year: "numeric" })}`;
}

// One item; `who` names its responsible user in a team's calendar.
function itemNode(item, ctx, minute) {
  const planned = item.status === "planned";
  const movable = planned && !item.all_day; // an all-day item keeps its date: edit it instead
  const node = el("div", {
    class: "cal-item kind-" + item.kind + (item.overdue ? " overdue" : "") + (planned ? "" : " closed"),
    dataset: { id: item.id, minute: minute === null ? "" : minute },
    draggable: movable ? "true" : null,
    tabindex: "0",
    title: item.subject,
  });
  const time = minute === null ? ctx.t("calendar.allDay") : `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;
  node.append(el("span", { class: "cal-time" }, time), " ", el("span", { class: "cal-subject" }, item.subject));
  if (ctx.showWho && item.responsible_id) node.append(el("span", { class: "cal-who" }, ctx.names.get(item.responsible_id) || ""));
  if (item.contact) node.append(el("span", { class: "cal-contact" }, item.contact.name));
  if (movable) {
    node.addEventListener("dragstart", (event) => {
      event.dataTransfer.setData("text/plain", String(item.id));
      event.dataTransfer.effectAllowed = "move";
    });
    // The keyboard's way to do what dragging does: Shift+arrows move it by a day or an hour
    // (not Alt: Alt+←/→ are the browser's Back and Forward).
    node.setAttribute("aria-keyshortcuts", "Shift+ArrowLeft Shift+ArrowRight Shift+ArrowUp Shift+ArrowDown");
    node.addEventListener("keydown", (event) => {
      const step = KEY_STEPS[event.key];
      if (!event.shiftKey || event.altKey || event.ctrlKey || event.metaKey || !step) return;
      event.preventDefault();
      ctx.onShift(item.id, step.days, step.hours);
    });
  }
  return node;
}

const KEY_STEPS = {
  ArrowLeft: { days: -1, hours: 0 },
  ArrowRight: { days: 1, hours: 0 },
  ArrowUp: { days: 0, hours: -1 },
  ArrowDown: { days: 0, hours: 1 },
};

// The bands of the absences covering a day (`ctx.absences`, days of the absent person);
// a band's first and last day are marked so the CSS rounds only the ends of the run.
function bands(ctx, key) {
  return (ctx.absences || []).filter((a) => a.starts_on <= key && key <= a.ends_on).map((a) => {
    const kind = ctx.t("absence.kind." + a.kind);
    const until = ctx.t("absence.bandUntil", { kind, until: shortDay(a.ends_on, ctx.locale) });
    const edges = (a.starts_on === key ? " first" : "") + (a.ends_on === key ? " last" : "");
    const node = el("div", {
      class: "cal-absence kind-" + a.kind + edges, dataset: { absence: a.id, user: a.user_id },
      tabindex: "0", title: a.note ? `${until} — ${a.note}` : until,
    }, `${kind}: ${a.user_name}`);
    node.addEventListener("click", () => ctx.onAbsence(key, a.user_id, a));
    return node;
  });
}

function byDay(items, timeZone) {
  const days = new Map();
  for (const item of items) {
    const at = placed(item, timeZone);
    if (!at) continue;
    if (!days.has(at.key)) days.set(at.key, []);
    days.get(at.key).push({ item, minute: at.minute });
  }
  return days;
}

function dropTarget(node, onDrop) {
  node.addEventListener("dragover", (event) => {
    event.preventDefault();
    node.classList.add("drop-target");
  });
  node.addEventListener("dragleave", () => node.classList.remove("drop-target"));
  node.addEventListener("drop", (event) => {
    event.preventDefault();
    node.classList.remove("drop-target");
    const id = Number(event.dataTransfer.getData("text/plain"));
    if (id) onDrop(id);
  });
}

// ctx: {t, locale, timeZone, items, absences, names, showWho, today (key),
//   onMove(id, dayKey, hour|null), onShift(id, days, hours), onPlan(dayKey, hour),
//   onAbsence(dayKey, userId, absence|undefined)}
export function renderHours(root, view, anchor, ctx) {
  const [first, count] = span(view, anchor);
  const days = Array.from({ length: count }, (_, i) => addDays(first, i));
  const placedItems = byDay(ctx.items, ctx.timeZone);
  const head = el("div", { class: "cal-head" }, el("div", { class: "cal-gutter" }),
    ...days.map((day) => el("div", { class: "cal-day-name" + (dayKey(day) === ctx.today ? " today" : ""), dataset: { day: dayKey(day) } },
      label(day, ctx.locale, { weekday: "short", day: "numeric", month: "short" }))));
  const allDay = el("div", { class: "cal-allday-row" }, el("div", { class: "cal-gutter" }, ctx.t("calendar.allDay")),
    ...days.map((day) => el("div", { class: "cal-allday", dataset: { day: dayKey(day) } },
      ...bands(ctx, dayKey(day)),
      ...(placedItems.get(dayKey(day)) || []).filter((p) => p.minute === null).map((p) => itemNode(p.item, ctx, null)))));
  const gutter = el("div", { class: "cal-gutter hours" },
    ...Array.from({ length: 24 }, (_, h) => el("div", { class: "cal-hour-label" }, `${pad(h)}:00`)));
  const columns = days.map((day) => {
    const key = dayKey(day);
    const column = el("div", { class: "cal-column" + (key === ctx.today ? " today" : ""), dataset: { day: key } });
    for (let hour = 0; hour < 24; hour += 1) {
      const slot = el("div", { class: "cal-slot", dataset: { day: key, hour } });
      dropTarget(slot, (id) => ctx.onMove(id, key, hour));
      slot.addEventListener("click", (event) => { if (event.target === slot) ctx.onPlan(key, hour); });
      column.append(slot);
    }
    for (const { item, minute } of (placedItems.get(key) || []).filter((p) => p.minute !== null)) {
      const node = itemNode(item, ctx, minute);
      node.style.top = `${(minute / 60) * HOUR_PX}px`;
      node.style.height = `${Math.max(item.duration_min || 0, 20) / 60 * HOUR_PX}px`;
      column.append(node);
    }
    return column;
  });
  const body = el("div", { class: "cal-body" }, gutter, ...columns);
  root.replaceChildren(head, allDay, el("div", { class: "cal-scroll" }, body));
  root.style.setProperty("--days", String(count));
  root.querySelector(".cal-scroll").scrollTop = 8 * HOUR_PX;
}

export function renderMonth(root, anchor, ctx) {
  const [first] = span("month", anchor);
  const placedItems = byDay(ctx.items, ctx.timeZone);
  const cells = Array.from({ length: 42 }, (_, i) => {
    const day = addDays(first, i);
    const key = dayKey(day);
    const cell = el("div", {
      class: "cal-cell" + (day.m === anchor.m ? "" : " other-month") + (key === ctx.today ? " today" : ""),
      dataset: { day: key },
    }, el("span", { class: "cal-date" }, String(day.d)), ...bands(ctx, key));
    const found = (placedItems.get(key) || []).sort((a, b) => (a.minute ?? -1) - (b.minute ?? -1));
    cell.append(...found.map((p) => itemNode(p.item, ctx, p.minute)));
    dropTarget(cell, (id) => ctx.onMove(id, key, null));
    return cell;
  });
  const names = Array.from({ length: 7 }, (_, i) => el("div", { class: "cal-day-name" },
    label(addDays(first, i), ctx.locale, { weekday: "short" })));
  root.replaceChildren(el("div", { class: "cal-month" }, ...names, ...cells));
}
