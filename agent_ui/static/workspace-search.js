// Search in the list pane: a client's conversations by name, phone (any spelling), e-mail or
// request number, and messages by their words. A found message opens its conversation
// scrolled to it and marked; Esc or «Back to the list» returns to the views.

import { ApiError } from "./okno-api.js";
import { clear, el, formatTime } from "./okno-dom.js";

const MIN_CHARS = 2;

export class SearchPanel {
  constructor({ api, t, locale, toast, explain, open }) {
    Object.assign(this, { api, t, locale, toast, explain, open });
    this.pane = document.querySelector(".list-pane");
    this.form = document.getElementById("search-form");
    this.box = document.getElementById("search-box");
    this.results = document.getElementById("search-results");
    this.clients = document.getElementById("search-conversations");
    this.messages = document.getElementById("search-messages");
    this.more = document.getElementById("search-more");
    this.moreConversations = document.getElementById("search-more-conversations");
    this.empty = document.getElementById("search-empty");
    this.request = 0;
    this.cursor = null;
    this.conversationsNext = null;
    this.timer = null;
    this.form.addEventListener("submit", (event) => { event.preventDefault(); this.search(); });
    this.box.addEventListener("input", () => {
      clearTimeout(this.timer);
      if (!this.box.value.trim()) { this.close(); return; }
      this.timer = setTimeout(() => this.search(), 300);
    });
    this.box.addEventListener("keydown", (event) => {
      if (event.key !== "Escape") return;
      event.stopPropagation();
      this.box.value = "";
      this.close();
    });
    document.getElementById("search-close").addEventListener("click", () => {
      this.box.value = "";
      this.close();
    });
    this.more.addEventListener("click", () => this.search(this.cursor));
    this.moreConversations.addEventListener("click", () => this.moreOfConversations());
  }

  close() {
    this.request += 1;
    this.pane.classList.remove("searching");
    this.results.hidden = true;
  }

  async search(cursor = null) {
    const q = this.box.value.trim();
    if (q.length < MIN_CHARS && !/^\d$/.test(q)) return;
    const request = ++this.request;
    const params = new URLSearchParams({ q });
    if (cursor) params.set("cursor", cursor);
    try {
      const found = await this.api("GET", "/api/v1/search?" + params);
      if (request !== this.request) return;
      this.show(found, cursor !== null);
    } catch (error) {
      if (error instanceof ApiError && error.id === "invalid-input") return;
      this.toast(this.explain(error));
    }
  }

  // The next page of the clients' conversations, appended; the messages stay as they are.
  async moreOfConversations() {
    const q = this.box.value.trim();
    if (!this.conversationsNext) return;
    const request = ++this.request;
    const params = new URLSearchParams({ q, conversations_after: this.conversationsNext });
    try {
      const found = await this.api("GET", "/api/v1/search?" + params);
      if (request !== this.request) return;
      this.clients.append(...found.conversations.map((hit) => this.conversationItem(hit)));
      this.showMoreConversations(found.conversations_next);
    } catch (error) {
      this.toast(this.explain(error));
    }
  }

  showMoreConversations(next) {
    this.conversationsNext = next;
    this.moreConversations.hidden = !next;
  }

  show(found, appending) {
    this.pane.classList.add("searching");
    this.results.hidden = false;
    if (!appending) {
      clear(this.clients).append(...found.conversations.map((hit) => this.conversationItem(hit)));
      this.showMoreConversations(found.conversations_next);
      clear(this.messages);
    }
    this.messages.append(...found.messages.map((hit) => this.messageItem(hit)));
    this.cursor = found.next_cursor;
    this.more.hidden = !found.next_cursor;
    document.getElementById("search-clients-head").hidden = !this.clients.children.length;
    document.getElementById("search-messages-head").hidden = !this.messages.children.length;
    this.empty.hidden = Boolean(this.clients.children.length || this.messages.children.length);
  }

  conversationItem(hit) {
    const t = this.t;
    const why = hit.matched.map((reason) => t("search.matched." + reason)).join(", ");
    const status = hit.status === "closed" ? t("search.closed") : "";
    const button = el("button", { type: "button", class: "search-hit", dataset: { conversation: hit.conversation_id } },
      el("span", { class: "search-name" }, hit.contact_name || t("contact.noName")),
      el("span", { class: "search-meta" },
        [t("search.request", { number: hit.conversation_id }), hit.channel_title || hit.channel_kind, status, why]
          .filter(Boolean).join(" · ")));
    button.addEventListener("click", () => this.open(hit.conversation_id, null));
    return el("li", {}, button);
  }

  messageItem(hit) {
    const button = el("button", { type: "button", class: "search-hit", dataset: { message: hit.message_id } },
      el("span", { class: "search-name" }, hit.contact_name || this.t("contact.noName")),
      el("time", { class: "search-meta", datetime: hit.created_at }, formatTime(hit.created_at, this.locale)),
      el("span", { class: "search-snippet" }, hit.snippet));
    button.addEventListener("click", () => this.open(hit.conversation_id, hit.message_id));
    return el("li", {}, button);
  }
}
