// Reminders on every open staff page: a `reminder.due` event from the live socket shows a
// card that stays until acted on (open, snooze 10 min / 1 h / tomorrow, dismiss), marked
// when it comes late (Okno was down at its time), and a browser notification when the user
// allowed them. A card goes away on every page once its activity is snoozed, done or
// cancelled anywhere.

import { makeApi } from "./okno-api.js";
import { el, readConfig, translator } from "./okno-dom.js";

const SNOOZES = ["10m", "1h", "tomorrow"];

export class Reminders {
  constructor() {
    const config = readConfig();
    this.config = config;
    this.t = translator(config.strings || {});
    this.api = makeApi(config.csrf);
    this.cards = new Map(); // activity id -> card node
    this.stack = el("section", { id: "reminders", class: "reminders", "aria-live": "assertive", "aria-label": this.t("reminder.title") });
    document.body.append(this.stack);
    window.addEventListener("okno:event", (event) => this.onEvent(event.detail));
  }

  onEvent(event) {
    if (!event) return;
    if (event.kind === "reminder.due") this.show(event.payload);
    else if (event.kind === "activity.changed") {
      const activity = event.payload.activity;
      // Snoozed, moved, done or cancelled somewhere: this reminder is settled.
      if (activity && event.payload.change !== "updated") this.drop(activity.id);
    }
  }

  when(iso) {
    if (!iso) return "";
    const options = { hour: "2-digit", minute: "2-digit", day: "numeric", month: "short" };
    if (this.config.timeZone) options.timeZone = this.config.timeZone;
    return new Intl.DateTimeFormat(this.config.locale, options).format(new Date(iso));
  }

  show(payload) {
    const activity = payload.activity;
    this.drop(activity.id);
    const t = this.t;
    const card = el("article", { class: "reminder" + (payload.late ? " reminder-late" : ""), dataset: { id: activity.id }, role: "alert" },
      el("header", { class: "reminder-head" },
        el("span", { class: "reminder-kind" }, t("tasks.kind." + activity.kind)),
        el("strong", { class: "reminder-subject" }, activity.subject)),
      el("p", { class: "reminder-when" }, activity.due_at ? t("reminder.due", { when: this.when(activity.due_at) }) : ""),
      payload.late ? el("p", { class: "reminder-late-note" }, t("reminder.late", { when: this.when(payload.remind_at) })) : null);
    const actions = el("div", { class: "reminder-actions" },
      el("a", { href: "/tasks", class: "button-link reminder-open" }, t("reminder.open")));
    for (const preset of SNOOZES) {
      const button = el("button", { type: "button", class: "reminder-snooze", dataset: { preset } }, t("tasks.snooze." + preset));
      button.addEventListener("click", () => this.snooze(activity, preset, card));
      actions.append(button);
    }
    const dismiss = el("button", { type: "button", class: "link-button reminder-dismiss", "aria-label": t("reminder.dismiss") }, "×");
    dismiss.addEventListener("click", () => this.drop(activity.id));
    actions.append(dismiss);
    card.append(actions);
    if ("Notification" in window && Notification.permission === "default") {
      const ask = el("button", { type: "button", class: "link-button reminder-allow" }, t("reminder.allow"));
      ask.addEventListener("click", () => Notification.requestPermission().then(() => ask.remove()));
      card.append(ask);
    }
    this.cards.set(activity.id, card);
    this.stack.prepend(card);
    this.notify(activity, payload.late);
  }

  notify(activity, late) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    const body = (late ? this.t("reminder.lateShort") + " " : "") + (activity.due_at ? this.when(activity.due_at) : "");
    // One tag per reminder: the browser shows it once however many Okno pages are open.
    const note = new Notification(activity.subject, { body, tag: "okno-reminder-" + activity.id });
    note.addEventListener("click", () => { window.focus(); note.close(); });
  }

  async snooze(activity, preset, card) {
    for (const button of card.querySelectorAll("button")) button.disabled = true;
    try {
      await this.api("POST", `/api/v1/activities/${activity.id}/snooze`, { preset });
      this.drop(activity.id);
    } catch (error) {
      for (const button of card.querySelectorAll("button")) button.disabled = false;
      const known = this.t("tasksError." + error.id);
      card.dataset.error = known !== "tasksError." + error.id ? known : this.t("error.generic", { message: error.message || String(error) });
      card.querySelector(".reminder-when").textContent = card.dataset.error;
    }
  }

  drop(activityId) {
    const card = this.cards.get(activityId);
    if (card) card.remove();
    this.cards.delete(activityId);
  }
}
