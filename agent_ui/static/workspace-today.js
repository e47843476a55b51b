// The workspace's «Сегодня» panel: what is overdue and what is left for today, with the same
// complete / snooze / cancel actions as «Задачи»; it follows `activity.changed` live.

import { fetchApi } from "./okno-api.js";
import { el } from "./okno-dom.js";
import { activityRow } from "./tasks-format.js";

export class TodayPanel {
  constructor({ t, config, actions }) {
    Object.assign(this, { t, config, actions });
    this.list = document.getElementById("today-list");
    this.count = document.getElementById("today-count");
    this.timer = null;
    this.asked = 0;
    window.addEventListener("okno:hello", () => this.load());
    window.addEventListener("okno:event", (event) => {
      const kind = event.detail && event.detail.kind;
      if (kind === "activity.changed" || kind === "reminder.due") this.loadSoon();
    });
  }

  loadSoon() {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.load(), 250);
  }

  async load() {
    const ticket = ++this.asked;
    let today;
    try {
      today = await fetchApi("/api/v1/activities/today", { headers: { Accept: "application/json" } });
    } catch (error) {
      return; // kept as it was; the next event or reconnect tries again
    }
    if (ticket !== this.asked) return;
    const open = [...today.overdue, ...today.today.filter((a) => a.status === "planned")];
    const options = { t: this.t, locale: this.config.locale, timeZone: this.config.timeZone, actions: this.actions };
    this.list.replaceChildren(...open.map((a) => activityRow(a, options)));
    if (!open.length) this.list.append(el("li", { class: "empty" }, this.t("tasks.dayClear")));
    this.count.textContent = String(open.length);
    this.count.hidden = open.length === 0;
  }
}
