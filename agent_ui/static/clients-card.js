// A contact's or an organisation's card, editable in place, and the «new» forms.
//
// Saving sends only what changed, with the version the form started from: a stale version is
// a 409 and the page says «Карточку изменили, пока вы редактировали» instead of overwriting.
// Per-field 422s are shown next to their fields in the page's language (by error type);
// warnings (a phone or e-mail held by another contact, an INN of another organisation) link
// to that record. An edit made on another page arrives as `contact.changed` /
// `organisation.changed`: an untouched card refetches, a card being edited says so.

import { ApiError, items } from "./okno-api.js";
import { activitiesTab } from "./clients-activities.js";
import { decideSuggestion, suggestionsNode } from "./identity-suggestions.js";
import { clear, el } from "./okno-dom.js";
import {
  api, arrowTabs, config, customBaseline, customFields, customInput, emailsOf, explain, fieldMessage, formatDate,
  getJson, managerOptions, money, phonesOf, startLive, t, toast,
} from "./clients-common.js";

const ENTITY = config.entity === "organisation" ? "organisation" : "contact";
const PLURAL = ENTITY === "contact" ? "contacts" : "organisations";
const ENDPOINT = "/api/v1/" + PLURAL;
const node = (id) => document.getElementById(id);

const form = node("card-form");
const fieldsBox = node("card-fields");
const customSet = node("card-custom");
const customBox = node("card-custom-fields");
const title = node("card-title");
const statusBadge = node("card-status");
const savedNote = node("card-saved");
const saveButton = node("card-save");
const convertButton = node("card-convert");
const formError = node("card-form-error");
const banner = node("card-banner");
const bannerText = node("card-banner-text");
const warningsBox = node("card-warnings");

const state = {
  id: config.recordId || null,
  record: null,
  version: null,
  baseline: null,
  fields: [],
  saving: false,
  tab: null,
  pipelines: null,
};
const controls = new Map(); // name -> {read(), write(record)}

// ---- building blocks -----------------------------------------------------------------

function fieldBox(name, label, control, { wide = false, help = null } = {}) {
  const id = control.id || "card-" + name;
  control.id = id;
  return el("label", { class: "field" + (wide ? " wide" : ""), for: id, dataset: { field: name } },
    el("span", { class: "field-label" }, label), control,
    help ? el("span", { class: "field-help" }, help) : null,
    el("span", { class: "field-error", dataset: { errorFor: name } }));
}

function textField(name, label, attrs = {}, options = {}) {
  const input = el(attrs.multiline ? "textarea" : "input",
    { id: "card-" + name.replace(/_/g, "-"), name, maxlength: 300, ...attrs, multiline: null });
  controls.set(name, {
    // INN, KPP and OGRN are cleared with null, not an empty string.
    read: () => input.value.trim() || (options.nullable ? null : ""),
    write: (record) => { input.value = record[name] == null ? "" : String(record[name]); },
  });
  return fieldBox(name, label, input, options);
}

// Several phones or e-mails: a row each, added and removed; an unparsed phone keeps its raw
// text and offers «Исправить».
function multiField(name, label, inputAttrs, entriesOf) {
  const list = el("ul", { class: "multi", id: "card-" + name });
  const add = el("button", { type: "button", class: "kv-add", id: "card-" + name + "-add" }, t("rec.add." + name));
  const renumber = () => {
    [...list.children].forEach((li, index) => { li.querySelector(".field-error").dataset.errorFor = name + "." + index; });
  };
  const addRow = (item, focus) => {
    const input = el("input", { ...inputAttrs, "aria-label": label, maxlength: 320, dataset: { role: "value" } });
    input.value = item ? (item.unparsed ? item.raw : item.value) : "";
    const remove = el("button", { type: "button", class: "link-button remove", "aria-label": t("rec.remove", { value: input.value || label }) }, "✕");
    const li = el("li", { class: "multi-row" + (item && item.unparsed ? " unparsed" : "") },
      input,
      item && item.unparsed ? el("span", { class: "unparsed-badge" }, t("rec.unparsed")) : null,
      item && item.unparsed ? fixButton(input) : null,
      remove,
      el("span", { class: "field-error" }));
    remove.addEventListener("click", () => { li.remove(); renumber(); });
    list.append(li);
    renumber();
    if (focus) input.focus();
  };
  add.addEventListener("click", () => addRow(null, true));
  controls.set(name, {
    read: () => [...list.querySelectorAll("input[data-role=value]")].map((i) => i.value.trim()).filter(Boolean),
    write: (record) => { clear(list); for (const item of entriesOf(record)) addRow(item, false); },
  });
  return el("div", { class: "field", dataset: { field: name } },
    el("span", { class: "field-label" }, label), list, add,
    el("span", { class: "field-error", dataset: { errorFor: name } }));
}

