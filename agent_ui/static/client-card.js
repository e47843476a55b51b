// The client card: the one renderer of the one card shape (hub/queries/card.py). The
// workspace's card pane and the screen-pop both show a card through it, each choosing which
// sections it shows. Every value reaches the page as text (el), never as markup.

import { el, formatTime } from "./okno-dom.js";

const SOURCE_FIELDS = ["page_url", "referrer", "utm_source", "utm_medium", "utm_campaign",
  "utm_content", "utm_term", "ref", "ref_source"];

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
//   dialButton(identity, firstPhone): a click-to-call control beside a phone, or null;
//   addPerson(item, organisation, row): offers «add as a contact person» for a name typed in a
//     form request (introduced section); without it the name is shown only.
export function renderCard(card, { t, locale, sections, level = 2, idPrefix = null,
  hideEmpty = false, dialButton = null, addPerson = null }) {
  const id = (name) => (idPrefix ? idPrefix + "-" + name : null);
  const fill = (name, title, values, render) => {
    const rows = values || [];
    if (!rows.length && hideEmpty) return null;
    const list = el("ul", { class: "facts card-" + name, id: id(name) },
      rows.length ? rows.map(render) : el("li", { class: "none" }, t("card.none")));
    return el("section", {}, el("h" + (level + 1), {}, title), list);
  };
  const phones = (card.identities || []).filter((identity) => identity.kind === "phone");
  // Phones nobody could parse are no identities, but the operator must still read them.
  const unparsed = (card.phones || []).filter((phone) => phone.unparsed)
    .map((phone) => ({ kind: "phone", value: phone.raw, unparsed: true }));
  const render = {
    identities: () => fill("identities", t("card.identities"), [...(card.identities || []), ...unparsed], (identity) =>
      el("li", { class: "identity" + (identity.unparsed ? " unparsed" : ""), dataset: { kind: identity.kind } },
        el("span", { class: "label" }, t("identity." + identity.kind)),
        el("span", { class: "value" }, identity.value),
        identity.unparsed ? el("span", { class: "label unparsed-badge" }, t("card.unparsedPhone")) : null,
        identity.kind === "phone" && dialButton && !identity.unparsed
          ? dialButton(identity, identity === phones[0]) : null)),
    introduced: () => (card.introduced_as || []).length
      ? fill("introduced", t("card.introducedAs"), card.introduced_as,
        (item) => introducedNode(item, card, t, addPerson))
      : null,
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

// A name a visitor typed in a form request of this client (hub/queries/introduced.py):
// linked to the contact person who bears it, or offered as a new contact person of the
// client's organisation, as amoCRM and Bitrix24 keep several people under one company.
function introducedNode(item, card, t, addPerson) {
  const row = el("li", { class: "introduced" },
    el("span", { class: "value" }, t("message.introducedAs", { name: item.name })));
  const organisation = (card.organisations || [])[0];
  if (item.contact_person_id) {
    row.append(el("a", { class: "label", href: "/clients/contacts/" + encodeURIComponent(item.contact_person_id) },
      t("card.contactPerson")));
  } else if (addPerson && organisation) {
    const button = el("button", { type: "button", class: "add-person" },
      t("card.addContactPerson", { organisation: organisation.name }));
    button.addEventListener("click", () => addPerson(item, organisation, row));
    row.append(button);
  }
  return row;
}
