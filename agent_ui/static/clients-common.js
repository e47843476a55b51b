// What the clients' pages share: config, API calls (with abort), the live socket and top bar,
// a toast, errors in the page's language, and the shapes of phones, e-mails and custom fields.
// Every value reaches the page as text (el / textContent), never as markup.

import { ApiError, fetchApi } from "./okno-api.js";
import { el } from "./okno-dom.js";
import { config, explainer, t, toast } from "./okno-page.js";

// Shared with the admin pages (okno-page.js); re-exported so the clients' scripts keep
// importing everything from here.
export { api, config, fieldMessage, startLive, t, toast } from "./okno-page.js";
export { arrowTabs } from "./okno-dom.js";

// A GET that a newer one may abort: resolves to the JSON, rejects with ApiError, or with an
// AbortError (callers ignore those: a newer request is on its way).
export async function getJson(path, signal) {
  return fetchApi(path, { headers: { Accept: "application/json" }, signal });
}

export function isAbort(error) {
  return Boolean(error) && error.name === "AbortError";
}

// Known error ids have their own words; the rest the server's message.
export const explain = explainer("clientsError.", "clientsError.not-found");

export function debounce(fn, ms) {
  let timer = null;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

export function managerName(id) {
  const found = (config.managers || []).find((m) => m.id === id);
  return found ? found.name : "#" + id;
}

export function managerOptions(select, chosen, emptyLabel) {
  select.append(el("option", { value: "" }, emptyLabel));
  const mine = config.user;
  for (const manager of config.managers || []) {
    const option = el("option", { value: String(manager.id) },
      manager.id === mine.id ? t("clients.me", { name: manager.name }) : manager.name);
    select.append(option);
  }
  // A manager switched off since stays shown on the records they hold.
  if (chosen && !(config.managers || []).some((m) => m.id === chosen.id)) {
    select.append(el("option", { value: String(chosen.id) }, chosen.name));
  }
  select.value = chosen ? String(chosen.id) : "";
}

// Phones and e-mails come as strings or as {value, raw, unparsed}; the older card carries
// identities and keeps unparsed phones under custom_fields.unparsed_phones.
export function phonesOf(record) {
  if (Array.isArray(record.phones)) return record.phones.map(entry);
  const list = (record.identities || []).filter((i) => i.kind === "phone")
    .map((i) => ({ value: i.value, raw: i.raw || i.value, unparsed: false }));
  const unparsed = ((record.custom_fields || {}).unparsed_phones || [])
    .map((raw) => ({ value: raw, raw, unparsed: true }));
  return list.concat(unparsed);
}

export function emailsOf(record) {
  if (Array.isArray(record.emails)) return record.emails.map(entry);
  return (record.identities || []).filter((i) => i.kind === "email")
    .map((i) => ({ value: i.value, raw: i.raw || i.value, unparsed: false }));
}

function entry(item) {
  if (typeof item === "string") return { value: item, raw: item, unparsed: false };
  const value = item.value || item.raw || "";
  return { value, raw: item.raw || value, unparsed: Boolean(item.unparsed) };
}

export function money(amount, currency, locale) {
  if (amount === null || amount === undefined || amount === "") return "";
  try {
    return new Intl.NumberFormat(locale, { style: "currency", currency: currency || "RUB", maximumFractionDigits: 2 })
      .format(Number(amount));
  } catch (error) {
    return String(amount) + " " + (currency || "RUB");
  }
}

export function formatDate(iso, locale, withTime = false) {
  if (!iso) return "";
  // A bare date is the calendar day, not midnight UTC.
  const date = /^\d{4}-\d{2}-\d{2}$/.test(iso) ? new Date(iso + "T00:00:00") : new Date(iso);
  if (Number.isNaN(date.getTime())) return String(iso);
  const options = withTime
    ? { day: "numeric", month: "short", year: "numeric", hour: "2-digit", minute: "2-digit" }
    : { day: "numeric", month: "short", year: "numeric" };
  return new Intl.DateTimeFormat(locale, options).format(date);
}

export function safeLink(url, text) {
  const href = /^https?:\/\//i.test(String(url)) ? String(url) : null;
  return href
    ? el("a", { href, target: "_blank", rel: "noopener noreferrer" }, text || href)
    : el("span", {}, text || String(url));
}

// A custom value as text or a node for a table cell or a read-only place.
export function customDisplay(field, value) {
  if (value === null || value === undefined || value === "" || (Array.isArray(value) && !value.length)) return "";
  switch (field.kind) {
    case "money": return money(value, "RUB", config.locale);
    case "date": return formatDate(value, config.locale);
    case "flag": return value ? t("clients.yes") : t("clients.no");
    case "multilist": return Array.isArray(value) ? value.join(", ") : String(value);
    case "number": return new Intl.NumberFormat(config.locale).format(Number(value));
    case "link": return safeLink(value);
    default: return String(value);
  }
}

let fieldSeq = 0;

// An input for one custom field: {node, read(), write(value)}; read() gives what the API
// takes ("" or [] clears the value).
export function customInput(field, value) {
  const id = "cf-" + field.key + "-" + (fieldSeq += 1);
  const label = el("span", { class: "field-label" }, field.label,
    field.required ? el("span", { class: "req", "aria-hidden": "true" }, "*") : null);
  const error = el("span", { class: "field-error", dataset: { errorFor: "custom_fields." + field.key } });
  let control;
  let read;
  let write;
  if (field.kind === "list") {
    control = el("select", { id, name: "cf." + field.key },
      el("option", { value: "" }, t("clients.notChosen")),
      ...(field.options || []).map((option) => el("option", { value: option }, option)));
    read = () => control.value;
    write = (v) => { control.value = v == null ? "" : String(v); };
  } else if (field.kind === "multilist") {
    const boxes = (field.options || []).map((option) =>
      el("input", { type: "checkbox", value: option, name: "cf." + field.key }));
    control = el("div", { class: "choices", id, role: "group", "aria-label": field.label },
      ...boxes.map((box) => el("label", {}, box, box.value)));
    read = () => boxes.filter((b) => b.checked).map((b) => b.value);
    write = (v) => { const set = new Set(Array.isArray(v) ? v : []); for (const b of boxes) b.checked = set.has(b.value); };
  } else if (field.kind === "flag") {
    control = el("input", { type: "checkbox", id, name: "cf." + field.key });
    read = () => control.checked;
    write = (v) => { control.checked = Boolean(v); };
  } else {
    const attrs = { id, name: "cf." + field.key, maxlength: 2000 };
    if (field.kind === "date") attrs.type = "date";
    else if (field.kind === "number" || field.kind === "money") Object.assign(attrs, { inputmode: "decimal" });
    else if (field.kind === "link") Object.assign(attrs, { inputmode: "url", placeholder: "https://" });
    control = el("input", attrs);
    read = () => control.value.trim();
    write = (v) => { control.value = v == null ? "" : String(v); };
  }
  write(value);
  const holder = field.kind === "flag"
    ? el("label", { class: "field check", for: id, dataset: { kind: field.kind, key: field.key } }, control, label, error)
    : el(field.kind === "multilist" ? "div" : "label",
      { class: "field", for: field.kind === "multilist" ? null : id, dataset: { kind: field.kind, key: field.key } },
      label, control, field.kind === "money" ? el("span", { class: "field-help" }, "₽") : null, error);
  return { node: holder, read, write };
}

// The value a custom field starts from, in the form read() gives back.
export function customBaseline(field, value) {
  if (field.kind === "multilist") return Array.isArray(value) ? value : [];
  if (field.kind === "flag") return Boolean(value);
  return value === null || value === undefined ? "" : String(value);
}

// Custom field definitions of an entity; none until the API has them.
export async function customFields(entity) {
  try {
    const data = await getJson("/api/v1/custom-fields?entity=" + encodeURIComponent(entity));
    const list = (data && data.items) || [];
    return list.slice().sort((a, b) => (a.position ?? 0) - (b.position ?? 0) || a.id - b.id);
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 404) toast(explain(error));
    return [];
  }
}