function fixButton(input) {
  const button = el("button", { type: "button", class: "fix" }, t("rec.fix"));
  button.addEventListener("click", () => {
    input.focus();
    input.select();
    input.closest("li").classList.add("fixing");
  });
  return button;
}

function responsibleField() {
  const select = el("select", { id: "card-responsible", name: "responsible_id" });
  controls.set("responsible_id", {
    read: () => (select.value ? Number(select.value) : null),
    write: (record) => { clear(select); managerOptions(select, record.responsible || null, t("rec.nobody")); },
  });
  return fieldBox("responsible_id", t("rec.responsible.label"), select);
}

function nextContactField() {
  const input = el("input", { type: "datetime-local", id: "card-next-contact", name: "next_contact_at" });
  controls.set("next_contact_at", {
    read: () => (input.value ? new Date(input.value).toISOString() : null),
    write: (record) => { input.value = localInput(record.next_contact_at); },
  });
  return fieldBox("next_contact_at", t("rec.nextContact"), input);
}

function localInput(iso) {
  if (!iso) return "";
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return "";
  const pad = (n) => String(n).padStart(2, "0");
  return `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}T${pad(date.getHours())}:${pad(date.getMinutes())}`;
}

function statusField() {
  const select = el("select", { id: "card-status-choice", name: "status" },
    el("option", { value: "client" }, t("contact.status.client")),
    el("option", { value: "lead" }, t("contact.status.lead")));
  controls.set("status", {
    read: () => select.value,
    write: (record) => { select.value = record.status || "client"; },
  });
  return fieldBox("status", t("rec.status"), select);
}

// A contact's organisations, each with the position held there; added by name.
function organisationsField() {
  const list = el("ul", { class: "multi orgs", id: "card-organisations" });
  const input = el("input", { id: "card-organisation-add", list: "card-organisation-list", maxlength: 300,
    placeholder: t("rec.addOrganisation"), "aria-label": t("rec.addOrganisation") });
  const datalist = el("datalist", { id: "card-organisation-list" });
  const found = new Map();
  const renumber = () => {
    [...list.children].forEach((li, index) => { li.querySelector(".field-error").dataset.errorFor = "organisations." + index; });
  };
  const addRow = (org) => {
    if ([...list.children].some((li) => Number(li.dataset.id) === org.id)) return;
    const position = el("input", { class: "position", maxlength: 200, placeholder: t("rec.position"),
      "aria-label": t("rec.positionAt", { name: org.name }) });
    position.value = org.position || "";
    const remove = el("button", { type: "button", class: "link-button remove", "aria-label": t("rec.remove", { value: org.name }) }, "✕");
    const li = el("li", { class: "multi-row", dataset: { id: org.id } },
      el("a", { href: "/clients/organisations/" + org.id, class: "org-name" }, org.name), position, remove,
      el("span", { class: "field-error" }));
    remove.addEventListener("click", () => { li.remove(); renumber(); });
    list.append(li);
    renumber();
  };
  let timer = null;
  input.addEventListener("input", () => {
    const chosen = found.get(input.value);
    if (chosen) {
      addRow({ id: chosen.id, name: chosen.name, position: "" });
      input.value = "";
      return;
    }
    clearTimeout(timer);
    const text = input.value.trim();
    if (!text) return;
    timer = setTimeout(async () => {
      try {
        const page = await getJson("/api/v1/organisations?limit=10&q=" + encodeURIComponent(text));
        found.clear();
        clear(datalist);
        for (const org of page.items || []) {
          found.set(org.name, org);
          datalist.append(el("option", { value: org.name }, org.inn || ""));
        }
        const exact = found.get(input.value);
        if (exact) {
          addRow({ id: exact.id, name: exact.name, position: "" });
          input.value = "";
        }
      } catch (error) {
        // Suggestions are a help only.
      }
    }, 250);
  });
  controls.set("organisations", {
    read: () => [...list.children].map((li) => ({ id: Number(li.dataset.id), position: li.querySelector(".position").value.trim() })),
    write: (record) => { clear(list); for (const org of record.organisations || []) addRow(org); },
    add: addRow,
  });
  return el("div", { class: "field wide", dataset: { field: "organisations" } },
    el("span", { class: "field-label" }, t("rec.organisations.label")), list, input, datalist,
    el("span", { class: "field-error", dataset: { errorFor: "organisations" } }));
}

