// «Клиенты»: contacts and organisations in two tabs, with search (the API reads `q` as a
// name, a phone in any spelling, an e-mail or an INN), filters, sortable columns, custom
// field columns and paging by cursor. Typing is debounced and a newer request aborts the
// older one, so the table only ever shows the answer to what is in the boxes now.

import { clear, el } from "./okno-dom.js";
import {
  arrowTabs, config, customDisplay, customFields, debounce, emailsOf, explain, fieldMessage, formatDate, getJson, isAbort,
  managerOptions, phonesOf, startLive, t,
} from "./clients-common.js";
import { bindExport } from "./registry-export.js";

const PAGE_SIZE = 50;
const SOURCES = ["webform", "widget", "telegram", "vk", "email", "phone", "exhibition", "referral", "cold_call",
  "import", "manual"];
const ENDPOINT = { contacts: "/api/v1/contacts", organisations: "/api/v1/organisations" };
const ENTITY = { contacts: "contact", organisations: "organisation" };
const CARD_PATH = { contacts: "/clients/contacts/", organisations: "/clients/organisations/" };
// Sortable columns and the order a first click gives.
const SORTS = {
  contacts: { name: "asc", created_at: "desc", next_contact_at: "asc" },
  organisations: { name: "asc", created_at: "desc" },
};

const node = (id) => document.getElementById(id);
const form = node("clients-filters");
const search = node("clients-search");
const statusSelect = node("f-status");
const responsibleSelect = node("f-responsible");
const orgInput = node("f-organisation");
const orgList = node("f-organisation-list");
const sourceSelect = node("f-source");
const createdFrom = node("f-created-from");
const createdTo = node("f-created-to");
const customBox = node("f-custom");
const headRow = node("clients-head-row");
const rowsNode = node("clients-rows");
const table = node("clients-table");
const emptyNode = node("clients-empty");
const moreButton = node("clients-more");
const errorNode = node("clients-error");

const state = {
  tab: config.tab === "organisations" ? "organisations" : "contacts",
  sort: null,
  order: null,
  organisationId: null,
  cursor: null,
  fields: { contact: null, organisation: null },
  custom: new Map(), // key -> control of the custom filter
};
let controller = null;
let sequence = 0;

// ---- filters -------------------------------------------------------------------------

function fillStaticFilters() {
  managerOptions(responsibleSelect, null, t("clients.anyone"));
  sourceSelect.append(el("option", { value: "" }, t("clients.anySource")),
    ...SOURCES.map((source) => el("option", { value: source }, t("clients.source." + source))));
}

function customFilterControl(field) {
  let control;
  if (field.kind === "list" || field.kind === "multilist") {
    control = el("select", { name: "cf." + field.key },
      el("option", { value: "" }, t("clients.any")),
      ...(field.options || []).map((option) => el("option", { value: option }, option)));
  } else if (field.kind === "flag") {
    control = el("select", { name: "cf." + field.key },
      el("option", { value: "" }, t("clients.any")),
      el("option", { value: "true" }, t("clients.yes")),
      el("option", { value: "false" }, t("clients.no")));
  } else {
    control = el("input", { name: "cf." + field.key, type: field.kind === "date" ? "date" : "text",
      maxlength: 200, inputmode: field.kind === "number" || field.kind === "money" ? "decimal" : null });
  }
  control.addEventListener(control.tagName === "SELECT" || field.kind === "date" ? "change" : "input",
    control.tagName === "SELECT" || field.kind === "date" ? () => reload() : typed);
  return control;
}

function buildCustomFilters(fields, restore) {
  clear(customBox);
  state.custom.clear();
  for (const field of fields) {
    const control = customFilterControl(field);
    const value = restore.get("cf." + field.key);
    if (value) control.value = value;
    state.custom.set(field.key, control);
    customBox.append(el("label", { class: "filter", dataset: { key: field.key } },
      el("span", { class: "filter-label" }, field.label), control));
  }
}

