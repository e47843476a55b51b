// The client card: the one renderer of the one card shape (hub/queries/card.py). The
// workspace's card pane and the screen-pop both show a card through it, each choosing which
// sections it shows. Every value reaches the page as text (el), never as markup.

import { el, formatTime } from "./okno-dom.js";

const SOURCE_FIELDS = ["page_url", "referrer", "utm_source", "utm_medium", "utm_campaign",
  "utm_content", "utm_term"];

function money(amount, currency, locale) {
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency, maximumFractionDigits: 0 })
      .format(Number(amount));
  } catch (error) {
    return String(amount) + " " + currency;
  }
}

// The card as a list of nodes to append to a container.
//   sections: which of identities, organisations, deals, leads, lastContacts to show, in order;
//   level: the heading level of the client's name (sections are one below);
//   idPrefix: gives the nodes ids ("card" -> #card-name, #card-identities, ...), for the one
//     card of a page; cards that may stand several on a page (screen-pops) go without;
//   hideEmpty: leave out empty sections rather than saying "none";
//   dialButton(identity, firstPhone): a click-to-call control beside a phone, or null.
export function renderCard(card, { t, locale, sections, level = 2, idPrefix = null,
  hideEmpty = false, dialButton = null }) {
  const id = (name) => (idPrefix ? idPrefix + "-" + name : null);
  const fill = (name, title, values, render) => {
    const rows = values || [];
    if (!rows.length && hideEmpty) return null;
    const list = el("ul", { class: "facts card-" + name, id: id(name) },
      rows.length ? rows.map(render) : el("li", { class: "none" }, t("card.none")));
    return el("section", {}, el("h" + (level + 1), {}, title), list);
  };
  const phones = (card.identities || []).filter((identity) => identity.kind === "phone");
  const render = {
    identities: () => fill("identities", t("card.identities"), card.identities, (identity) =>
      el("li", { class: "identity", dataset: { kind: identity.kind } },
        el("span", { class: "label" }, t("identity." + identity.kind)),
        el("span", { class: "value" }, identity.value),
        identity.kind === "phone" && dialButton ? dialButton(identity, identity === phones[0]) : null)),
    organisations: () => fill("organisations", t("card.organisations"), card.organisations, (org) =>
      el("li", {}, el("span", { class: "value" }, org.name),
        org.position ? el("span", { class: "label" }, org.position) : null,
        org.inn ? el("span", { class: "label" }, t("card.inn", { inn: org.inn })) : null)),
    deals: () => fill("deals", t("card.openDeals"), card.open_deals, (deal) =>
      el("li", {}, deal.id
        ? el("a", { class: "value deal-link", href: "/deals/" + encodeURIComponent(deal.id) }, deal.title)
        : el("span", { class: "value" }, deal.title),
        el("span", { class: "label" }, money(deal.amount, deal.currency, locale) + " · " + deal.stage.name))),
    leads: () => fill("leads", t("card.leads"), card.leads, (lead) => leadNode(lead, t, locale)),
    lastContacts: () => fill("last-contacts", t("card.lastContacts"), card.last_contacts, (item) =>
      el("li", {}, el("time", { class: "label", datetime: item.created_at }, formatTime(item.created_at, locale)),
        el("span", { class: "label" }, item.channel.title || item.channel.kind),
        el("span", { class: "value" }, item.text))),
  };
  return [
    el("header", { class: "card-head" },
      el("h" + level, { class: "card-name", id: id("name") }, card.name || t("contact.noName")),
      el("span", { class: "badge card-status", id: id("status"), dataset: { status: card.status } },
        t("contact.status." + card.status))),
    card.responsible
      ? el("p", { class: "card-responsible" }, t("card.responsible", { name: card.responsible.name }))
      : null,
    ...sections.map((name) => render[name]()),
  ].filter(Boolean);
}

function leadNode(lead, t, locale) {
  const detail = lead.source_detail || {};
  const rows = SOURCE_FIELDS.filter((key) => detail[key]).map((key) =>
    el("div", { class: "source-row" }, el("dt", {}, t("source." + key)), el("dd", {}, String(detail[key]))));
  return el("li", { class: "lead" },
    el("div", { class: "lead-head" },
      el("span", { class: "value" }, t("card.leadFrom", { source: sourceName(lead.source, t) })),
      el("time", { datetime: lead.created_at }, formatTime(lead.created_at, locale))),
    rows.length ? el("dl", { class: "source" }, rows) : null);
}

function sourceName(source, t) {
  const key = "channelKind." + source;
  const name = t(key);
  return name === key ? source || "?" : name;
}