function buildForm() {
  const parts = [textField("name", ENTITY === "contact" ? t("rec.name") : t("rec.orgName"), { required: true })];
  if (ENTITY === "contact") {
    if (!state.id) parts.push(statusField());
    parts.push(
      multiField("phones", t("rec.phones"), { type: "tel", inputmode: "tel", autocomplete: "off" }, phonesOf),
      multiField("emails", t("rec.emails"), { type: "email", inputmode: "email", autocomplete: "off" }, emailsOf),
      organisationsField(),
      responsibleField(),
      nextContactField(),
      textField("source", t("rec.source"), { maxlength: 100 }),
    );
  } else {
    parts.push(
      textField("inn", t("rec.inn"), { inputmode: "numeric", maxlength: 12, autocomplete: "off" }, { nullable: true }),
      textField("kpp", t("rec.kpp"), { inputmode: "numeric", maxlength: 9, autocomplete: "off" }, { nullable: true }),
      textField("ogrn", t("rec.ogrn"), { inputmode: "numeric", maxlength: 15, autocomplete: "off" }, { nullable: true }),
      textField("legal_address", t("rec.legalAddress"), { multiline: true, maxlength: 1000, rows: 2 }, { wide: true }),
      textField("actual_address", t("rec.actualAddress"), { multiline: true, maxlength: 1000, rows: 2 }, { wide: true }),
      multiField("phones", t("rec.phones"), { type: "tel", inputmode: "tel", autocomplete: "off" }, phonesOf),
      multiField("emails", t("rec.emails"), { type: "email", inputmode: "email", autocomplete: "off" }, emailsOf),
      textField("site", t("rec.site"), { inputmode: "url", placeholder: "https://" }),
      responsibleField(),
    );
  }
  fieldsBox.append(...parts);
}

function buildCustom() {
  clear(customBox);
  const inputs = new Map();
  for (const field of state.fields) {
    const input = customInput(field, undefined);
    inputs.set(field.key, { field, input });
    customBox.append(input.node);
  }
  customSet.hidden = state.fields.length === 0;
  controls.set("custom_fields", {
    read: () => Object.fromEntries([...inputs].map(([key, { input }]) => [key, input.read()])),
    write: (record) => {
      const values = record.custom_fields || {};
      for (const [key, { field, input }] of inputs) input.write(customBaseline(field, values[key]));
    },
  });
}

// ---- reading and writing the form ----------------------------------------------------

function collect() {
  const values = {};
  for (const [name, control] of controls) values[name] = control.read();
  return values;
}

const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

