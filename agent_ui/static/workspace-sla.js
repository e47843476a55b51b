// SLA countdowns in the conversation list: each open conversation's soonest running clock
// (first response, next response or resolution) as "time left" or "overdue", ticking every
// second without a reload. The deadlines come from the server (/api/v1/sla/clocks: it knows
// the policies, the working hours and the holidays); the page only counts down to them,
// against the server's clock (the offset measured at each fetch).
import { el } from "./okno-dom.js";

const BATCH = 200;

function clockText(seconds) {
  const whole = Math.floor(Math.abs(seconds));
  const h = Math.floor(whole / 3600);
  const m = Math.floor((whole % 3600) / 60);
  const s = whole % 60;
  const two = (n) => String(n).padStart(2, "0");
  return h > 0 ? `${h}:${two(m)}:${two(s)}` : `${m}:${two(s)}`;
}

export class SlaCountdowns {
  constructor({ api, t, onChange }) {
    this.api = api;
    this.t = t;
    this.onChange = onChange;
    this.clocks = new Map(); // conversation id -> its soonest clock with a due time
    this.offset = 0; // server time - browser time, ms
    this.wanted = new Set();
    this.timer = null;
    setInterval(() => this.tick(), 1000);
  }

  // Fetch (soon, batched) the clocks of these conversations: on load, and when one changes.
  refresh(ids) {
    for (const id of ids) this.wanted.add(id);
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      const ids = [...this.wanted];
      this.wanted.clear();
      this.load(ids).catch(() => {}); // a failed fetch keeps the last deadlines shown
    }, 300);
  }

  async load(ids) {
    for (let start = 0; start < ids.length; start += BATCH) {
      const part = ids.slice(start, start + BATCH);
      const sent = Date.now();
      const answer = await this.api("GET", "/api/v1/sla/clocks?ids=" + part.join(","));
      this.offset = new Date(answer.at).getTime() - (sent + Date.now()) / 2;
      for (const id of part) this.clocks.delete(id);
      for (const clock of answer.items) {
        if (clock.due_at && !this.clocks.has(clock.conversation_id)) {
          this.clocks.set(clock.conversation_id, clock);
        }
      }
    }
    this.onChange();
  }

  left(clock) {
    return (new Date(clock.due_at).getTime() - (Date.now() + this.offset)) / 1000;
  }

  text(clock) {
    const left = this.left(clock);
    const measure = this.t("sla.measure." + clock.measure);
    return left > 0
      ? this.t("sla.left", { measure, time: clockText(left) })
      : this.t("sla.overdue", { measure, time: clockText(left) });
  }

  // The list item's badge (null when no clock runs for it).
  badge(conversation) {
    const clock = conversation.status === "open" ? this.clocks.get(conversation.id) : null;
    if (!clock) return null;
    const node = el("span", { class: "sla-countdown", dataset: { id: conversation.id },
      title: this.t("sla.title") }, this.text(clock));
    node.classList.toggle("overdue", this.left(clock) <= 0);
    return node;
  }

  tick() {
    for (const node of document.querySelectorAll(".sla-countdown[data-id]")) {
      const clock = this.clocks.get(Number(node.dataset.id));
      if (!clock) continue;
      node.textContent = this.text(clock);
      node.classList.toggle("overdue", this.left(clock) <= 0);
    }
  }
}
