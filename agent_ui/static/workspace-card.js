// The client card (who they are, where they came from) and their history across channels.

import { items } from "./okno-api.js";
import { clear, el, formatTime } from "./okno-dom.js";
import { callDetails, callOf } from "./workspace-call-item.js";

const SOURCE_FIELDS = ["page_url", "referrer", "utm_source", "utm_medium", "utm_campaign",
  "utm_content", "utm_term"];

export class CardView {
  constructor({ api, t, locale, explain, onDial }) {
    Object.assign(this, { api, t, locale, explain, onDial });
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
    const phones = (contact.identities || []).filter((identity) => identity.kind === "phone");
    this.fill(n.identities, contact.identities, (identity) =>
      el("li", { class: "identity", dataset: { kind: identity.kind } },
        el("span", { class: "label" }, t("identity." + identity.kind)),
        el("span", { class: "value" }, identity.value),
        identity.kind === "phone" ? this.dialButton(contact.id, identity.value, identity === phones[0]) : null));
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

  // Click-to-call: the contact's first phone by contact_id, any other by its number.
  dialButton(contactId, number, first) {
    if (!this.onDial) return null;
    const label = this.t("call.dial", { number });
    const button = el("button", { type: "button", class: "dial", title: label, "aria-label": label }, "\u260E");
    button.addEventListener("click", () => {
      if (!this.dialStatus) {
        this.dialStatus = el("p", { class: "dial-status", role: "status", hidden: true });
        this.nodes.identities.after(this.dialStatus);
      }
      this.onDial(first ? { contact_id: contactId } : { number }, this.dialStatus);
    });
    return button;
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
          callOf(message) ? callDetails(callOf(message), this.t)
            : el("div", { class: "msg-text" }, message.text || "")));
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
          el("div", { class: "msg-text" }, this.reasonText(decision))));
    } catch (error) {
      list.append(el("li", { class: "none" }, this.explain(error)));
    }
  }

  // The reason's steps in the page's language; the English sentence for old decisions.
  reasonText(decision) {
    if (!decision.reason_parts) return decision.reason;
    return decision.reason_parts.map((part) => this.t("reason." + part.code, part.params)).join(", ");
  }
}