// What changed since the card was shown: the body of a PATCH (custom fields one by one).
function changes() {
  const now = collect();
  const body = {};
  for (const [name, value] of Object.entries(now)) {
    if (name === "custom_fields") {
      const changed = Object.fromEntries(Object.entries(value)
        .filter(([key, v]) => !same(v, (state.baseline.custom_fields || {})[key])));
      if (Object.keys(changed).length) body.custom_fields = changed;
    } else if (!same(value, state.baseline[name])) {
      body[name] = value;
    }
  }
  return body;
}

// A new record: everything filled in, blanks left out.
function creation() {
  const body = {};
  for (const [name, value] of Object.entries(collect())) {
    if (name === "custom_fields") {
      const filled = Object.fromEntries(Object.entries(value).filter(([, v]) => v !== "" && v !== false && !(Array.isArray(v) && !v.length)));
      if (Object.keys(filled).length) body.custom_fields = filled;
    } else if (value !== "" && value !== null && !(Array.isArray(value) && !value.length)) {
      body[name] = value;
    }
  }
  return body;
}

function isDirty() {
  return state.baseline !== null && Object.keys(changes()).length > 0;
}

function render(record) {
  state.record = record;
  state.version = record.version ?? null;
  for (const control of controls.values()) control.write(record);
  state.baseline = collect();
  title.textContent = record.name || (ENTITY === "contact" ? t("contact.noName") : t("rec.noName"));
  document.title = title.textContent + " · Okno";
  if (ENTITY === "contact" && state.id) {
    statusBadge.hidden = false;
    statusBadge.dataset.status = record.status;
    statusBadge.textContent = t("contact.status." + record.status);
    convertButton.hidden = record.status !== "lead";
  }
  form.dataset.version = String(state.version ?? "");
  showSuggestions(record);
  clearFieldErrors();
  if (state.tab) showTab(state.tab);
}

// ---- errors and warnings -------------------------------------------------------------

function clearFieldErrors() {
  for (const slot of form.querySelectorAll(".field-error")) slot.textContent = "";
  for (const holder of form.querySelectorAll(".invalid")) holder.classList.remove("invalid");
  formError.hidden = true;
}

// The slot for "phones.1": that row's, else the list's ("phones"), else none.
function slotFor(field) {
  const parts = String(field || "").split(".");
  while (parts.length) {
    const slot = form.querySelector(`[data-error-for="${CSS.escape(parts.join("."))}"]`);
    if (slot) return slot;
    parts.pop();
  }
  return null;
}

function showFieldErrors(details) {
  const unplaced = [];
  let first = null;
  for (const detail of details) {
    const message = fieldMessage(detail);
    const slot = slotFor(detail.field);
    if (!slot) { unplaced.push(message); continue; }
    slot.textContent = slot.textContent ? slot.textContent + " " + message : message;
    const holder = slot.closest("li") || slot.closest(".field");
    if (holder) holder.classList.add("invalid");
    first = first || holder;
  }
  formError.textContent = unplaced.length ? unplaced.join(" ") : t("rec.checkFields");
  formError.hidden = false;
  const focusable = first && first.querySelector("input, select, textarea");
  if (focusable) focusable.focus();
}

// "Телефон +7… уже есть у контакта «Анна»": with a link to that contact (or organisation).
function showWarnings(warnings, sent) {
  clear(warningsBox);
  if (!warnings || !warnings.length) { warningsBox.hidden = true; return; }
  const list = el("ul", {});
  for (const warning of warnings) {
    const [name, index] = String(warning.field || "").split(".");
    const value = warning.value ?? (sent && Array.isArray(sent[name]) ? sent[name][Number(index)] : (sent || {})[name]);
    const other = warning.contact || warning.organisation || null;
    const path = warning.contact ? "/clients/contacts/" : "/clients/organisations/";
    const key = "warning." + warning.type;
    const text = t(key, { value: value ?? "" });
    list.append(el("li", { class: "warning", dataset: { type: warning.type, field: warning.field } },
      text === key ? t("warning.generic", { value: value ?? warning.field }) : text, " ",
      other ? el("a", { href: path + other.id, class: "warning-link" }, other.name || "#" + other.id)
        : el("span", { class: "muted" }, t("warning.hiddenRecord"))));
  }
  warningsBox.append(el("strong", {}, t("rec.warnings")), list);
  warningsBox.hidden = false;
}