function showTabFilters() {
  for (const holder of form.querySelectorAll("[data-for]")) holder.hidden = holder.dataset.for !== state.tab;
  for (const tab of document.querySelectorAll("[role=tab][data-tab]")) {
    tab.setAttribute("aria-selected", String(tab.dataset.tab === state.tab));
  }
  search.placeholder = state.tab === "contacts" ? t("clients.searchContacts") : t("clients.searchOrganisations");
}

// The query of the current boxes: what the API is asked and what the address bar keeps.
function params() {
  const query = new URLSearchParams();
  const add = (name, value) => { if (value !== "" && value !== null && value !== undefined) query.set(name, value); };
  add("q", search.value.trim());
  add("responsible_id", responsibleSelect.value);
  if (state.tab === "contacts") {
    add("created_from", createdFrom.value);
    add("created_to", createdTo.value);
    add("status", statusSelect.value);
    add("organisation_id", state.organisationId);
    add("source", sourceSelect.value);
  }
  for (const [key, control] of state.custom) add("cf." + key, control.value.trim());
  add("sort", state.sort);
  add("order", state.sort ? state.order : null);
  return query;
}

const refreshExport = bindExport(node("clients-export"), () => ({ path: ENDPOINT[state.tab], query: params() }));

function rememberInAddress() {
  refreshExport();
  const importLink = node("clients-import");
  if (importLink) importLink.href = "/import?entity=" + ENTITY[state.tab];
  const query = params();
  if (state.tab === "organisations") query.set("tab", "organisations");
  const text = query.toString();
  history.replaceState(null, "", "/clients" + (text ? "?" + text : ""));
}

// ---- the table -----------------------------------------------------------------------

function columns() {
  const fields = state.fields[ENTITY[state.tab]] || [];
  const base = state.tab === "contacts"
    ? [
      { key: "name", label: t("clients.col.name"), sort: "name", cell: nameCell },
      { key: "status", label: t("clients.col.status"), cell: (r) => el("span", { class: "badge", dataset: { status: r.status } }, t("contact.status." + r.status)) },
      { key: "phones", label: t("clients.col.phones"), cell: (r) => listCell(phonesOf(r)) },
      { key: "emails", label: t("clients.col.emails"), cell: (r) => listCell(emailsOf(r)) },
      { key: "organisations", label: t("clients.col.organisations"), cell: orgCell },
      { key: "responsible", label: t("clients.col.responsible"), cell: (r) => (r.responsible ? r.responsible.name : "") },
      { key: "source", label: t("clients.col.source"), cell: (r) => sourceName(r.source) },
      { key: "next_contact_at", label: t("clients.col.nextContact"), sort: "next_contact_at", cell: (r) => dateCell(r.next_contact_at, true) },
      { key: "created_at", label: t("clients.col.created"), sort: "created_at", cell: (r) => dateCell(r.created_at) },
    ]
    : [
      { key: "name", label: t("clients.col.name"), sort: "name", cell: nameCell },
      { key: "inn", label: t("clients.col.inn"), cell: (r) => r.inn || "" },
      { key: "kpp", label: t("clients.col.kpp"), cell: (r) => r.kpp || "" },
      { key: "phones", label: t("clients.col.phones"), cell: (r) => listCell(phonesOf(r)) },
      { key: "emails", label: t("clients.col.emails"), cell: (r) => listCell(emailsOf(r)) },
      { key: "contacts_count", label: t("clients.col.contactsCount"), cell: (r) => String(r.contacts_count ?? "") },
      { key: "open_deals_count", label: t("clients.col.openDeals"), cell: (r) => String(r.open_deals_count ?? "") },
      { key: "responsible", label: t("clients.col.responsible"), cell: (r) => (r.responsible ? r.responsible.name : "") },
      { key: "created_at", label: t("clients.col.created"), sort: "created_at", cell: (r) => dateCell(r.created_at) },
    ];
  return base.concat(fields.map((field) => ({
    key: "cf." + field.key, label: field.label, custom: true,
    cell: (r) => customDisplay(field, (r.custom_fields || {})[field.key]),
  })));
}

function nameCell(row) {
  return el("a", { class: "row-name", href: CARD_PATH[state.tab] + row.id },
    row.name || t("contact.noName"));
}

