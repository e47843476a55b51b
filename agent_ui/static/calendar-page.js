// «Календарь»: a day, a week or a month of my activities, a colleague's or a team's; drag a
// planned item to move it (with its version: a change made meanwhile is refused and shown),
// click an empty hour to plan there (who is free is checked in the dialog). Absences are
// bands over their days; «Отсутствие» records them, a click on a band changes or removes it. Kept current by
// `activity.changed` and `absence.changed` events.

import { api, config, startLive, t, toast } from "./okno-page.js";
import { ApiError, items } from "./okno-api.js";
import { el } from "./okno-dom.js";
import { wallClock } from "./tasks-format.js";
import { activityProblem, planningDialogs } from "./tasks-dialogs.js";
import { absenceDialog } from "./calendar-absences.js";
import { addDays, dayKey, renderHours, renderMonth, shift, span, title } from "./calendar-views.js";

const pad = (n) => String(n).padStart(2, "0");
const now = wallClock(new Date(), config.timeZone);
const today = { y: now.year, m: now.month, d: now.day };
const state = { view: "week", anchor: today, whose: "me", items: [], absences: [], asked: 0, refocus: null, nudges: Promise.resolve() };
const teams = new Map(); // id -> member ids I may see
const names = new Map((config.people || []).map((p) => [p.id, p.name]));
const grid = document.getElementById("cal-grid");
const whose = document.getElementById("cal-whose");

const dialogs = planningDialogs({
  api, t, config, toast,
  onChanged: (activity, change) => {
    if (activity) toast(t("tasks.changed." + change, { subject: activity.subject }));
    load();
  },
});

const absences = absenceDialog({
  api, t, config, toast, explain: (error) => activityProblem(error, t, "absenceError."),
  onChanged: () => load(),
});

function userIds() {
  if (state.whose.startsWith("u:")) return [Number(state.whose.slice(2))];
  if (state.whose.startsWith("t:")) return teams.get(Number(state.whose.slice(2))) || [];
  return [config.user.id];
}

async function load() {
  const ticket = ++state.asked;
  const [first, count] = span(state.view, state.anchor);
  const users = userIds();
  document.getElementById("cal-title").textContent = title(state.view, state.anchor, config.locale);
  let answer = { items: [] };
  let away = { items: [] };
  if (users.length) {
    const query = new URLSearchParams({ users: users.join(","), from: dayKey(first) + "T00:00",
      to: dayKey(addDays(first, count)) + "T00:00" });
    // Whose absences: the team's, or the one person's shown.
    const whose = state.whose.startsWith("t:") ? { team_id: state.whose.slice(2) } : { user_id: String(users[0]) };
    const days = new URLSearchParams({ ...whose, from: dayKey(first), to: dayKey(addDays(first, count - 1)) });
    try {
      [answer, away] = await Promise.all([
        api("GET", "/api/v1/calendar?" + query), api("GET", "/api/v1/absences?" + days)]);
    } catch (error) {
      toast(activityProblem(error, t));
      return;
    }
  }
  if (ticket !== state.asked) return;
  state.items = answer.items;
  state.absences = away.items;
  draw();
}

function draw() {
  grid.dataset.view = state.view;
  const ctx = {
    t, locale: config.locale, timeZone: config.timeZone, items: state.items,
    absences: state.absences, names,
    showWho: userIds().length > 1 || state.whose !== "me", today: dayKey(today),
    onMove: (id, key, hour) => move(id, key, hour),
    onShift: (id, days, hours) => nudge(id, days, hours),
    onAbsence: (key, userId, absence) => absences.open({ day: key, userId }, state.absences, absence),
    onPlan: (key, hour) => dialogs.create.open({
      kind: "meeting", due: `${key}T${pad(hour)}:00`,
      responsibleId: userIds().length === 1 ? userIds()[0] : config.user.id,
    }),
  };
  // A redraw (a live change, a keyboard move) keeps the focus on the item that had it, so
  // the next Shift+arrow moves it on.
  const had = grid.contains(document.activeElement) ? document.activeElement.dataset.id : null;
  if (state.view === "month") renderMonth(grid, state.anchor, ctx);
  else renderHours(grid, state.view, state.anchor, ctx);
  const keep = state.refocus || had;
  state.refocus = null;
  const node = keep ? grid.querySelector(`.cal-item[data-id='${keep}']`) : null;
  if (node) node.focus({ preventScroll: true });
}

