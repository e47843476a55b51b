// The list's views: Мои, Очередь, Команда, Все (supervisors), Закрытые, Отложенные, and the
// channel, tag and period filters (the tabs' counts follow all three). Мои, Очередь and Все are drawn
// from the live set of open conversations; Команда, Закрытые and Отложенные hold conversations the live set does not (other people's, closed ones), so
// they are fetched with ?view= and fetched again (debounced) when something changes.
// The counts on the tabs come from one grouped query (GET /api/v1/workspace/counts).

import { items } from "./okno-api.js";

const LIVE = new Set(["mine", "queue", "all"]);
const REFRESH_MS = 700;

export class Views {
  constructor({ api, me, supervisor, onChange, onError }) {
    Object.assign(this, { api, me, supervisor, onChange, onError });
    this.tab = "mine";
    this.channel = "";
    this.tag = ""; // a tag's name: only conversations carrying it
    this.period = ""; // "", "today", "week", "month": last activity within it
    this.fetched = []; // the fetched view's conversations, newest first
    this.fetchedFor = null;
    this.counts = {};
    this.timer = null;
  }

  isLive(tab = this.tab) {
    return LIVE.has(tab);
  }

  // Whether a live (open) conversation belongs to a live tab, under the channel filter.
  holds(conversation, tab = this.tab) {
    if (this.channel && conversation.channel.kind !== this.channel) return false;
    if (this.tag && !(conversation.tags || []).some((tag) => tag.toLowerCase() === this.tag.toLowerCase())) return false;
    const since = this.since();
    if (since && (conversation.last_message_at || "") < since) return false;
    if (conversation.status !== "open") return false;
    // A snoozed one waits in «Отложенные» (a fetched view) until it wakes.
    if (tab === "mine") return Boolean(conversation.assignee && conversation.assignee.id === this.me.id && !conversation.snoozed);
    if (tab === "queue") return !conversation.assignee;
    return tab === "all" && this.supervisor;
  }

  select(tab) {
    this.tab = tab;
    this.refresh(0);
  }

  setChannel(kind) {
    this.channel = kind;
    this.refresh(0);
  }

  // The period's start as an ISO instant (today: since local midnight), or "".
  since(now = new Date()) {
    if (!this.period) return "";
    const start = new Date(now);
    if (this.period === "today") start.setHours(0, 0, 0, 0);
    else start.setDate(start.getDate() - (this.period === "week" ? 7 : 30));
    return start.toISOString();
  }

  setPeriod(period) {
    this.period = period;
    this.refresh(0);
  }

  setTag(name) {
    this.tag = name;
    this.refresh(0);
  }

  // Something changed: counts (and a fetched view) are read again shortly, once for a burst.
  refresh(delay = REFRESH_MS) {
    clearTimeout(this.timer);
    // Counts of other filters would show until the new ones come: the live tabs count
    // themselves meanwhile (renderList), the fetched ones wait.
    if (this.countsFor !== this.filterKey()) this.counts = {};
    this.countsFor = this.filterKey();
    if (!this.isLive() && this.fetchedFor !== this.key()) this.fetched = [];
    this.timer = setTimeout(() => this.load().catch(this.onError), delay);
    this.onChange();
  }

  key() {
    return [this.tab, this.channel, this.tag, this.period].join("|");
  }

  async load() {
    const channel = this.channel ? "&channel=" + encodeURIComponent(this.channel) : "";
    const tag = this.tag ? "&tag=" + encodeURIComponent(this.tag) : "";
    const since = this.period ? "&since=" + encodeURIComponent(this.since()) : "";
    const filters = channel + tag + since;
    const wanted = this.key();
    if (!this.isLive()) {
      const page = await this.api("GET", `/api/v1/conversations?view=${this.tab}&limit=200${filters}`);
      if (this.key() === wanted) {
        this.fetched = items(page);
        this.fetchedFor = wanted;
      }
    }
    const counts = await this.api("GET", "/api/v1/workspace/counts?" + filters.slice(1));
    // A filter changed meanwhile: its own load brings its counts.
    if (this.filterKey(wanted) !== this.filterKey()) return;
    this.counts = counts;
    this.onChange();
  }

  // The filters part of a key (the tab aside): counts do not depend on the tab shown.
  filterKey(key = this.key()) {
    return key.split("|").slice(1).join("|");
  }

  // The fetched view's copy of a conversation follows the live one at once.
  update(conversation) {
    const at = this.fetched.findIndex((c) => c.id === conversation.id);
    if (at >= 0) this.fetched[at] = conversation;
  }
}
