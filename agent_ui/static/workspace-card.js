// The workspace's card pane: the client card (drawn by client-card.js), their history across
// channels and the routing of the open conversation.

import { items } from "./okno-api.js";
import { clear, el, formatTime } from "./okno-dom.js";
import { renderCard } from "./client-card.js";
import { decideSuggestion, suggestionsNode } from "./identity-suggestions.js";
import { callDetails, callOf } from "./workspace-call-item.js";
import { foldDecisions, offeredTimes, reasonText } from "./workspace-routing.js";

const SECTIONS = ["identities", "introduced", "organisations", "deals", "leads"];

export class CardView {
  constructor({ api, t, locale, explain, onDial }) {
    Object.assign(this, { api, t, locale, explain, onDial });
    this.contactId = null;
    this.root = document.getElementById("card");
    this.placeholder = document.getElementById("card-empty");
    this.body = document.getElementById("card-body");
    this.nodes = {
      history: document.getElementById("card-history"),
      routing: document.getElementById("card-routing"),
    };
  }

  show(contact) {
    this.contactId = contact.id;
    this.dialStatus = null;
    this.placeholder.hidden = true;
    this.root.hidden = false;
    const [head, ...rest] = renderCard(contact, {
      t: this.t, locale: this.locale, sections: SECTIONS, level: 2, idPrefix: "card",
      dialButton: (identity, first) => this.dialButton(contact.id, identity.value, first),
      addPerson: (item, organisation, row) => this.addPerson(item, organisation, row),
    });
    // Proposed addresses right under the name: deciding is one click while the mail is open.
    const proposed = suggestionsNode(contact, {
      t: this.t, explain: this.explain,
      decide: async (suggestion, decision) => this.show(await decideSuggestion(this.api, suggestion, decision)),
    });
    clear(this.body).append(head, ...(proposed ? [proposed] : []), ...rest, el("p", { class: "card-open" }, el("a", { id: "card-open", href: "/clients/contacts/" + contact.id,
      target: "_blank", rel: "noopener" }, this.t("card.openFull"))));
    this.loadHistory(contact.id);
  }

  // «Добавить как контактное лицо»: a contact with the typed name in the client's
  // organisation (POST /api/v1/contacts, the registry's own use case); the row then links it.
  async addPerson(item, organisation, row) {
    const button = row.querySelector("button.add-person");
    if (button) button.disabled = true;
    try {
      const person = await this.api("POST", "/api/v1/contacts",
        { name: item.name, organisations: [{ id: organisation.id }] });
      if (button) button.replaceWith(el("a", { class: "label person-added",
        href: "/clients/contacts/" + encodeURIComponent(person.id) }, this.t("card.personAdded")));
    } catch (error) {
      if (button) button.disabled = false;
      row.append(el("span", { class: "label error" }, this.explain(error)));
    }
  }

  // Click-to-call: the contact's first phone by contact_id, any other by its number.
  dialButton(contactId, number, first) {
    if (!this.onDial) return null;
    const label = this.t("call.dial", { number });
    const button = el("button", { type: "button", class: "dial", title: label, "aria-label": label }, "\u260E");
    button.addEventListener("click", () => {
      if (!this.dialStatus) {
        this.dialStatus = el("p", { class: "dial-status", role: "status", hidden: true });
        button.closest("ul").after(this.dialStatus);
      }
      this.onDial(first ? { contact_id: contactId } : { number }, this.dialStatus);
    });
    return button;
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

  // Every routing step with its reason ("least-busy among 3", "not accepted within 45 s,
  // moved from …"), so an operator or supervisor sees why the conversation is where it is.
  // Repeated re-offers fold into one line with a count (workspace-routing.js).
  async loadRouting(conversationId) {
    const list = this.nodes.routing;
    clear(list);
    try {
      const page = await this.api("GET", `/api/v1/conversations/${conversationId}/routing`);
      this.fill(list, foldDecisions(items(page)), ({ decision, count }) =>
        el("li", { class: "history-item routing-" + decision.kind + (count > 1 ? " routing-folded" : "") },
          el("div", { class: "msg-meta" },
            el("time", { datetime: decision.created_at }, formatTime(decision.created_at, this.locale)),
            decision.to_user ? el("span", { class: "value" }, " → " + decision.to_user.name) : null),
          count > 1 ? el("div", { class: "fold-count" }, offeredTimes(count, this.t, this.locale)) : null,
          el("div", { class: "msg-text" }, reasonText(decision, this.t))));
    } catch (error) {
      list.append(el("li", { class: "none" }, this.explain(error)));
    }
  }
}