// Drop on an hour keeps the item's minutes; on a month's day, its time of day.
async function move(id, key, hour) {
  const item = state.items.find((i) => i.id === id);
  if (!item || !item.due_at) return;
  const was = wallClock(new Date(item.due_at), config.timeZone);
  const due = `${key}T${pad(hour === null ? was.hour : hour)}:${pad(was.minute)}`;
  await reschedule(item, due);
}

// Shift+arrows on a focused item: a day either way, an hour up or down (a week in the month).
// Presses queue up: each starts from where the last one left the item, with its version.
function nudge(id, days, hours) {
  state.nudges = state.nudges.then(() => nudgeNow(id, days, hours));
}

async function nudgeNow(id, days, hours) {
  const item = state.items.find((i) => i.id === id);
  if (!item || !item.due_at) return;
  if (state.view === "month") [days, hours] = [days + hours * 7, 0];
  const was = wallClock(new Date(item.due_at), config.timeZone);
  // Wall-clock arithmetic in UTC fields: Date.UTC carries day and month overflow.
  const at = new Date(Date.UTC(was.year, was.month - 1, was.day + days, was.hour + hours, was.minute));
  const due = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}` +
    `T${pad(at.getUTCHours())}:${pad(at.getUTCMinutes())}`;
  state.refocus = id;
  await reschedule(item, due);
}

async function reschedule(item, due) {
  const id = item.id;
  try {
    const moved = await api("POST", `/api/v1/activities/${id}/reschedule`, { due_at: due, version: item.version });
    Object.assign(item, { due_at: moved.due_at, version: moved.version });
    toast(t("calendar.moved", { subject: moved.subject }));
  } catch (error) {
    toast(error instanceof ApiError && error.status === 409 ? t("tasksError.stale-version") : activityProblem(error, t));
  }
  await load();
}

async function fillWhose() {
  const options = [el("option", { value: "me" }, t("calendar.mine"))];
  for (const person of config.people || []) {
    if (person.id !== config.user.id) options.push(el("option", { value: "u:" + person.id }, person.name));
  }
  try {
    for (const team of items(await api("GET", "/api/v1/teams"))) {
      // Only the members whose calendars I may see; a team with none of them is left out.
      const members = team.member_ids.filter((id) => names.has(id));
      if (!members.length) continue;
      teams.set(team.id, members);
      options.push(el("option", { value: "t:" + team.id }, t("calendar.team", { name: team.name })));
    }
  } catch (error) {
    // Teams are a convenience: people alone still work.
  }
  whose.replaceChildren(...options);
  whose.value = state.whose;
}

for (const toggle of document.querySelectorAll("[data-view]")) {
  toggle.addEventListener("click", () => {
    state.view = toggle.dataset.view;
    for (const other of document.querySelectorAll("[data-view]")) other.setAttribute("aria-pressed", String(other === toggle));
    load();
  });
}
document.getElementById("cal-prev").addEventListener("click", () => { state.anchor = shift(state.view, state.anchor, -1); load(); });
document.getElementById("cal-next").addEventListener("click", () => { state.anchor = shift(state.view, state.anchor, 1); load(); });
document.getElementById("cal-today").addEventListener("click", () => { state.anchor = today; load(); });
whose.addEventListener("change", () => { state.whose = whose.value; load(); });
document.getElementById("absence-new").addEventListener("click", () => absences.open(
  { day: dayKey(today), userId: userIds().length === 1 ? userIds()[0] : config.user.id }, state.absences));
document.getElementById("task-new").addEventListener("click", () => dialogs.create.open({ kind: "meeting" }));

let soon = null;
startLive((event) => {
  if (event.kind !== "activity.changed" && event.kind !== "absence.changed") return;
  clearTimeout(soon);
  soon = setTimeout(load, 200);
}, load);
fillWhose().then(load);