// Addresses Okno proposes for this client: deciding is an edit of the card (a new version),
// so an untouched card shows the answer at once and one being edited is told to reload.
function showSuggestions(record) {
  const box = node("card-suggestions");
  if (!box) return;
  const section = ENTITY === "contact" ? suggestionsNode(record, {
    t, explain, headingLevel: 2,
    decide: async (suggestion, decision) => {
      const dirty = isDirty();
      const card = await decideSuggestion(api, suggestion, decision);
      if (dirty) showBanner(t("rec.changedElsewhere"));
      else render(card);
    },
  }) : null;
  clear(box).append(...(section ? [section] : []));
}

function showBanner(text) {
  bannerText.textContent = text;
  banner.hidden = false;
}

// ---- loading and saving ----------------------------------------------------------------

async function fetchRecord() {
  return getJson(ENDPOINT + "/" + state.id);
}

async function refetch(note) {
  try {
    const record = await fetchRecord();
    banner.hidden = true;
    render(record);
    if (note) flash(note);
  } catch (error) {
    toast(explain(error));
  }
}

function flash(text) {
  savedNote.textContent = text;
  clearTimeout(flash.timer);
  flash.timer = setTimeout(() => { savedNote.textContent = ""; }, 6000);
}

async function save(event) {
  event.preventDefault();
  if (state.saving) return;
  clearFieldErrors();
  const body = state.id ? changes() : creation();
  if (state.id && !Object.keys(body).length) { flash(t("rec.noChanges")); return; }
  if (state.id) body.version = state.version;
  state.saving = true;
  saveButton.disabled = true;
  try {
    const saved = state.id
      ? await api("PATCH", `${ENDPOINT}/${state.id}`, body)
      : await api("POST", ENDPOINT, body);
    banner.hidden = true;
    if (!state.id) {
      state.id = saved.id;
      history.replaceState(null, "", `/clients/${PLURAL}/${saved.id}`);
      // The status is chosen once; the card offers «Сделать клиентом» afterwards.
      const statusBox = fieldsBox.querySelector('[data-field="status"]');
      if (statusBox) { statusBox.remove(); controls.delete("status"); }
      showTabs();
    }
    render(saved);
    showWarnings(saved.warnings, body);
    flash(t("rec.saved"));
  } catch (error) {
    if (error instanceof ApiError && error.id === "stale-version") {
      showBanner(t("rec.stale"));
    } else if (error instanceof ApiError && error.status === 422 && Array.isArray(error.details) && error.details.length) {
      showFieldErrors(error.details);
    } else {
      formError.textContent = explain(error);
      formError.hidden = false;
    }
  } finally {
    state.saving = false;
    saveButton.disabled = false;
  }
}

// ---- tabs ----------------------------------------------------------------------------

const TABS = ENTITY === "contact"
  ? ["history", "deals", "activities", "files"]
  : ["contacts", "deals", "history"];
const SOON = ENTITY === "contact" ? new Set(["files"]) : new Set();

function showTabs() {
  const list = node("card-tablist");
  clear(list);
  for (const name of TABS) {
    const button = el("button", { type: "button", role: "tab", id: "card-tab-" + name, dataset: { tab: name },
      "aria-selected": "false" }, t("rec.tab." + name), SOON.has(name) ? el("span", { class: "soon" }, t("rec.soon")) : null);
    button.addEventListener("click", () => showTab(name));
    list.append(button);
  }
  node("card-tabs").hidden = false;
  showTab(state.tab || TABS[0]);
}

