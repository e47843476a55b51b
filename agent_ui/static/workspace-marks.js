// Tags and snooze in the conversation header: the tags as a comma-separated field (saved when
// left), «Отложить» with a choice of when it comes back (in an hour, tomorrow 9:00, when the
// client writes) and «Вернуть» for a snoozed one. The list follows from the event it causes.

const HOUR_MS = 3600 * 1000;

function tomorrowAtNine(now = new Date()) {
  const next = new Date(now);
  next.setDate(next.getDate() + 1);
  next.setHours(9, 0, 0, 0);
  return next;
}

export function parseTags(text) {
  return [...new Set(text.split(",").map((tag) => tag.trim()).filter(Boolean))];
}

export class Marks {
  constructor({ api, t, me, locale, toast, explain, onChanged }) {
    Object.assign(this, { api, t, me, locale, toast, explain, onChanged });
    this.conversation = null;
    this.tags = document.getElementById("thread-tags");
    this.snoozeButton = document.getElementById("btn-snooze");
    this.wakeButton = document.getElementById("btn-wake");
    this.dialog = document.getElementById("snooze-dialog");
    this.form = document.getElementById("snooze-form");
    this.tags.addEventListener("change", () => this.saveTags());
    this.snoozeButton.addEventListener("click", () => this.dialog.showModal());
    this.wakeButton.addEventListener("click", () => this.post("wake"));
    document.getElementById("snooze-cancel").addEventListener("click", () => this.dialog.close());
    this.form.addEventListener("submit", (event) => {
      event.preventDefault();
      this.dialog.close();
      const choice = this.form.querySelector("input[name=snooze]:checked").value;
      const until = { hour: new Date(Date.now() + HOUR_MS), tomorrow: tomorrowAtNine(), reply: null }[choice];
      this.post("snooze", { until: until ? until.toISOString() : null });
    });
  }

  show(conversation) {
    const sameTags = this.conversation && this.conversation.id === conversation.id
      && document.activeElement === this.tags;
    this.conversation = conversation;
    if (!sameTags) this.tags.value = (conversation.tags || []).join(", ");
    const open = conversation.status === "open";
    const mine = Boolean(conversation.assignee && conversation.assignee.id === this.me.id);
    this.snoozeButton.hidden = !open || !mine || conversation.snoozed;
    this.wakeButton.hidden = !open || !conversation.snoozed;
    this.tags.disabled = !open && !mine;
  }

  // «Отложен до 9:00» / «Отложен до ответа клиента» for the header's line.
  describe(conversation) {
    if (!conversation.snoozed) return "";
    if (!conversation.snoozed_until) return this.t("snooze.untilReply");
    const when = new Date(conversation.snoozed_until).toLocaleString(this.locale,
      { day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
    return this.t("snooze.until", { when });
  }

  async saveTags() {
    if (!this.conversation) return;
    const tags = parseTags(this.tags.value);
    try {
      const saved = await this.api("PUT", `/api/v1/conversations/${this.conversation.id}/tags`, { tags });
      this.onChanged(saved);
      this.toast(this.t("tags.saved"));
    } catch (error) {
      this.toast(this.explain(error));
    }
  }

  async post(action, body) {
    if (!this.conversation) return;
    try {
      this.onChanged(await this.api("POST", `/api/v1/conversations/${this.conversation.id}/${action}`, body));
    } catch (error) {
      this.toast(this.explain(error));
    }
  }
}
