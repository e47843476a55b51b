// The client card (who they are, where they came from) and their history across channels.

import { items } from "./okno-api.js";
import { clear, el, formatTime } from "./okno-dom.js";

const SOURCE_FIELDS = ["page_url", "referrer", "utm_source", "utm_medium", "utm_campaign",
  "utm_content", "utm_term"];

export class CardView {
  constructor({ api, t, locale, explain }) {
    Object.assign(this, { api, t, locale, explain });
    this.contactId = null;
    this.root = document.getElementById("card");
    this.placeholder = document.getElementById("card-empty");
    this.nodes = {
      name: document.getElementById("card-name"),
      status: document.getElementById("card-status"),
      identities: document.getElementById("card-identities"),
      organisations: document.getElementById("card-organisations"),
      deals: document.getElementById("card-deals"),
      leads: document.getElementById("card-leads"),
      history: document.getElementById("card-history"),
      routing: document.getElementById("card-routing"),
    };
  }

  show(contact) {
    const t = this.t;
    const n = this.nodes;
    this.contactId = contact.id;
    this.placeholder.hidden = true;
    this.root.hidden = false;
    n.name.textContent = contact.name || t("contact.noName");
    n.status.textContent = t("contact.status." + contact.status);
    n.status.dataset.status = contact.status;
    this.fill(n.identities, contact.identities, (identity) =>
      el("li", { class: "identity", dataset: { kind: identity.kind } },
        el("span", { class: "label" }, t("identity." + identity.kind)),
        el("span", { class: "value" }, identity.value)));
    this.fill(n.organisations, contact.organisations, (org) =>
      el("li", {}, el("span", { class: "value" }, org.name),
        org.position ? el("span", { class: "label" }, org.position) : null,
        org.inn ? el("span", { class: "label" }, t("card.inn", { inn: org.inn })) : null));
    this.fill(n.deals, contact.open_deals, (deal) =>
      el("li", {}, el("span", { class: "value" }, deal.title),
        el("span", { class: "label" }, this.money(deal.amount, deal.currency)
          + " · " + (deal.stage ? deal.stage.name : ""))));
    this.fill(n.leads, contact.leads, (lead) => this.leadNode(lead));
    this.loadHistory(contact.id);
  }

  money(amount, currency) {
    try {
      return new Intl.NumberFormat(this.locale, { style: "currency", currency, maximumFractionDigits: 0 })
        .format(Number(amount));
    } catch (error) {
      return String(amount) + " " + currency;
    }
  }

  leadNode(lead) {
    const t = this.t;
    const detail = lead.source_detail || {};
    const rows = SOURCE_FIELDS.filter((key) => detail[key]).map((key) =>
      el("div", { class: "source-row" }, el("dt", {}, t("source." + key)), el("dd", {}, String(detail[key]))));
    return el("li", { class: "lead" },
      el("div", { class: "lead-head" },
        el("span", { class: "value" }, t("card.leadFrom", { source: this.sourceName(lead.source) })),
        el("time", { datetime: lead.created_at }, formatTime(lead.created_at, this.locale))),
      rows.length ? el("dl", { class: "source" }, rows) : null);
  }

  sourceName(source) {
    const key = "channelKind." + source;
    const name = this.t(key);
    return name === key ? source || "?" : name;
  }

  fill(list, values, render) {
    clear(list);
    const rows = values || [];
    if (!rows.length) list.append(el("li", { class: "none" }, this.t("card.none")));
    else list.append(...rows.map(render));
  }

  async loadHistory(contactId) {
    const list = this.nodes.history;
    clear(list);
    try {
      const page = await this.api("GET", `/api/v1/contacts/${contactId}/history?limit=30`);
      if (this.contactId !== contactId) return;
      this.fill(list, items(page), (message) =>
        el("li", { class: "history-item msg-" + message.direction },
          el("div", { class: "msg-meta" },
            el("span", { class: "channel-badge", dataset: { kind: message.channel.kind } },
              message.channel.title || message.channel.kind),
            el("time", { datetime: message.created_at }, formatTime(message.created_at, this.locale))),
          el("div", { class: "msg-text" }, message.text || "")));
    } catch (error) {
      list.append(el("li", { class: "none" }, this.explain(error)));
    }
  }

  // Every routing step with its reason ("least-busy among 3", "timeout after 45 s, moved
  // from …"), so an operator or supervisor sees why the conversation is where it is.
  async loadRouting(conversationId) {
    const list = this.nodes.routing;
    clear(list);
    try {
      const page = await this.api("GET", `/api/v1/conversations/${conversationId}/routing`);
      this.fill(list, items(page), (decision) =>
        el("li", { class: "history-item routing-" + decision.kind },
          el("div", { class: "msg-meta" },
            el("time", { datetime: decision.created_at }, formatTime(decision.created_at, this.locale)),
            decision.to_user ? el("span", { class: "value" }, " → " + decision.to_user.name) : null),
          el("div", { class: "msg-text" }, decision.reason)));
    } catch (error) {
      list.append(el("li", { class: "none" }, this.explain(error)));
    }
  }
}