function showTab(name) {
  state.tab = name;
  state.tabSeq = (state.tabSeq || 0) + 1;
  for (const button of node("card-tablist").children) {
    button.setAttribute("aria-selected", String(button.dataset.tab === name));
  }
  const panel = clear(node("card-tab-panel"));
  panel.setAttribute("aria-labelledby", "card-tab-" + name);
  if (SOON.has(name)) {
    panel.append(el("p", { class: "empty" }, t("rec.soonText")));
  } else if (name === "history") {
    if (ENTITY === "contact") historyTab(panel);
    else organisationHistoryTab(panel);
  } else if (name === "deals") {
    dealsTab(panel);
  } else if (name === "contacts") {
    contactsTab(panel);
  } else if (name === "activities") {
    activitiesTab(panel, state.id);
  }
}

function historyItem(message, who = null) {
  return el("li", { class: "history-item", dataset: { direction: message.direction } },
    el("div", { class: "msg-meta" },
      el("time", { datetime: message.created_at }, formatDate(message.created_at, config.locale, true)),
      el("span", { class: "channel-badge" }, message.channel ? message.channel.title || message.channel.kind : ""),
      who ? el("a", { class: "history-contact", href: "/clients/contacts/" + who.id }, who.name) : null,
      el("span", { class: "msg-author" }, message.direction === "in" ? t("message.client")
        : message.author ? message.author.name : t("message.system"))),
    el("div", { class: "msg-text" }, message.text));
}

// An organisation's history: the latest messages of its contact persons, newest first.
const ORG_HISTORY_PEOPLE = 20;
const ORG_HISTORY_EACH = 20;

async function organisationHistoryTab(panel) {
  const seq = state.tabSeq;
  const people = ((state.record || {}).contacts || []).slice(0, ORG_HISTORY_PEOPLE);
  const pages = await Promise.all(people.map((person) =>
    getJson(`/api/v1/contacts/${person.id}/history?limit=${ORG_HISTORY_EACH}`)
      .then((page) => (page.items || []).map((message) => ({ message, person })))
      .catch(() => [])));
  if (seq !== state.tabSeq) return;
  const all = pages.flat().sort((a, b) => String(b.message.created_at).localeCompare(String(a.message.created_at)));
  if (!all.length) { panel.append(el("p", { class: "empty" }, t("rec.noHistory"))); return; }
  panel.append(el("ul", { class: "history", id: "card-history" },
    ...all.map(({ message, person }) => historyItem(message, person))));
}

async function historyTab(panel, before = null, list = null) {
  if (!list) {
    list = el("ul", { class: "history", id: "card-history" });
    panel.append(list);
  }
  const more = el("button", { type: "button", class: "history-more" }, t("clients.more"));
  const seq = state.tabSeq;
  try {
    const query = "?limit=30" + (before ? "&before_id=" + before : "");
    const page = await getJson(`/api/v1/contacts/${state.id}/history${query}`);
    if (seq !== state.tabSeq) return;
    for (const message of page.items || []) list.append(historyItem(message));
    if (!list.childElementCount) panel.append(el("p", { class: "empty" }, t("rec.noHistory")));
    if (page.next_cursor) {
      more.addEventListener("click", () => { more.remove(); historyTab(panel, page.next_cursor, list); });
      panel.append(more);
    }
  } catch (error) {
    panel.append(el("p", { class: "form-error" }, explain(error)));
  }
}

async function stageNames() {
  if (state.pipelines) return state.pipelines;
  const names = new Map();
  try {
    for (const pipeline of items(await getJson("/api/v1/pipelines"))) {
      for (const stage of pipeline.stages || []) names.set(stage.id, stage.name);
    }
  } catch (error) {
    // Without pipelines a deal shows no stage name.
  }
  state.pipelines = names;
  return names;
}