function listCell(values) {
  return el("div", { class: "cell-list" }, ...values.map((v) =>
    el("span", { class: v.unparsed ? "unparsed" : null, title: v.unparsed ? t("clients.unparsedPhone") : null }, v.value)));
}

function orgCell(row) {
  return el("div", { class: "cell-list" }, ...(row.organisations || []).map((org) => {
    const link = el("a", { href: "/clients/organisations/" + org.id }, org.name);
    return el("span", {}, link, org.position ? el("span", { class: "sub" }, " · " + org.position) : null);
  }));
}

function dateCell(iso, withTime = false) {
  return iso ? el("time", { datetime: iso }, formatDate(iso, config.locale, withTime)) : "";
}

function sourceName(source) {
  if (!source) return "";
  const key = "clients.source." + source;
  const known = t(key);
  return known === key ? source : known;
}

function renderHead() {
  clear(headRow);
  for (const column of columns()) {
    const th = el("th", { scope: "col", dataset: { col: column.key }, class: column.custom ? "custom" : null });
    if (column.sort) {
      const active = state.sort === column.sort;
      th.setAttribute("aria-sort", active ? (state.order === "asc" ? "ascending" : "descending") : "none");
      const button = el("button", { type: "button", class: "sort", dataset: { sort: column.sort } }, column.label,
        el("span", { class: "sort-mark", "aria-hidden": "true" }, active ? (state.order === "asc" ? " ▲" : " ▼") : ""));
      button.addEventListener("click", () => sortBy(column.sort));
      th.append(button);
    } else {
      th.textContent = column.label;
    }
    headRow.append(th);
  }
}

function renderRow(row) {
  const tr = el("tr", { dataset: { id: row.id } });
  for (const column of columns()) {
    tr.append(el("td", { dataset: { col: column.key } }, column.cell(row)));
  }
  return tr;
}

function sortBy(column) {
  if (state.sort === column) state.order = state.order === "asc" ? "desc" : "asc";
  else { state.sort = column; state.order = SORTS[state.tab][column]; }
  reload();
}

// ---- loading -------------------------------------------------------------------------

async function load(append) {
  if (controller) controller.abort();
  controller = new AbortController();
  const mine = (sequence += 1);
  const query = params();
  query.set("limit", String(PAGE_SIZE));
  if (append && state.cursor) query.set("cursor", state.cursor);
  if (!append) rememberInAddress();
  table.setAttribute("aria-busy", "true");
  errorNode.hidden = true;
  moreButton.disabled = true;
  try {
    const page = await getJson(ENDPOINT[state.tab] + "?" + query.toString(), controller.signal);
    if (mine !== sequence) return;
    if (!append) { renderHead(); clear(rowsNode); }
    rowsNode.append(...(page.items || []).map(renderRow));
    state.cursor = page.next_cursor || null;
    moreButton.hidden = !state.cursor;
    emptyNode.hidden = rowsNode.childElementCount > 0;
  } catch (error) {
    if (isAbort(error) || mine !== sequence) return;
    if (!append) { renderHead(); clear(rowsNode); emptyNode.hidden = true; moreButton.hidden = true; }
    errorNode.textContent = filterProblems(error) || explain(error);
    errorNode.hidden = false;
  } finally {
    if (mine === sequence) {
      table.setAttribute("aria-busy", "false");
      moreButton.disabled = false;
    }
  }
}

// A refused filter ("Сотрудников: Нужно число."), named by its label.
function filterProblems(error) {
  const details = error && Array.isArray(error.details) ? error.details : [];
  const fields = state.fields[ENTITY[state.tab]] || [];
  return details.map((detail) => {
    const key = String(detail.field || "").replace(/^cf\./, "");
    const field = fields.find((f) => f.key === key);
    return (field ? field.label + ": " : "") + fieldMessage(detail);
  }).join(" ");
}

function reload() {
  state.cursor = null;
  return load(false);
}

const typed = debounce(() => reload(), 300);

