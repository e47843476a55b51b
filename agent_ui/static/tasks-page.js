// «Задачи»: my day (overdue in red, today, tomorrow) or every activity by filters, with
// planning, completing, cancelling and snoozing; `activity.changed` events from the live
// socket redraw it without a reload.

import { api, config, startLive, t, toast } from "./okno-page.js";
import { el } from "./okno-dom.js";
import { activityRow } from "./tasks-format.js";
import { planningDialogs } from "./tasks-dialogs.js";

const PAGE_SIZE = 50;
const nodes = {
  todayView: document.getElementById("today-view"),
  listView: document.getElementById("list-view"),
  toggles: document.querySelectorAll("[data-view]"),
  filters: document.getElementById("task-filters"),
  rows: document.getElementById("tasks-rows"),
  empty: document.getElementById("tasks-empty"),
  more: document.getElementById("tasks-more"),
  announcer: document.getElementById("task-announcer"),
};
const state = { view: "today", offset: 0, asked: 0, latest: null };

function announce(message) {
  nodes.announcer.textContent = "";
  setTimeout(() => { nodes.announcer.textContent = message; }, 30);
}

const dialogs = planningDialogs({
  api, t, config, toast,
  onChanged: async (activity, change) => {
    // Announced once the page shows the change: a row still holding the activity as it was
    // before (say, before a snooze bumped its version) would make the next action a conflict.
    reload();
    await settled();
    if (activity) announce(t("tasks.changed." + change, { subject: activity.subject }));
  },
});
const rowOptions = (extra = {}) => ({ t, locale: config.locale, timeZone: config.timeZone, actions: dialogs.actions, ...extra });

function fill(list, activities, extra) {
  list.replaceChildren(...activities.map((a) => activityRow(a, rowOptions(extra))));
  if (!activities.length) list.append(el("li", { class: "empty" }, t("tasks.none")));
}

async function loadToday() {
  const ticket = ++state.asked;
  const today = await api("GET", "/api/v1/activities/today");
  if (ticket !== state.asked) return;
  const [y, m, d] = today.date.split("-").map(Number);
  document.getElementById("today-date").textContent = new Intl.DateTimeFormat(config.locale, {
    timeZone: "UTC", weekday: "long", day: "numeric", month: "long",
  }).format(new Date(Date.UTC(y, m - 1, d)));
  for (const part of ["overdue", "today", "tomorrow"]) {
    fill(document.getElementById("tasks-" + part), today[part], {});
    document.getElementById("count-" + part).textContent = String(today[part].length);
  }
}

function listQuery(offset) {
  const f = nodes.filters.elements;
  const query = new URLSearchParams({ limit: String(PAGE_SIZE), offset: String(offset) });
  if (f.responsible.value) query.set("responsible", f.responsible.value);
  for (const name of ["kind", "status", "from", "to"]) {
    if (f[name].value) query.set(name, f[name].value + (name === "from" ? "T00:00" : name === "to" ? "T23:59:59" : ""));
  }
  if (f.overdue.checked) query.set("overdue", "true");
  return query;
}

async function loadList(append = false) {
  const ticket = ++state.asked;
  const offset = append ? state.offset : 0;
  const page = await api("GET", "/api/v1/activities?" + listQuery(offset));
  if (ticket !== state.asked) return;
  const rows = page.items.map((a) => activityRow(a, rowOptions({ showResponsible: true })));
  if (append) nodes.rows.append(...rows);
  else nodes.rows.replaceChildren(...rows);
  state.offset = page.next_offset || 0;
  nodes.more.hidden = page.next_offset === null;
  nodes.empty.hidden = nodes.rows.childElementCount > 0;
}

function reload() {
  state.latest = (async () => {
    try {
      if (state.view === "today") await loadToday();
      else await loadList();
    } catch (error) {
      toast(t("error.generic", { message: error.message || String(error) }));
    }
  })();
  return state.latest;
}

// Resolves when the newest load has drawn (a load superseded by a later one draws nothing).
async function settled() {
  let seen;
  do {
    seen = state.latest;
    await seen;
  } while (seen !== state.latest);
}

function show(view) {
  state.view = view;
  nodes.todayView.hidden = view !== "today";
  nodes.listView.hidden = view !== "list";
  for (const toggle of nodes.toggles) toggle.setAttribute("aria-pressed", String(toggle.dataset.view === view));
  reload();
}

function fillResponsible() {
  const select = nodes.filters.elements.responsible;
  select.replaceChildren(
    el("option", { value: "me" }, t("tasks.filter.mine")),
    el("option", { value: "" }, t("tasks.filter.anyone")),
    ...(config.people || []).filter((p) => p.id !== config.user.id).map((p) => el("option", { value: p.id }, p.name)),
  );
}

fillResponsible();
for (const toggle of nodes.toggles) toggle.addEventListener("click", () => show(toggle.dataset.view));
nodes.filters.addEventListener("change", () => loadList().catch((e) => toast(String(e))));
nodes.filters.addEventListener("submit", (event) => event.preventDefault());
nodes.more.addEventListener("click", () => loadList(true).catch((e) => toast(String(e))));
document.getElementById("task-new").addEventListener("click", () => dialogs.create.open());

let soon = null;
startLive((event) => {
  if (event.kind !== "activity.changed") return;
  clearTimeout(soon);
  soon = setTimeout(reload, 200);
}, reload);
reload();