// Every deal of the record, closed ones too, from the deals API; where that is missing, the
// (open) deals the card carries.
async function dealsOf(record) {
  const filter = ENTITY === "contact" ? "contact_id" : "organisation_id";
  try {
    return items(await getJson(`/api/v1/deals?${filter}=${state.id}&limit=100`));
  } catch (error) {
    return record.deals || record.open_deals || [];
  }
}

async function dealsTab(panel) {
  const record = state.record || {};
  const seq = state.tabSeq;
  const deals = await dealsOf(record);
  const stages = await stageNames();
  if (seq !== state.tabSeq) return; // another tab (or a newer render) took the panel
  const newDeal = el("button", { type: "button", id: "card-new-deal" }, t("rec.newDeal"));
  newDeal.addEventListener("click", () => openDealDialog("deal"));
  panel.append(el("div", { class: "tab-actions" }, newDeal));
  if (!deals.length) { panel.append(el("p", { class: "empty" }, t("rec.noDeals"))); return; }
  const body = el("tbody", {});
  for (const deal of deals) {
    const stage = deal.stage ? deal.stage.name : stages.get(deal.stage_id) || "";
    body.append(el("tr", { dataset: { id: deal.id } },
      el("td", {}, el("a", { href: "/deals/" + deal.id }, deal.title)),
      el("td", { class: "num" }, money(deal.amount, deal.currency, config.locale)),
      el("td", {}, stage),
      el("td", {}, deal.responsible ? deal.responsible.name : "")));
  }
  panel.append(el("table", { class: "admin-table deals-table", id: "card-deals" },
    el("thead", {}, el("tr", {}, el("th", {}, t("rec.deal.title")), el("th", {}, t("rec.deal.amount")),
      el("th", {}, t("rec.deal.stage")), el("th", {}, t("clients.col.responsible")))), body));
}

function contactsTab(panel) {
  const record = state.record || {};
  panel.append(el("div", { class: "tab-actions" },
    el("a", { class: "button", id: "card-new-person", href: "/clients/contacts/new?organisation_id=" + state.id }, t("clients.newContact"))));
  const people = record.contacts || [];
  if (!people.length) { panel.append(el("p", { class: "empty" }, t("rec.noContacts"))); return; }
  panel.append(el("ul", { class: "people", id: "card-people" }, ...people.map((person) =>
    el("li", {}, el("a", { href: "/clients/contacts/" + person.id }, person.name || t("contact.noName")),
      person.position ? el("span", { class: "muted" }, " · " + person.position) : null))));
}

// ---- «Сделать клиентом» and «Новая сделка» ---------------------------------------------

const dealDialog = node("deal-dialog");
const dealForm = node("deal-form");
const dealError = node("deal-form-error");
const dealCreate = node("deal-create");
let dealMode = "deal";

function showDealFields() {
  const visible = dealMode === "deal" || dealCreate.checked;
  for (const holder of dealForm.querySelectorAll("[data-deal]")) holder.hidden = !visible;
}

function openDealDialog(mode) {
  dealMode = mode;
  dealForm.reset();
  dealError.hidden = true;
  for (const slot of dealForm.querySelectorAll("[data-error-for]")) slot.textContent = "";
  node("deal-create-row").hidden = mode !== "convert";
  node("deal-dialog-title").textContent = mode === "convert" ? t("rec.convertTitle") : t("rec.newDeal");
  node("deal-ok").textContent = mode === "convert" ? t("rec.convert") : t("rec.createDeal");
  const record = state.record || {};
  node("deal-title").value = record.name ? t("rec.dealDefaultTitle", { name: record.name }) : "";
  showDealFields();
  dealDialog.showModal();
}