async function switchTab(tab, restore = new URLSearchParams()) {
  state.tab = tab;
  state.sort = restore.get("sort") && SORTS[tab][restore.get("sort")] ? restore.get("sort") : null;
  state.order = state.sort ? (restore.get("order") === "asc" ? "asc" : "desc") : null;
  showTabFilters();
  const entity = ENTITY[tab];
  if (state.fields[entity] === null) state.fields[entity] = await customFields(entity);
  buildCustomFilters(state.fields[entity], restore);
  await reload();
}

// ---- the organisation filter: a name typed, one of the suggestions chosen ------------

const suggestions = new Map(); // name -> id
const suggest = debounce(async () => {
  const text = orgInput.value.trim();
  if (!text) return;
  try {
    const page = await getJson("/api/v1/organisations?limit=10&q=" + encodeURIComponent(text));
    suggestions.clear();
    clear(orgList);
    for (const org of page.items || []) {
      suggestions.set(org.name, org.id);
      orgList.append(el("option", { value: org.name }, org.inn || ""));
    }
    // The whole name typed (or pasted) before the suggestions came: that organisation.
    const id = suggestions.get(orgInput.value);
    if (id !== undefined && id !== state.organisationId) {
      state.organisationId = id;
      reload();
    }
  } catch (error) {
    // Suggestions are a help; the filter works without them.
  }
}, 250);

orgInput.addEventListener("input", () => {
  const id = suggestions.get(orgInput.value);
  if (id !== undefined) {
    state.organisationId = id;
    reload();
  } else if (!orgInput.value.trim() && state.organisationId !== null) {
    state.organisationId = null;
    reload();
  } else {
    suggest();
  }
});

// ---- live: rows on the page follow edits made elsewhere -------------------------------

async function refreshRow(tab, id) {
  if (tab !== state.tab) return;
  const tr = rowsNode.querySelector(`tr[data-id="${CSS.escape(String(id))}"]`);
  if (!tr) return;
  try {
    const record = await getJson(ENDPOINT[tab] + "/" + id);
    if (tab === state.tab && tr.isConnected) tr.replaceWith(renderRow(record));
  } catch (error) {
    if (tr.isConnected) tr.remove(); // out of sight now (merged, or no longer visible)
  }
}

function onEvent(event) {
  const p = event.payload || {};
  if (event.kind === "contact.changed") refreshRow("contacts", p.contact_id);
  else if (event.kind === "organisation.changed") refreshRow("organisations", p.organisation_id);
}

// ---- wiring --------------------------------------------------------------------------

search.addEventListener("input", typed);
search.addEventListener("keydown", (event) => {
  if (event.key === "Enter") { event.preventDefault(); reload(); }
});
for (const select of [statusSelect, responsibleSelect, sourceSelect, createdFrom, createdTo]) {
  select.addEventListener("change", () => reload());
}
form.addEventListener("submit", (event) => { event.preventDefault(); reload(); });
form.addEventListener("reset", () => {
  setTimeout(() => {
    state.organisationId = null;
    for (const control of state.custom.values()) control.value = "";
    reload();
  }, 0);
});
moreButton.addEventListener("click", () => load(true));
for (const tab of document.querySelectorAll("[role=tab][data-tab]")) {
  tab.addEventListener("click", () => { if (tab.dataset.tab !== state.tab) switchTab(tab.dataset.tab); });
}

async function start() {
  arrowTabs(document.querySelector(".clients-head [role=tablist]"));
  fillStaticFilters();
  const restore = new URLSearchParams(location.search);
  search.value = restore.get("q") || "";
  statusSelect.value = restore.get("status") || "";
  responsibleSelect.value = restore.get("responsible_id") || "";
  sourceSelect.value = restore.get("source") || "";
  createdFrom.value = restore.get("created_from") || "";
  createdTo.value = restore.get("created_to") || "";
  const orgId = Number(restore.get("organisation_id"));
  if (orgId) {
    state.organisationId = orgId;
    getJson("/api/v1/organisations/" + orgId).then((org) => { orgInput.value = org.name; }).catch(() => {});
  }
  startLive(onEvent, () => reload());
  await switchTab(state.tab, restore);
}

start();
