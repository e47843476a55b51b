// The top bar every staff page shares: connection state, the presence switch and the
// «Задачи» counter (overdue plus still planned today), kept by the live socket's events.

import { fetchApi } from "./okno-api.js";
import { Reminders } from "./okno-reminders.js";

const PRESENCE_KEY = "okno.presence";

export function storedPresence() {
  return localStorage.getItem(PRESENCE_KEY) || "online";
}

export class Topbar {
  constructor(t, toast) {
    this.t = t;
    this.toast = toast || (() => {});
    this.conn = document.getElementById("conn-status");
    this.select = document.getElementById("presence");
    this.live = null;
    this.select.value = storedPresence();
    this.select.addEventListener("change", () => this.choose(this.select.value));
    this.reminders = new Reminders();
    this.badge = document.getElementById("tasks-badge");
    this.badgeTimer = null;
    window.addEventListener("okno:hello", () => this.countTasks());
    window.addEventListener("okno:event", (event) => {
      const kind = event.detail && event.detail.kind;
      if (kind === "activity.changed" || kind === "reminder.due") this.countTasksSoon();
    });
  }

  // A burst of changes (a completed task and its next one) costs one request.
  countTasksSoon() {
    clearTimeout(this.badgeTimer);
    this.badgeTimer = setTimeout(() => this.countTasks(), 250);
  }

  async countTasks() {
    if (!this.badge) return;
    let today;
    try {
      today = await fetchApi("/api/v1/activities/today", { headers: { Accept: "application/json" } });
    } catch (error) {
      return; // the counter keeps its last value; the next event or reconnect retries
    }
    this.showTaskCount(today.badge);
  }

  showTaskCount(count) {
    this.badge.textContent = count > 0 ? String(count) : "";
    this.badge.hidden = !(count > 0);
    this.badge.dataset.count = String(count);
    this.badge.setAttribute("aria-label", this.t("tasks.badge", { n: count }));
  }

  attach(live) {
    this.live = live;
  }

  choose(presence) {
    localStorage.setItem(PRESENCE_KEY, presence);
    if (!this.live) return;
    this.live.presence = presence;
    if (!this.live.send({ type: "presence", presence })) this.toast(this.t("error.network"));
  }

  showPresence(presence) {
    if (presence === "online" || presence === "away") this.select.value = presence;
    document.body.dataset.presence = presence;
  }

  showStatus(status) {
    this.conn.dataset.state = status;
    this.conn.textContent = this.t("conn." + status);
  }
}