async function submitDeal(event) {
  event.preventDefault();
  dealError.hidden = true;
  for (const slot of dealForm.querySelectorAll("[data-error-for]")) slot.textContent = "";
  const ok = node("deal-ok");
  ok.disabled = true;
  try {
    if (dealMode === "convert") {
      await api("POST", `/api/v1/contacts/${state.id}/convert`, {});
      flash(t("rec.converted"));
      if (!dealCreate.checked) { dealDialog.close(); await refetch(); return; }
      dealMode = "deal"; // converted: a retry only creates the deal
      node("deal-create-row").hidden = true;
    }
    await createDeal();
    dealDialog.close();
    toast(t("rec.dealCreated"));
    await refetch();
  } catch (error) {
    const details = error instanceof ApiError && Array.isArray(error.details) ? error.details : [];
    let placed = false;
    for (const detail of details) {
      const slot = dealForm.querySelector(`[data-error-for="${CSS.escape(String(detail.field))}"]`);
      if (slot) { slot.textContent = fieldMessage(detail); placed = true; }
    }
    dealError.textContent = placed ? t("rec.checkFields") : explain(error);
    dealError.hidden = false;
  } finally {
    ok.disabled = false;
  }
}

async function createDeal() {
  const record = state.record || {};
  const body = { title: node("deal-title").value.trim() };
  const amount = node("deal-amount").value.trim().replace(/\s/g, "").replace(",", ".");
  if (amount) body.amount = amount;
  if (ENTITY === "contact") {
    body.contact_id = state.id;
    if ((record.organisations || []).length) body.organisation_id = record.organisations[0].id;
  } else {
    body.organisation_id = state.id;
  }
  if (record.responsible) body.responsible_id = record.responsible.id;
  return api("POST", "/api/v1/deals", body);
}

dealCreate.addEventListener("change", showDealFields);
dealForm.addEventListener("submit", submitDeal);
for (const button of dealDialog.querySelectorAll("[data-close]")) button.addEventListener("click", () => dealDialog.close());
convertButton.addEventListener("click", () => openDealDialog("convert"));

// ---- live ------------------------------------------------------------------------------

function onEvent(event) {
  const p = event.payload || {};
  const mine = ENTITY === "contact"
    ? event.kind === "contact.changed" && p.contact_id === state.id
    : event.kind === "organisation.changed" && p.organisation_id === state.id;
  if (!mine || state.saving || !state.id) return;
  if (typeof p.version === "number" && state.version !== null && p.version <= state.version) return;
  if (isDirty()) showBanner(t("rec.changedElsewhere"));
  else refetch(t("rec.updatedElsewhere"));
}

// ---- start -------------------------------------------------------------------------------

form.addEventListener("submit", save);
arrowTabs(node("card-tablist"));
// Leaving with unsaved edits asks first, as the browser words it.
window.addEventListener("beforeunload", (event) => {
  if (!state.saving && isDirty()) { event.preventDefault(); event.returnValue = ""; }
});
node("card-banner-reload").addEventListener("click", () => refetch());

async function start() {
  buildForm();
  state.fields = await customFields(ENTITY);
  buildCustom();
  startLive(onEvent, () => { if (state.id && !isDirty()) refetch(); });
  if (!state.id) {
    title.textContent = ENTITY === "contact" ? t("clients.newContact") : t("clients.newOrganisation");
    render({ name: "", status: "client", source: ENTITY === "contact" ? "manual" : "", phones: [], emails: [],
      organisations: [], custom_fields: {}, responsible: { id: config.user.id, name: config.user.name } });
    title.textContent = ENTITY === "contact" ? t("clients.newContact") : t("clients.newOrganisation");
    document.title = title.textContent + " · Okno";
    const orgId = Number(new URLSearchParams(location.search).get("organisation_id"));
    if (ENTITY === "contact" && orgId) {
      getJson("/api/v1/organisations/" + orgId)
        .then((org) => {
          controls.get("organisations").add({ id: org.id, name: org.name, position: "" });
          state.baseline = collect(); // given by the link, not typed: leaving asks nothing
        })
        .catch(() => {});
    }
    node("card-name").focus();
    return;
  }
  try {
    render(await fetchRecord());
    showTabs();
  } catch (error) {
    formError.textContent = explain(error);
    formError.hidden = false;
    saveButton.disabled = true;
  }
}

start();
